// `mnistlab train` run as a user runs it, in a child process: on a few
// hundred real digits for the format, flags and errors, and once on the
// whole data set for the lab's figures.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';

import { makeTempDir, writeBytes, writeMnistSubset } from '../data/fixtures.js';
import { mnistlab, type Run } from './run.test.helper.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

const small = writeMnistSubset({ train: 600, test: 200 });
const SMALL = ['--data', small, '--validation-size', '100', '--epochs', '3'];

function jsonOf(run: Run): Record<string, unknown> {
  const lines = run.stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

describe('mnistlab train on a few hundred digits', () => {
  it("prints the lab's format: epochs, accuracy, label, prediction, digit", async () => {
    const run = await mnistlab('train', ...SMALL);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    for (let epoch = 1; epoch <= 3; epoch++) {
      assert.match(
        lines[epoch - 1],
        new RegExp(`^Epoch: 000${epoch}, Cost: \\d+\\.\\d{9}$`),
      );
    }
    assert.equal(lines[3], 'Learning finished');
    assert.match(lines[4], /^Accuracy: {2}(0|1|0\.\d+)$/);
    assert.match(lines[5], /^Label: {2}\[\d\]$/);
    assert.match(lines[6], /^Prediction: {2}\[\d\]$/);
    const art = lines.slice(7, 21);
    assert.equal(art.length, 14);
    for (const line of art) assert.match(line, /^[ ▀▄█]{28}$/);
    assert.ok(
      art.some((line) => line.includes('█')),
      'the digit shows ink',
    );
    assert.equal(lines.slice(21).join(''), '');
    assert.equal(run.stderr, '', 'no progress bar when not a terminal');
  });

  it('prints the same output for the same seed, byte for byte', async () => {
    const [first, second] = await Promise.all([
      mnistlab('train', ...SMALL, '--seed', '5'),
      mnistlab('train', ...SMALL, '--seed', '5'),
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, second.stdout);
  });

  it('gives other costs for another seed', async () => {
    const [first, second] = await Promise.all([
      mnistlab('train', ...SMALL, '--seed', '5', '--json'),
      mnistlab('train', ...SMALL, '--seed', '6', '--json'),
    ]);
    assert.notDeepEqual(jsonOf(first).costs, jsonOf(second).costs);
  });

  it('ends with one line of JSON results under --json', async () => {
    const run = await mnistlab(
      'train',
      ...SMALL,
      '--json',
      '--batch-size',
      '50',
    );
    assert.equal(run.code, 0, run.stderr);
    const result = jsonOf(run);
    assert.equal(result.model, 'softmax');
    assert.equal(result.epochs, 3);
    assert.equal(result.batchSize, 50);
    assert.equal(result.learningRate, 0.1);
    assert.equal(result.seed, 777);
    assert.equal(result.trainExamples, 500);
    assert.equal(result.stepsPerEpoch, 10);
    const costs = result.costs as number[];
    assert.equal(costs.length, 3);
    const epochLines = run.stdout.split('\n').slice(0, 3);
    costs.forEach((cost, i) =>
      assert.ok(epochLines[i].endsWith(cost.toFixed(9))),
    );
    assert.match(
      run.stdout,
      new RegExp(`^Accuracy: {2}${result.testAccuracy}$`, 'm'),
    );
    for (const key of ['trainSeconds', 'totalSeconds'] as const) {
      assert.equal(typeof result[key], 'number');
    }
    assert.ok(
      (result.totalSeconds as number) >= (result.trainSeconds as number),
    );
  });

  it('leaves out the sampled digit with --no-sample', async () => {
    const run = await mnistlab('train', ...SMALL, '--no-sample');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[4], /^Accuracy: /);
  });

  it('writes the sampled digit as a PNG, ink dark on white', async () => {
    const file = path.join(makeTempDir(), 'digit.png');
    const run = await mnistlab('train', ...SMALL, '--sample-png', file);
    assert.equal(run.code, 0, run.stderr);
    const png = PNG.sync.read(readFileSync(file));
    assert.deepEqual([png.width, png.height], [280, 280]);
    // The corner is background: white.
    assert.deepEqual([...png.data.subarray(0, 3)], [255, 255, 255]);
  });

  it('reads gzip files', async () => {
    const gz = writeMnistSubset({ train: 300, test: 100 }, { gzip: true });
    const run = await mnistlab(
      'train',
      '--data',
      gz,
      '--validation-size',
      '50',
      '--epochs',
      '1',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Accuracy: /m);
  });
});

describe('mnistlab train refuses bad flags with exit code 2', () => {
  const cases: Array<[string[], string]> = [
    [
      ['--batch-size', '-5'],
      "error: option '--batch-size <n>' argument '-5' is invalid. Expected a positive integer.",
    ],
    [
      ['--epochs', 'abc'],
      "error: option '--epochs <n>' argument 'abc' is invalid. Expected a positive integer.",
    ],
    [
      ['--epochs', '1.5'],
      "error: option '--epochs <n>' argument '1.5' is invalid. Expected a positive integer.",
    ],
    [
      ['--learning-rate', '0'],
      "error: option '--learning-rate <rate>' argument '0' is invalid. Expected a positive number.",
    ],
    [
      ['--init', 'ones'],
      "error: option '--init <how>' argument 'ones' is invalid. Allowed " +
        'choices are normal, truncated-normal, zeros, xavier, xavier-normal, ' +
        'he.',
    ],
    [
      ['--seed', '-1'],
      "error: option '--seed <n>' argument '-1' is invalid. Expected an " +
        'integer from 0 to 4294967295.',
    ],
    [
      ['--epochs', '1e3'],
      "error: option '--epochs <n>' argument '1e3' is invalid. Expected a positive integer.",
    ],
    [
      ['--epochs', '0x10'],
      "error: option '--epochs <n>' argument '0x10' is invalid. Expected a positive integer.",
    ],
    [
      ['--epochs', ' 5'],
      "error: option '--epochs <n>' argument ' 5' is invalid. Expected a positive integer.",
    ],
    [
      ['--learning-rate', 'Infinity'],
      "error: option '--learning-rate <rate>' argument 'Infinity' is " +
        'invalid. Expected a positive number.',
    ],
    [['--epochs'], "error: option '--epochs <n>' argument missing"],
    [
      ['--threads', '0'],
      "error: option '--threads <n>' argument '0' is invalid. Expected a positive integer.",
    ],
    [
      ['--kernels', 'cpu', '--threads', '2'],
      'error: --threads applies to the wasm kernels; the cpu ones run on one thread',
    ],
    [['--no-such-flag'], "error: unknown option '--no-such-flag'"],
  ];
  for (const [args, message] of cases) {
    it(`for ${args.join(' ')}`, async () => {
      const run = await mnistlab('train', ...args);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr, `${message}\n(add --help for usage)\n`);
    });
  }

  it('for a validation size larger than the training set', async () => {
    const run = await mnistlab(
      'train',
      '--data',
      small,
      '--validation-size',
      '600',
    );
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      "error: option '--validation-size <n>' argument '600' is invalid: " +
        'expected a validation size from 0 to 599 (there are 600 ' +
        'training images) but found 600\n(add --help for usage)\n',
    );
  });
});

