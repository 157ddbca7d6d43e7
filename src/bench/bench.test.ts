import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { makeTempDir, writeMnistSubset } from '../data/fixtures.js';
import {
  peersMissing,
  runBench,
  withRatios,
  type BenchEvent,
  type BenchRow,
  type BenchSettings,
} from './bench.js';

// 100 images past the 5,000 held out: one step an epoch.
const small = writeMnistSubset({ train: 5100, test: 100 });
const script = path.join(makeTempDir(), 'pytorch_mnist.py');
writeFileSync(script, '');

const SETTINGS: BenchSettings = {
  configs: ['softmax'],
  peers: [],
  maxSeconds: 60,
  dataDir: small,
  python: '/nonexistent/python3',
  pytorchScript: script,
};

function row(
  config: BenchRow['config'],
  role: BenchRow['role'],
  trainSeconds: number,
): BenchRow {
  return {
    config,
    runner: role,
    role,
    trainSeconds,
    testAccuracy: 0.9,
    inferSeconds: null,
    peakRssMb: null,
    wallSeconds: trainSeconds + 1,
    threads: null,
    oursPerPeer: null,
  };
}

describe('withRatios', () => {
  it("divides our train seconds by each peer's on the same config", () => {
    const rows = withRatios([
      row('softmax', 'command', 1),
      row('softmax', 'ours', 12),
      row('softmax', 'peer', 3),
      row('mlp', 'ours', 10),
      row('mlp', 'peer', 40),
      row('cnn', 'peer', 5),
    ]);
    assert.deepEqual(
      rows.map((r) => r.oursPerPeer),
      [null, null, 4, null, 0.25, null],
    );
  });
});

describe('peersMissing', () => {
  it('skips PyTorch with a note when Python is not there', async () => {
    const missing = await peersMissing({ ...SETTINGS, peers: ['pytorch'] });
    assert.match(
      missing.get('pytorch') ?? '',
      /^expected \/nonexistent\/python3 to import torch but it could not start/,
    );
  });

  it('skips PyTorch with a note when the script is not there', async () => {
    const missing = await peersMissing({
      ...SETTINGS,
      peers: ['pytorch'],
      pytorchScript: '/nonexistent/pytorch_mnist.py',
    });
    assert.equal(
      missing.get('pytorch'),
      'expected the peer script at /nonexistent/pytorch_mnist.py but ' +
        'found nothing (give --pytorch-script PATH)',
    );
  });

  it('skips PyTorch when the data is not raw IDX files', async () => {
    const gzipped = writeMnistSubset({ train: 10, test: 10 }, { gzip: true });
    const missing = await peersMissing({
      ...SETTINGS,
      peers: ['pytorch'],
      dataDir: gzipped,
    });
    assert.match(
      missing.get('pytorch') ?? '',
      /^expected the raw files train-images-idx3-ubyte, .* but found no /,
    );
  });

  it('finds the TF.js peers installed', async () => {
    const missing = await peersMissing({
      ...SETTINGS,
      peers: ['tfjs-cpu', 'tfjs-wasm'],
    });
    assert.equal(missing.size, 0);
  });
});

describe('runBench', () => {
  it('runs ours and makes a missing peer a note, not a failure', async () => {
    const events: BenchEvent[] = [];
    const result = await runBench(
      { ...SETTINGS, peers: ['pytorch'], threads: 2 },
      { onProgress: (event) => events.push(event) },
    );
    assert.equal(result.rows.length, 1);
    const [ours] = result.rows;
    assert.equal(ours.role, 'ours');
    assert.match(ours.runner, /^mnistlab \d+\.\d+\.\d+, 2 threads$/);
    assert.equal(ours.threads, 2);
    assert.ok(ours.trainSeconds > 0 && ours.wallSeconds > ours.trainSeconds);
    assert.ok(ours.testAccuracy >= 0 && ours.testAccuracy <= 1);
    assert.ok((ours.inferSeconds ?? -1) >= 0);
    assert.ok((ours.peakRssMb ?? 0) > 10);
    assert.deepEqual(
      result.notes.map(({ runner, config, kind }) => [runner, config, kind]),
      [['pytorch', null, 'skipped']],
    );
    assert.deepEqual(
      events.map((e) => `${e.config} ${e.runner} ${e.state}`),
      ['softmax mnistlab started', 'softmax mnistlab done'],
    );
  });

  it('stops a run that passes the limit and notes it', async () => {
    const result = await runBench({ ...SETTINGS, maxSeconds: 0.05 });
    assert.deepEqual(result.rows, []);
    assert.equal(result.notes.length, 1);
    const [note] = result.notes;
    assert.deepEqual([note.runner, note.kind], ['mnistlab', 'timed out']);
    assert.equal(note.text, 'timed out after 0 s');
  });

  it('skips a run known to take longer than the limit', async () => {
    const events: BenchEvent[] = [];
    const result = await runBench(
      { ...SETTINGS, configs: ['cnn'], peers: ['tfjs-cpu'], maxSeconds: 10 },
      { onProgress: (event) => events.push(event) },
    );
    assert.deepEqual(
      result.rows.map((r) => r.role),
      ['ours'],
    );
    const [note] = result.notes;
    assert.deepEqual([note.runner, note.config], ['tfjs-cpu', 'cnn']);
    assert.match(
      note.text,
      /^skipped: expected to take about \d+ s, over the limit of 10 s per run$/,
    );
    assert.deepEqual(
      events.map((e) => `${e.runner} ${e.state}`),
      ['mnistlab started', 'mnistlab done', 'tfjs-cpu skipped'],
    );
  });

  it('times the whole train command as a softmax row', async () => {
    const result = await runBench({
      ...SETTINGS,
      configs: ['softmax'],
      trainCommand: {
        command: process.execPath,
        args: [
          '-e',
          'console.log(JSON.stringify({trainSeconds: 0.5, testAccuracy: 0.9}))',
        ],
      },
    });
    const command = result.rows.find((r) => r.role === 'command');
    assert.equal(command?.runner, 'mnistlab train (whole command)');
    assert.equal(command?.trainSeconds, 0.5);
    assert.equal(command?.oursPerPeer, null);
  });
});
