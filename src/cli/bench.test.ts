// `mnistlab bench` as a user runs it, on 100 training digits past the
// 5,000 held out, with its flags checked; no full bench here.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';

import { writeMnistSubset } from '../data/fixtures.js';
import { benchSettings, DEFAULT_MAX_SECONDS, progressLine } from './bench.js';
import { choiceList } from './options.js';
import { mnistlab } from './run.test.helper.js';

describe('choiceList', () => {
  const configs = choiceList(['softmax', 'mlp', 'cnn'] as const);
  const peers = choiceList(['pytorch', 'tfjs-cpu'] as const, { none: true });

  it('reads a comma-separated list, in order, repeats dropped', () => {
    assert.deepEqual(configs('cnn, softmax,cnn'), ['cnn', 'softmax']);
  });

  it('takes none for the empty list only where allowed', () => {
    assert.deepEqual(peers('none'), []);
    assert.throws(() => configs('none'), InvalidArgumentError);
  });

  it('names the word it does not know and the words it does', () => {
    assert.throws(() => peers('pytorch,tfjs'), {
      message:
        'Expected a comma-separated list of pytorch, tfjs-cpu (or none) ' +
        "but found 'tfjs'.",
    });
  });
});

describe('benchSettings', () => {
  const settings = benchSettings({
    configs: ['mlp'],
    peers: ['pytorch'],
    maxSeconds: DEFAULT_MAX_SECONDS,
    python: '/usr/bin/python3',
  });

  it('finds the PyTorch peer in ../shared/peers beside the repository', () => {
    // This test is dist/src/cli/bench.test.js.
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    assert.equal(
      settings.pytorchScript,
      path.resolve(root, '../shared/peers/pytorch_mnist.py'),
    );
  });

  it('times the whole train command on the same data', () => {
    assert.deepEqual(settings.trainCommand?.args.slice(1), [
      'train',
      '--json',
      '--data',
      settings.dataDir,
    ]);
  });
});

describe('progressLine', () => {
  it('has fixed fields: config, runner, state, seconds', () => {
    assert.equal(
      progressLine({
        config: 'mlp',
        runner: 'pytorch',
        state: 'done',
        seconds: 3.14159,
        detail: '2 threads',
      }),
      'bench: mlp     pytorch        done 3.14 s (2 threads)',
    );
    assert.equal(
      progressLine({
        config: 'cnn',
        runner: 'tfjs-cpu',
        state: 'skipped',
        seconds: 0,
      }),
      'bench: cnn     tfjs-cpu       skipped',
    );
  });
});

describe('mnistlab bench', () => {
  const SMALL = [
    'bench',
    '--data',
    writeMnistSubset({ train: 5100, test: 100 }),
  ];

  it('refuses an unknown configuration as a usage error', async () => {
    const run = await mnistlab('bench', '--configs', 'softmax,rnn');
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /Expected a comma-separated list of softmax, mlp, cnn but found 'rnn'/,
    );
  });

  it('refuses a limit that is not a positive number', async () => {
    const run = await mnistlab('bench', '--max-seconds', '0');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /'--max-seconds <s>' argument '0' is invalid/);
  });

  it('names a data folder without MNIST before running anything', async () => {
    const run = await mnistlab('bench', '--data', '/nonexistent');
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'error: /nonexistent: expected a folder holding the MNIST files but ' +
        'found nothing\n',
    );
  });

  it('prints a table, with a note for a peer it cannot run', async () => {
    const run = await mnistlab(
      ...SMALL,
      '--configs',
      'softmax',
      '--peers',
      'pytorch',
      '--python',
      '/nonexistent/python3',
      // A script that exists wherever the checkout is, so that the
      // missing Python is what the note names.
      '--pytorch-script',
      fileURLToPath(import.meta.url),
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    assert.match(lines[0], /^\| config +\| runner +\| train s \|/);
    assert.match(
      lines[2],
      /^\| softmax \| mnistlab train \(whole command\) \|/,
    );
    assert.match(
      lines[3],
      /^\| softmax \| mnistlab \d+\.\d+\.\d+, \d+ threads? +\|/,
    );
    assert.ok(
      lines.some((line) =>
        line.startsWith('- pytorch: skipped: expected /nonexistent/python3'),
      ),
      run.stdout,
    );
    assert.match(run.stderr, /^bench: softmax mnistlab train started\n/);
  });

  it('prints one JSON line under --json', async () => {
    const run = await mnistlab(
      ...SMALL,
      '--configs',
      'mlp',
      '--peers',
      'none',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trimEnd().split('\n').length, 1);
    const result = JSON.parse(run.stdout);
    assert.deepEqual(
      result.rows.map((row: { role: string }) => row.role),
      ['ours'],
    );
    assert.equal(result.rows[0].config, 'mlp');
    assert.deepEqual(result.notes, []);
  });
});