describe('the mnistlab bin', () => {
  it('is executable, as npx needs it to be', () => {
    assert.doesNotThrow(() => accessSync(MAIN, constants.X_OK));
  });
});

describe('mnistlab help and version', () => {
  it('exits 0 when help or the version is asked for', async () => {
    for (const args of [
      ['--help'],
      ['help'],
      ['help', 'train'],
      ['train', '--help'],
    ]) {
      const run = await mnistlab(...args);
      assert.equal(run.code, 0, args.join(' '));
      assert.match(run.stdout, /^Usage: mnistlab/);
    }
    const version = await mnistlab('--version');
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 with the usage when no command is given', async () => {
    const run = await mnistlab();
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^Usage: mnistlab/);
  });
});

describe('mnistlab train checks --sample-png before training', () => {
  it('names a folder that does not exist', async () => {
    const file = '/no/such/folder/digit.png';
    const run = await mnistlab('train', ...SMALL, '--sample-png', file);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      `error: --sample-png ${file}: expected a file path in a writable ` +
        'folder but found no folder /no/such/folder\n',
    );
  });

  it('refuses a folder as the file', async () => {
    const dir = makeTempDir();
    const run = await mnistlab('train', ...SMALL, '--sample-png', dir);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /expected a file path in a writable folder but found a folder\n$/,
    );
  });
});

