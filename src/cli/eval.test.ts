// mnistlab train --save, then mnistlab eval on what it saved.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { makeTempDir, writeMnistSubset } from '../data/fixtures.js';
import { saveModel } from '../io/model-file.js';
import { INITIALIZERS } from '../nn/initializers.js';
import { Sequential } from '../nn/sequential.js';
import { parseLayers } from '../nn/spec.js';
import { savedLayers } from '../train/saved.js';
import { mnistlab } from './run.test.helper.js';

const data = writeMnistSubset({ train: 600, test: 200 });
const TRAIN = ['train', '--data', data, '--validation-size', '100'];

describe('mnistlab eval', () => {
  for (const model of [
    ['--epochs', '2'],
    ['--layers', 'dense:16,relu,dense:10', '--epochs', '1'],
  ]) {
    it(`tests what train ${model.join(' ')} --save wrote`, async () => {
      // Folders on the way are made.
      const dir = path.join(makeTempDir(), 'runs', 'deep', 'model');
      const trained = await mnistlab(
        ...TRAIN,
        ...model,
        '--save',
        dir,
        '--json',
      );
      assert.equal(trained.code, 0, trained.stderr);
      const lines = trained.stdout.trimEnd().split('\n');
      const testAccuracy = JSON.parse(lines[lines.length - 1]).testAccuracy;

      const run = await mnistlab(
        'eval',
        '--model',
        dir,
        '--data',
        data,
        '--json',
      );
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout);
      // The loaded model predicts what the trained one did.
      assert.equal(report.accuracy, testAccuracy);
      assert.equal(report.testExamples, 200);
      const total = report.confusion
        .flat()
        .reduce((a: number, b: number) => a + b, 0);
      assert.equal(total, 200);
      assert.equal(report.perClass.length, 10);

      const pictures = path.join(path.dirname(dir), 'report');
      const text = await mnistlab(
        'eval',
        '--model',
        dir,
        '--data',
        data,
        '--report',
        pictures,
      );
      assert.match(
        text.stdout,
        /^Wrote curves\.svg, confusion\.svg, mistakes\.svg/m,
      );
      assert.ok(fs.existsSync(path.join(pictures, 'confusion.svg')));
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^Accuracy: {2}0\.\d{4}$/m);
      assert.match(
        text.stdout,
        /^Confusion matrix \(rows: label, columns: predicted digit\):$/m,
      );
      assert.match(text.stdout, /^digit +precision +recall +F1 +support$/m);
      assert.match(
        text.stdout,
        /^Most frequent confusions:$|^No test digit was misread\.$/m,
      );
    });
  }

  it('names what is wrong with a model folder, exit code 1', async () => {
    const empty = makeTempDir();
    const missing = await mnistlab('eval', '--model', empty, '--data', data);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^error: no model at .*: expected .*model\.json/m,
    );

    const dir = path.join(makeTempDir(), 'model');
    await mnistlab(...TRAIN, '--epochs', '1', '--save', dir);
    const [weights] = fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));
    fs.appendFileSync(path.join(dir, weights), Buffer.from([0, 0, 0, 0]));
    const damaged = await mnistlab('eval', '--model', dir, '--data', data);
    assert.equal(damaged.code, 1);
    assert.match(
      damaged.stderr,
      /expected 31400 bytes of weights but found 31404/,
    );

    // A model of 5 classes, which eval took as a bug in mnistlab.
    const five = path.join(makeTempDir(), 'five');
    const init = { init: INITIALIZERS.xavier, dropout: 0 };
    const layers = new Sequential(parseLayers('flatten,dense:5', init), {
      inputShape: [28, 28],
    });
    const history = { costs: [], validationAccuracy: [], testAccuracy: null };
    saveModel(five, savedLayers(layers, { training: {}, history }));
    const other = await mnistlab('eval', '--model', five, '--data', data);
    assert.equal(other.code, 1);
    assert.equal(
      other.stderr,
      `error: --model ${five}: expected a model of 784 inputs (28x28 ` +
        'images) and 10 outputs but found inputShape [28, 28] and 5 outputs\n',
    );
  });

  it('refuses output folders it cannot write, before any work', async () => {
    const file = path.join(makeTempDir(), 'file');
    fs.writeFileSync(file, 'x');
    const cases: [string[], RegExp][] = [
      [
        [...TRAIN, '--save', file],
        /--save .*: expected a folder to write in but found a file$/m,
      ],
      [
        [...TRAIN, '--save', path.join(file, 'm')],
        /--save .*: expected a folder to write in but found a file, .*file, in its path/,
      ],
      [
        [...TRAIN, '--save', ''],
        /--save '': expected a folder to write in but found an empty path/,
      ],
      [
        ['sweep', '--data', data, '--out', path.join(file, 'x')],
        /--out .*: expected a folder to write in but found a file, .* in its path/,
      ],
      [
        ['eval', '--model', file, '--report', file],
        /--report .*: expected a folder to write in but found a file$/m,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await mnistlab(...args);
      assert.equal(run.code, 1, args.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
  });
});
