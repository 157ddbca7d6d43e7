// The whole path for people's own handwriting, on the real MNIST files: a
// model trained and saved by mnistlab train, then mnistlab predict on 100
// digits drawn with pen strokes (data/drawn-digits.ts, nothing from
// MNIST), half dark ink on light paper and half ink on a transparent
// canvas, at 64 to 300 pixels.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { PNG } from 'pngjs';

import { drawDigit } from '../data/drawn-digits.js';
import { makeTempDir } from '../data/fixtures.js';
import { Random } from '../util/random.js';
import { mnistlab } from './run.test.helper.js';

describe('own handwriting, end to end on the real data', () => {
  it('reads at least 85 of 100 drawn digits with a one-epoch MLP', async () => {
    const dir = makeTempDir();
    const model = path.join(dir, 'model');
    const trained = await mnistlab(
      'train',
      '--model',
      'mlp',
      '--epochs',
      '1',
      '--no-sample',
      '--save',
      model,
    );
    assert.equal(trained.code, 0, trained.stderr);

    const random = new Random(2026);
    const files: string[] = [];
    const labels: number[] = [];
    for (let k = 0; k < 10; k++) {
      for (let digit = 0; digit < 10; digit++) {
        const style = { size: [64, 140, 300][k % 3], transparent: k % 2 === 1 };
        const image = drawDigit(digit, random, style);
        const png = new PNG({ width: image.width, height: image.height });
        png.data = Buffer.from(image.data);
        const file = path.join(dir, `${digit}-${k}.png`);
        fs.writeFileSync(file, PNG.sync.write(png));
        files.push(file);
        labels.push(digit);
      }
    }
    const run = await mnistlab('predict', '--model', model, '--json', ...files);
    assert.equal(run.code, 0, run.stderr);
    const { predictions } = JSON.parse(run.stdout);
    const right = predictions.filter(
      (p: { digit: number }, i: number) => p.digit === labels[i],
    ).length;
    assert.ok(right >= 85, `read ${right} of 100`);
  });
});
