// mnistlab sweep on a small slice: a rate that diverges is flagged, the
// others trained, and --out writes the chart and the runs.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { makeTempDir, writeMnistSubset } from '../data/fixtures.js';
import { mnistlab } from './run.test.helper.js';

const data = writeMnistSubset({ train: 5600, test: 100 });

describe('mnistlab sweep', () => {
  it('flags a diverging rate and charts every run', async () => {
    const out = path.join(makeTempDir(), 'sweep');
    const args = ['sweep', '--data', data, '--epochs', '2'];
    const run = await mnistlab(
      ...args,
      '--learning-rates',
      '0.1,1000',
      '--out',
      out,
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(
      lines[0],
      /^learning rate +final cost +validation +test +status$/,
    );
    assert.match(
      lines[1],
      /^0\.1 +\d+\.\d{6} +0\.\d{4} +0\.\d{4} +(learned|barely moved)$/,
    );
    assert.match(lines[2], /^1000 +- +- +- +diverged at epoch 1$/);
    const svg = fs.readFileSync(path.join(out, 'costs.svg'), 'utf8');
    assert.match(svg, /^<svg/);
    assert.match(svg, /rate 0\.1/);
    const saved = JSON.parse(
      fs.readFileSync(path.join(out, 'sweep.json'), 'utf8'),
    );
    assert.deepEqual(
      saved.runs.map((r: { status: string }) => r.status === 'diverged'),
      [false, true],
    );

    const json = await mnistlab(...args, '--learning-rates', '1000', '--json');
    assert.equal(JSON.parse(json.stdout).runs[0].status, 'diverged');
  });

  it('trains each rate exactly as mnistlab train does', async () => {
    const settings = ['--data', data, '--model', 'mlp', '--epochs', '1'];
    const [sweep, train] = await Promise.all([
      mnistlab('sweep', ...settings, '--learning-rates', '0.002', '--json'),
      mnistlab('train', ...settings, '--learning-rate', '0.002', '--json'),
    ]);
    const run = JSON.parse(sweep.stdout).runs[0];
    const lines = train.stdout.trimEnd().split('\n');
    const trained = JSON.parse(lines[lines.length - 1]);
    assert.deepEqual(run.costs, trained.costs);
    assert.equal(run.testAccuracy, trained.testAccuracy);
  });

  it('refuses a rate list that is not one', async () => {
    const run = await mnistlab('sweep', '--learning-rates', '0.1,abc');
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /Expected a comma-separated list of positive learning rates/,
    );
  });
});
