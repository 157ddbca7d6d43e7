// Interrupting `mnistlab train --save` and going on with `--resume`: after
// Ctrl-C, SIGTERM or a SIGKILL at a random moment, the resumed run prints
// and saves exactly what the uninterrupted run does. Bad resumes are
// refused with a message.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { makeTempDir, writeMnistSubset } from '../data/fixtures.js';
import { Random } from '../util/random.js';
import { mnistlab, type Run } from './run.test.helper.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
// 15,000 digits to train on: an MLP takes about a second an epoch.
const subset = writeMnistSubset({ train: 20000, test: 500 });
const MLP = ['--model', 'mlp', '--epochs', '3', '--data', subset];
const random = new Random(20261204);

interface Interrupted extends Run {
  signal: NodeJS.Signals | null;
}

/**
 * Starts `mnistlab train ...args --save dir`, waits for its first
 * checkpoint, then `delayMs` more, and sends `signals`, 1 ms apart.
 */
async function interrupt(
  args: string[],
  dir: string,
  delayMs: number,
  signals: NodeJS.Signals[],
): Promise<Interrupted> {
  const child = spawn(process.execPath, [
    MAIN,
    'train',
    ...args,
    '--save',
    dir,
    '--checkpoint-every',
    '0.05',
  ]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<Interrupted>((resolve) =>
    child.on('exit', (code, signal) =>
      resolve({ code: code ?? -1, signal, stdout, stderr }),
    ),
  );
  const checkpoint = path.join(dir, 'checkpoint.json');
  while (!fs.existsSync(checkpoint) && child.exitCode === null) {
    await new Promise((wake) => setTimeout(wake, 5));
  }
  await new Promise((wake) => setTimeout(wake, delayMs));
  for (const signal of signals) {
    child.kill(signal);
    await new Promise((wake) => setTimeout(wake, 1));
  }
  return exited;
}

/** The last line's JSON, without the timings that differ run to run. */
function results(run: Run): Record<string, unknown> {
  const json = JSON.parse(run.stdout.trimEnd().split('\n').at(-1)!);
  delete json.trainSeconds;
  delete json.totalSeconds;
  return json;
}

/** The printout before the JSON line. */
function printout(run: Run): string {
  return run.stdout.trimEnd().split('\n').slice(0, -1).join('\n');
}

async function reference(args: string[]) {
  const dir = makeTempDir();
  const run = await mnistlab('train', ...args, '--json', '--save', dir);
  assert.equal(run.code, 0, run.stderr);
  return { run, model: fs.readFileSync(path.join(dir, 'model.json')) };
}

describe('mnistlab train --resume', () => {
  it('ends as the uninterrupted lab after Ctrl-C or SIGTERM', async () => {
    const whole = await reference(['--json']);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const dir = makeTempDir();
      const delay = random.int(400);
      const cut = await interrupt(['--json'], dir, delay, [signal]);
      assert.equal(cut.code, 130, `${signal} after ${delay} ms: ${cut.stderr}`);
      assert.match(
        cut.stderr,
        new RegExp(
          `error: interrupted \\(${signal}\\) at epoch \\d+, step \\d+ of 550; ` +
            `the run is saved in ${dir}: go on with mnistlab train --resume ${dir}`,
        ),
      );
      const resumed = await mnistlab('train', '--resume', dir, '--json');
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(
        resumed.stderr,
        /resuming the run in .* from epoch \d+, step \d+/,
      );
      assert.deepEqual(results(resumed), results(whole.run));
      assert.equal(printout(resumed), printout(whole.run));
      assert.deepEqual(
        fs.readFileSync(path.join(dir, 'model.json')),
        whole.model,
      );
      // The run is over: only the model is left.
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => !f.startsWith('weights-')),
        ['model.json'],
      );
    }
  });

  it('ends as the uninterrupted MLP (dropout, Adam) after SIGKILL at random moments', async () => {
    const whole = await reference(MLP);
    for (let trial = 0; trial < 2; trial++) {
      const dir = makeTempDir();
      const delay = random.int(1500);
      const cut = await interrupt([...MLP, '--json'], dir, delay, ['SIGKILL']);
      assert.equal(
        cut.signal,
        'SIGKILL',
        `killed after ${delay} ms: ${cut.stderr}`,
      );
      const resumed = await mnistlab('train', '--resume', dir, '--json');
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(
        results(resumed),
        results(whole.run),
        `killed after ${delay} ms`,
      );
      assert.deepEqual(
        fs.readFileSync(path.join(dir, 'model.json')),
        whole.model,
      );
    }
  });

  it('ends at once on Ctrl-C while testing, and resumes to the same end', async () => {
    const one = [
      ...MLP.slice(0, 2),
      '--epochs',
      '1',
      ...MLP.slice(4),
      '--json',
    ];
    const whole = await reference(one);
    const dir = makeTempDir();
    const child = spawn(process.execPath, [
      MAIN,
      'train',
      ...one,
      '--save',
      dir,
    ]);
    // The epoch's line comes as testing starts.
    await new Promise<void>((resolve) =>
      child.stdout.on(
        'data',
        (chunk) => String(chunk).includes('Epoch: 0001') && resolve(),
      ),
    );
    const started = Date.now();
    child.kill('SIGINT');
    const signal = await new Promise((resolve) =>
      child.on('exit', (_, s) => resolve(s)),
    );
    assert.equal(signal, 'SIGINT');
    assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms to end`);
    const resumed = await mnistlab('train', '--resume', dir, '--json');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(results(resumed), results(whole.run));
    assert.deepEqual(
      fs.readFileSync(path.join(dir, 'model.json')),
      whole.model,
    );
  });

  it('keeps a second run out of a folder a run is saving to', async () => {
    const dir = makeTempDir();
    const args = ['train', ...MLP, '--save', dir, '--checkpoint-every', '0.05'];
    const child = spawn(process.execPath, [MAIN, ...args]);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    while (!fs.existsSync(path.join(dir, 'train.lock'))) {
      await new Promise((wake) => setTimeout(wake, 5));
    }
    const second = await mnistlab('train', ...MLP, '--save', dir);
    assert.equal(second.code, 2);
    assert.match(
      second.stderr,
      new RegExp(
        `error: --save ${dir} is in use by another mnistlab train ` +
          `\\(process ${child.pid}\\); wait for it, or save elsewhere`,
      ),
    );
    // Interrupted once training is under way, it lets the folder go.
    while (!fs.existsSync(path.join(dir, 'checkpoint.json'))) {
      await new Promise((wake) => setTimeout(wake, 5));
    }
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.equal(fs.existsSync(path.join(dir, 'train.lock')), false);
  });

  it('leaves at once on a second Ctrl-C, the checkpoint whole', async () => {
    const dir = makeTempDir();
    const cut = await interrupt([...MLP, '--json'], dir, 100, [
      'SIGINT',
      'SIGINT',
    ]);
    assert.equal(cut.code, 130, cut.stderr);
    const resumed = await mnistlab('train', '--resume', dir, '--json');
    assert.equal(resumed.code, 0, resumed.stderr);
  });

  it('refuses flags that would change the run, and folders without a checkpoint', async () => {
    const empty = makeTempDir();
    const flags = await mnistlab(
      'train',
      '--resume',
      empty,
      '--epochs',
      '3',
      '--seed',
      '1',
    );
    assert.equal(flags.code, 2);
    assert.match(
      flags.stderr,
      /error: --resume goes on with the run's own settings; drop --epochs, --seed/,
    );
    const missing = await mnistlab('train', '--resume', `${empty}/nothing`);
    assert.match(
      missing.stderr,
      /nothing: no such folder, so no run to resume/,
    );
    const none = await mnistlab('train', '--resume', empty);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      new RegExp(
        `error: ${empty}: no checkpoint to resume \\(a run that ends removes ` +
          'its checkpoint; its model is in model.json\\)',
      ),
    );
  });

  it('refuses a damaged checkpoint, naming the file', async () => {
    const dir = makeTempDir();
    const cut = await interrupt(MLP, dir, 50, ['SIGINT']);
    assert.equal(cut.code, 130, cut.stderr);
    // Nor does a new run replace the interrupted one unasked.
    const over = await mnistlab('train', ...MLP, '--save', dir);
    assert.equal(over.code, 2);
    assert.match(
      over.stderr,
      new RegExp(
        `error: --save ${dir} holds an interrupted run: go on with it with ` +
          `mnistlab train --resume ${dir}, or remove ${dir}/checkpoint.json ` +
          'to start afresh',
      ),
    );
    const arrays = fs
      .readdirSync(dir)
      .find((f) => f.startsWith('checkpoint-'))!;
    const file = path.join(dir, arrays);
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 1;
    fs.writeFileSync(file, bytes);
    const damaged = await mnistlab('train', '--resume', dir);
    assert.equal(damaged.code, 1);
    assert.match(
      damaged.stderr,
      new RegExp(
        `error: ${file}: the arrays do not match the checksum in ` +
          'checkpoint.json: the file is damaged or was changed',
      ),
    );
    fs.writeFileSync(file, bytes.subarray(0, 1000));
    const truncated = await mnistlab('train', '--resume', dir);
    assert.match(truncated.stderr, /bytes of checkpoint arrays but found 1000/);
  });

  it('refuses a checkpoint edited to another place or order', async () => {
    const dir = makeTempDir();
    const cut = await interrupt(MLP, dir, 50, ['SIGINT']);
    assert.equal(cut.code, 130, cut.stderr);
    const jsonPath = path.join(dir, 'checkpoint.json');
    const original = fs.readFileSync(jsonPath, 'utf8');
    const edits: [(json: any) => void, RegExp][] = [
      [
        (json) => (json.position.epoch = 99),
        new RegExp(
          'the checkpoint does not fit this run: networkRun: expected a ' +
            'place in 3 epochs of 150 steps but found epoch 99',
        ),
      ],
      [
        (json) => (json.data.order = json.data.order.slice(0, 400)),
        new RegExp(
          'the checkpoint does not fit this run: DataSet.restore: ' +
            "expected an order of the set's 15000 examples",
        ),
      ],
      [
        (json) => (json.config.optimizer = 'lbfgs'),
        /the checkpoint's settings are damaged/,
      ],
    ];
    for (const [edit, message] of edits) {
      const json = JSON.parse(original);
      edit(json);
      fs.writeFileSync(jsonPath, JSON.stringify(json));
      const run = await mnistlab('train', '--resume', dir);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /bug in mnistlab/);
    }
  });
});
