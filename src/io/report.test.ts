// eval --report's pictures: SVG charts and PNG templates that hold what
// they show.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { PNG } from 'pngjs';

import { DataSet } from '../data/dataset.js';
import { makeTempDir } from '../data/fixtures.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import { evaluateClasses } from '../train/metrics.js';
import { restoreModel, savedSoftmax } from '../train/saved.js';
import { Random } from '../util/random.js';
import { writeReport } from './report.js';

describe('writeReport', () => {
  it('draws curves, the confusion heat map, misread digits and templates', async () => {
    const random = new Random(6);
    const n = 60;
    const images = Uint8Array.from({ length: n * 784 }, () =>
      random.uniform() < 0.8 ? 0 : random.int(256),
    );
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const test = new DataSet(images, labels, 784, { oneHot: true, seed: 1 });
    const model = new SoftmaxRegression(784, 10, 'normal', new Random(3));
    const loaded = restoreModel(
      savedSoftmax(model, {
        training: {},
        history: {
          costs: [2.5, 1.25, 0.75],
          validationAccuracy: [null, null, 0.875],
          testAccuracy: 0.5,
        },
      }),
    );
    const report = evaluateClasses(loaded.predict, test, 10);
    const dir = makeTempDir();
    const files = await writeReport(dir, loaded, report, test);
    assert.deepEqual(files, [
      'curves.svg',
      'confusion.svg',
      'mistakes.svg',
      'templates.png',
    ]);

    const read = (name: string) =>
      fs.readFileSync(path.join(dir, name), 'utf8');
    assert.match(read('curves.svg'), /^<svg[^]*Learning curves/);
    const confusion = read('confusion.svg');
    assert.match(confusion, /Confusion matrix on the test set/);
    // One cell per label and prediction.
    assert.equal(
      confusion.match(/aria-roledescription="rect mark"/g)?.length,
      100,
    );
    const mistakes = read('mistakes.svg');
    const misread = report.predicted.filter((d, i) => d !== labels[i]).length;
    const shown = Math.min(24, misread);
    assert.equal(mistakes.match(/<image /g)?.length ?? 0, shown);
    assert.match(mistakes, /\d read as \d/);

    const png = PNG.sync.read(fs.readFileSync(path.join(dir, 'templates.png')));
    assert.equal(png.height, 28 * 4);
    assert.equal(png.width, 10 * (28 * 4 + 4) - 4);
  });
});