describe('mnistlab train explains bad data files and exits with 1', () => {
  function folderWith(damage: (dir: string) => void): string {
    const dir = writeMnistSubset({ train: 200, test: 50 });
    damage(dir);
    return dir;
  }

  async function assertFails(dir: string, message: string) {
    const run = await mnistlab(
      'train',
      '--data',
      dir,
      '--validation-size',
      '10',
    );
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `error: ${message}\n`);
    assert.equal(run.stdout, '');
  }

  it('a saved HTML page in place of the images', async () => {
    const dir = folderWith((d) =>
      writeFileSync(
        path.join(d, 'train-images-idx3-ubyte'),
        '<!DOCTYPE html><html></html>',
      ),
    );
    await assertFails(
      dir,
      `${dir}/train-images-idx3-ubyte: expected an IDX images file (magic 2051) ` +
        'but found bytes 3c 21 44 4f ("<!DO"), which is neither IDX nor gzip; ' +
        'is it a web page saved by a failed download?',
    );
  });

  it('images and labels swapped', async () => {
    const dir = folderWith((d) => {
      const images = readFileSync(path.join(d, 'train-images-idx3-ubyte'));
      const labels = readFileSync(path.join(d, 'train-labels-idx1-ubyte'));
      writeFileSync(path.join(d, 'train-images-idx3-ubyte'), labels);
      writeFileSync(path.join(d, 'train-labels-idx1-ubyte'), images);
    });
    await assertFails(
      dir,
      `${dir}/train-images-idx3-ubyte: expected an IDX images file (magic 2051) ` +
        'but found magic 2049, which is an IDX labels file; are the images ' +
        'and labels files swapped?',
    );
  });

  it('a header that declares more images than the file holds', async () => {
    const dir = folderWith((d) => {
      const file = path.join(d, 't10k-images-idx3-ubyte');
      const bytes = readFileSync(file);
      bytes.writeUInt32BE(10000, 4);
      writeFileSync(file, bytes);
    });
    await assertFails(
      dir,
      `${dir}/t10k-images-idx3-ubyte: expected 7840016 bytes (16 of header, ` +
        'then 10000 images of 28x28) as the header declares, but found ' +
        '39216 bytes, room for 50 images; is the file truncated?',
    );
  });

  it('a gzip file cut off halfway', async () => {
    const dir = folderWith((d) => {
      const file = path.join(d, 'train-labels-idx1-ubyte');
      const packed = gzipSync(readFileSync(file));
      writeBytes(file, packed.subarray(0, packed.length >> 1));
    });
    await assertFails(
      dir,
      `${dir}/train-labels-idx1-ubyte: expected a complete gzip file but ` +
        'found a truncated or corrupt one (zlib: unexpected end of file)',
    );
  });

  it('a folder without the MNIST files', async () => {
    const dir = makeTempDir();
    const run = await mnistlab('train', '--data', dir);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`^error: .*${dir}.*train-images-idx3-ubyte`),
    );
  });
});

describe('mnistlab train with layer models', () => {
  it('builds and trains the stack --layers describes', async () => {
    const run = await mnistlab(
      'train',
      ...SMALL.slice(0, 4),
      '--epochs',
      '2',
      '--batch-size',
      '10',
      '--layers',
      'dense:32,relu,dense:10',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    for (const epoch of [1, 2]) {
      assert.match(
        lines[epoch - 1],
        new RegExp(
          `^Epoch: 000${epoch}, Cost: \\d+\\.\\d{9}, Validation accuracy: 0\\.\\d{4}$`,
        ),
      );
    }
    assert.equal(lines[2], 'Learning finished');
    const result = jsonOf(run);
    assert.equal(result.model, 'layers');
    assert.equal(result.layers, 'dense:32,relu,dense:10');
    assert.equal(result.optimizer, 'adam');
    assert.equal((result.validationAccuracy as number[]).length, 2);
    assert.ok((result.testAccuracy as number) > 0.5);
  });

  it('names the bad token of a --layers spec, exit code 2', async () => {
    const run = await mnistlab('train', '--layers', 'dense:10,relu,pool:2');
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      new RegExp(
        String.raw`^error: --layers: expected a layer \(dense, .*\) but ` +
          String.raw`found 'pool:2' \(layer 3 of 'dense:10,relu,pool:2'\)` +
          String.raw`\n\(add --help for usage\)\n$`,
      ),
    );
  });

  const misfits: Array<[string, string]> = [
    [
      'conv:8:3,dense:10',
      'layer 2 (dense:10) cannot take an input of [28, 28, 8]: dense: ' +
        'expected a flat input but found [28, 28, 8]; add flatten before it',
    ],
    [
      'dense:7',
      'expected the last layer to give 10 outputs, one per digit, but ' +
        'found [7]; end with dense:10',
    ],
    [
      'dense:3000000,dense:10',
      'expected layers of at most 33554432 weights each but found one of ' +
        '[784, 3000000] (2352000000)',
    ],
  ];
  for (const [spec, message] of misfits) {
    it(`refuses the stack ${spec} before training, exit code 2`, async () => {
      const run = await mnistlab('train', ...SMALL, '--layers', spec);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.ok(
        run.stderr.startsWith(`error: --layers: ${message}`),
        run.stderr,
      );
    });
  }

  it('refuses a batch whose working memory is far too large', async () => {
    const run = await mnistlab(
      'train',
      ...SMALL,
      '--layers',
      'conv:2:99,flatten,dense:10',
    );
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: a batch of 100 needs about \d+ floats/);
  });

  it('stops a run whose cost explodes, even while it stays finite', async () => {
    const run = await mnistlab(
      'train',
      ...SMALL,
      '--model',
      'mlp',
      '--learning-rate',
      '1000000',
    );
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        String.raw`^error: training diverged: the cost became \d\.\d+e\+\d+ ` +
          String.raw`at epoch 1, step \d+, with learning rate 1000000\. ` +
          String.raw`Try a lower learning rate\.\n$`,
      ),
    );
    assert.doesNotMatch(run.stdout, /Accuracy/);
  });

  it("refuses flags the lab's softmax run has no use for", async () => {
    const run = await mnistlab('train', '--optimizer', 'adam');
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      "error: --optimizer adam is not the lab's (sgd); pick --model mlp or " +
        'cnn, or give --layers\n(add --help for usage)\n',
    );
  });
});

