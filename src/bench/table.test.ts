import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { BenchResult, BenchRow } from './bench.js';
import { formatBench, rowCells } from './table.js';

const OURS: BenchRow = {
  config: 'mlp',
  runner: 'mnistlab 0.1.0',
  role: 'ours',
  trainSeconds: 15.123,
  testAccuracy: 0.95671,
  inferSeconds: 0.456,
  peakRssMb: 301.6,
  wallSeconds: 16.5,
  threads: 1,
  oursPerPeer: null,
};

const PEER: BenchRow = {
  ...OURS,
  runner: 'pytorch 1.13.0, 2 threads',
  role: 'peer',
  trainSeconds: 3,
  inferSeconds: null,
  peakRssMb: null,
  threads: 2,
  oursPerPeer: 5.041,
};

const RESULT: BenchResult = {
  rows: [OURS, PEER],
  notes: [
    {
      runner: 'tfjs-cpu',
      config: 'cnn',
      kind: 'timed out',
      text: 'timed out after 120 s',
    },
    {
      runner: 'pytorch',
      config: null,
      kind: 'skipped',
      text: 'skipped: expected python to import torch',
    },
  ],
  machine: {
    cpus: 2,
    cpuModel: 'Some CPU',
    node: 'v20.20.2',
    loadAverage: 0.5,
  },
  maxSeconds: 120,
};

describe('rowCells', () => {
  it('gives each column its fixed decimals', () => {
    assert.deepEqual(rowCells(OURS), [
      'mlp',
      'mnistlab 0.1.0',
      '15.12',
      '0.9567',
      '-',
      '0.46',
      '302',
      '16.50',
    ]);
  });

  it("shows what a runner did not measure as '-'", () => {
    const cells = rowCells(PEER);
    assert.equal(cells[4], '5.04');
    assert.equal(cells[5], '-');
    assert.equal(cells[6], '-');
  });
});

describe('formatBench', () => {
  const lines = formatBench(RESULT).split('\n');

  it('starts with a Markdown table, header, rule and one line a row', () => {
    assert.match(
      lines[0],
      new RegExp(
        '^\\| config +\\| runner +\\| train s \\| test acc \\| ' +
          'ours/peer \\| infer s \\| peak RSS MB \\| wall s \\|$',
      ),
    );
    assert.match(lines[1], /^\| :-+ \| :-+ \| -+: \|/);
    assert.match(lines[2], /^\| mlp +\| mnistlab 0\.1\.0 +\| +15\.12 \|/);
    assert.match(lines[3], /\| +5\.04 \| +- \| +- \| +16\.50 \|$/);
    assert.equal(lines[4], '');
  });

  it('lists each note under the runner and configuration it is about', () => {
    assert.ok(lines.includes('- tfjs-cpu cnn: timed out after 120 s'));
    assert.ok(
      lines.includes('- pytorch: skipped: expected python to import torch'),
    );
  });

  it('ends with the machine, its load and the limit per run', () => {
    assert.deepEqual(lines.slice(-2), [
      'Machine: 2 CPUs (Some CPU), Node v20.20.2, load 0.50 at the start.',
      'Limit: 120 s per run.',
    ]);
  });

  it('keeps every line but the table within 80 columns', () => {
    const text = lines.filter((line) => !line.startsWith('|'));
    for (const line of text) assert.ok(line.length <= 80, line);
  });
});
