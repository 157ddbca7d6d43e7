// The ported lab and `mnistlab train` are one program: same seed, same
// draws, same printout.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { writeMnistSubset } from '../src/data/fixtures.js';

const run = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL('./lab-07-softmax.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

describe('examples/lab-07-softmax', () => {
  it('prints exactly what mnistlab train prints', async () => {
    // 5,000 held out for validation, as both do by default, leave 600.
    const dir = writeMnistSubset({ train: 5600, test: 300 });
    const [example, cli] = await Promise.all([
      run(process.execPath, [EXAMPLE, dir]),
      run(process.execPath, [MAIN, 'train', '--data', dir]),
    ]);
    assert.match(example.stdout, /^Epoch: 0015, Cost: /m);
    assert.equal(example.stdout, cli.stdout);
  });
});

describe('examples/lab-10-mlp and lab-11-cnn', () => {
  it('train and report validation and test accuracy', async () => {
    const dir = writeMnistSubset({ train: 5600, test: 200 });
    const script = (name: string) =>
      fileURLToPath(new URL(`./${name}.js`, import.meta.url));
    const [mlp, cnn] = await Promise.all([
      run(process.execPath, [script('lab-10-mlp'), dir, '2']),
      run(process.execPath, [script('lab-11-cnn'), dir, '1']),
    ]);
    const epochLine =
      /^Epoch: 0001, Cost: \d\.\d{9}, Validation accuracy: 0\.\d{4}$/m;
    for (const { stdout } of [mlp, cnn]) {
      assert.match(stdout, epochLine);
      assert.match(stdout, /^Learning finished\nAccuracy: {2}0\.\d+\n$/m);
    }
    assert.match(mlp.stdout, /^Epoch: 0002, /m);
  });
});