describe('mnistlab train in a terminal', () => {
  // util-linux's script(1) gives the run a pseudo-terminal, so the
  // progress bar is drawn.
  const hasScript = existsSync('/usr/bin/script');

  it(
    'clears its progress bar and exits after a failure',
    { skip: !hasScript },
    async () => {
      const command = [
        process.execPath,
        MAIN,
        'train',
        ...SMALL,
        '--learning-rate',
        '1000',
      ];
      const run = await promisify(execFile)(
        '/usr/bin/script',
        ['-qec', command.join(' '), '/dev/null'],
        {
          timeout: 60_000,
        },
      ).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string; killed: boolean }) => ({
          code: error.killed ? -1 : error.code,
          stdout: error.stdout,
        }),
      );
      assert.equal(run.code, 1, 'exits 1 rather than hanging');
      assert.match(run.stdout, /Epoch 0001 \[/, 'the bar was drawn');
      assert.match(run.stdout, /\x1b\[2Kerror: training diverged/);
    },
  );
});

describe('mnistlab train on the whole of MNIST', () => {
  it("reproduces the lab's figures, and zero initialisation beats them", async () => {
    const [lab, zeros] = await Promise.all([
      mnistlab('train', '--json', '--no-sample'),
      mnistlab('train', '--json', '--no-sample', '--init', 'zeros'),
    ]);
    assert.equal(lab.code, 0, lab.stderr);
    const result = jsonOf(lab);
    const costs = result.costs as number[];
    assert.equal(costs.length, 15);
    assert.equal(result.trainExamples, 55000);
    assert.ok(
      costs[14] >= 0.44 && costs[14] <= 0.48,
      `final cost ${costs[14]}`,
    );
    const accuracy = result.testAccuracy as number;
    assert.ok(accuracy >= 0.88 && accuracy <= 0.91, `accuracy ${accuracy}`);
    assert.ok((jsonOf(zeros).testAccuracy as number) >= 0.915);
    // The printout itself is pinned: a kernel change that alters float32
    // rounding shows here first, and must be a conscious one.
    assert.match(lab.stdout, /^Epoch: 0015, Cost: 0\.470415658$/m);
    assert.match(lab.stdout, /^Accuracy: {2}0\.8871$/m);
  });

  it('stops at once when the cost diverges, naming the epoch', async () => {
    const run = await mnistlab('train', '--learning-rate', '1000');
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        String.raw`^error: training diverged: the cost became (NaN|Infinity) ` +
          String.raw`at epoch 1, step \d+, with learning rate 1000; the ` +
          String.raw`logits reach \d\.\d\de\+\d+, so probabilities round ` +
          String.raw`to 0\. Try a lower learning rate \(the lab uses 0\.1\)\.\n$`,
      ),
    );
    assert.doesNotMatch(run.stdout, /Accuracy|NaN/);
  });
});
