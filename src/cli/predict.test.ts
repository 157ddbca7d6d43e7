// mnistlab predict on pictures the test draws: the likeliest digits, the
// JSON, --show, an empty picture and a file that is not one.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { makeTempDir, writeMnistSubset } from '../data/fixtures.js';
import { saveModel } from '../io/model-file.js';
import { digitPng } from '../io/png.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import { savedSoftmax } from '../train/saved.js';
import { Random } from '../util/random.js';
import { mnistlab } from './run.test.helper.js';

const data = writeMnistSubset({ train: 600, test: 100 });
const dir = makeTempDir();

/** A 28 x 28 picture of a bar, drawn as digitPng draws (dark on white). */
function barPng(file: string, ink: number): string {
  const pixels = new Uint8Array(784);
  for (let y = 4; y < 24; y++)
    for (let x = 12; x < 16; x++) pixels[y * 28 + x] = ink;
  const at = path.join(dir, file);
  fs.writeFileSync(at, digitPng(pixels, 28, 28));
  return at;
}

describe('mnistlab predict', () => {
  const model = path.join(dir, 'model');
  const ready = mnistlab(
    'train',
    '--data',
    data,
    '--validation-size',
    '100',
    '--epochs',
    '1',
    '--no-sample',
    '--save',
    model,
  );

  it('prints each file with its likeliest digits, or JSON', async () => {
    assert.equal((await ready).code, 0);
    const bar = barPng('bar.png', 255);
    const empty = barPng('empty.png', 0);
    const run = await mnistlab(
      'predict',
      '--model',
      model,
      bar,
      empty,
      '--top',
      '3',
    );
    assert.equal(run.code, 0, run.stderr);
    const [first, second] = run.stdout.trimEnd().split('\n');
    assert.match(
      first,
      /bar\.png: \d \(0\.\d{4}\), \d \(0\.\d{4}\), \d \(0\.\d{4}\)$/,
    );
    assert.match(second, /empty\.png: no ink found \(an empty picture\?\)$/);

    const json = await mnistlab(
      'predict',
      '--model',
      model,
      bar,
      empty,
      '--json',
    );
    const { predictions } = JSON.parse(json.stdout);
    assert.equal(predictions.length, 2);
    const [p, none] = predictions;
    assert.equal(p.probabilities.length, 10);
    const total = p.probabilities.reduce((a: number, b: number) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-5);
    assert.equal(p.probability, Math.max(...p.probabilities));
    assert.equal(p.digit, p.probabilities.indexOf(p.probability));
    assert.equal(none.digit, null);

    const shown = await mnistlab('predict', '--model', model, bar, '--show');
    // The prepared input: 14 lines of half blocks under the answer.
    assert.equal(shown.stdout.split('\n').length - 1, 15);
    assert.match(shown.stdout, /█/);
  });

  it('names a file that is not a picture, exit code 1', async () => {
    await ready;
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'hello');
    const run = await mnistlab('predict', '--model', model, text);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /notes\.txt: expected a PNG or JPEG image but found bytes 68 65 6c 6c/,
    );
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '');
    // The readable ones still get their answers.
    const bar = barPng('bar2.png', 255);
    const some = await mnistlab('predict', '--model', model, bar, empty, text);
    assert.equal(some.code, 1);
    const lines = some.stdout.trimEnd().split('\n');
    assert.match(lines[0], /bar2\.png: \d \(0\.\d{4}\)$/);
    assert.match(lines[1], /empty\.txt: not read \(see the error below\)$/);
    assert.match(
      some.stderr,
      new RegExp(
        '2 of 3 files could not be read:\\n {2}.*empty\\.txt: ' +
          'expected a PNG or JPEG image but found an empty file',
      ),
    );
  });

  it('refuses a model of other inputs than 28x28 digits, exit code 1', async () => {
    // Saved for 16 inputs; predict fed it 784 and failed in matMul, as a
    // bug in mnistlab.
    const small = path.join(dir, 'small');
    const model = new SoftmaxRegression(16, 10, 'zeros', new Random(1));
    const history = { costs: [], validationAccuracy: [], testAccuracy: null };
    saveModel(small, savedSoftmax(model, { training: {}, history }));
    const run = await mnistlab(
      'predict',
      '--model',
      small,
      barPng('b.png', 255),
    );
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `error: --model ${small}: expected a model of 784 inputs (28x28 ` +
        'images) and 10 outputs but found inputShape [16] and 10 outputs\n',
    );
  });
});
