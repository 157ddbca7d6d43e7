// The lab's trainer on slices of the real MNIST files.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DataSet } from '../data/dataset.js';
import { defaultDataDir } from '../data/files.js';
import { readDataSets, type DataSets } from '../data/mnist.js';
import {
  LAB_DEFAULTS,
  runLab,
  TrainingDivergedError,
  type EpochReport,
  type StepReport,
} from './lab.js';

const real = readDataSets(defaultDataDir(), { oneHot: true });

/** The first `count` training digits as a set, tested on validation. */
function slice(count: number): DataSets {
  const train = new DataSet(
    real.train.images.subarray(0, count * real.train.imageSize),
    real.train.labels.subarray(0, count),
    real.train.imageSize,
    { oneHot: true, seed: 1 },
  );
  return { ...real, train, test: real.validation };
}

describe('runLab', () => {
  it('learns 5,000 digits to above 85% on 5,000 others', () => {
    const config = { ...LAB_DEFAULTS, epochs: 5, init: 'zeros' as const };
    const result = runLab(slice(5000), config);
    assert.ok(result.testAccuracy > 0.85, `accuracy ${result.testAccuracy}`);
    assert.equal(result.costs.length, 5);
    assert.ok(result.costs[4] < result.costs[0], 'the cost falls');
  });

  it('reports every step and every epoch through its callbacks', () => {
    const steps: StepReport[] = [];
    const epochs: EpochReport[] = [];
    const config = { ...LAB_DEFAULTS, epochs: 2, batchSize: 100 };
    const result = runLab(slice(1000), config, {
      onStep: (report) => steps.push(report),
      onEpochEnd: (report) => epochs.push(report),
    });
    assert.equal(steps.length, 20);
    assert.deepEqual(steps[10], {
      ...steps[10],
      epoch: 2,
      step: 1,
      stepsPerEpoch: 10,
    });
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      [1, 2],
    );
    assert.deepEqual(
      epochs.map((e) => e.cost),
      result.costs,
    );
    const firstMean = steps.slice(0, 10).reduce((a, s) => a + s.loss, 0) / 10;
    assert.ok(Math.abs(firstMean - result.costs[0]) < 1e-5);
  });

  it('samples a test digit and reports its label and prediction', () => {
    const result = runLab(slice(500), { ...LAB_DEFAULTS, epochs: 1 });
    const { index, label, pixels } = result.sample;
    assert.equal(label, real.validation.labels[index]);
    assert.equal(pixels.length, 784);
    assert.deepEqual(
      pixels,
      real.validation.images.subarray(index * 784, (index + 1) * 784),
    );
  });

  it('stops with TrainingDivergedError when the cost is no longer finite', () => {
    const config = { ...LAB_DEFAULTS, learningRate: 1000 };
    assert.throws(
      () => runLab(slice(1000), config),
      (error: unknown) => {
        assert.ok(error instanceof TrainingDivergedError);
        assert.equal(error.epoch, 1);
        assert.ok(error.loss !== null && !Number.isFinite(error.loss));
        return true;
      },
    );
  });

  it('checks the weights after the last update of an epoch', () => {
    // One step whose loss is finite but whose update overflows.
    const config = { ...LAB_DEFAULTS, epochs: 1, batchSize: 1000 };
    assert.throws(
      () => runLab(slice(1000), { ...config, learningRate: 1e308 }),
      {
        name: 'TrainingDivergedError',
        message:
          'training diverged: the weights stopped being finite numbers at ' +
          'epoch 1, step 1, with learning rate 1e+308; the weights W hold ' +
          '-Infinity. Try a lower learning rate (the lab uses 0.1).',
      },
    );
  });

  it('rejects settings it cannot train with', () => {
    const cases: Array<[Partial<typeof LAB_DEFAULTS>, string]> = [
      [{ epochs: 0 }, 'epochs to be a positive integer but found 0'],
      [{ epochs: 1.5 }, 'epochs to be a positive integer but found 1.5'],
      [{ batchSize: NaN }, 'batchSize to be a positive integer but found NaN'],
      [
        { init: 'ones' as 'zeros' },
        `init to be 'normal' or 'zeros' but found "ones"`,
      ],
      [{ seed: -1 }, 'seed to be an integer from 0 to 4294967295 but found -1'],
    ];
    for (const [change, message] of cases) {
      assert.throws(() => runLab(slice(100), { ...LAB_DEFAULTS, ...change }), {
        name: 'RangeError',
        message: `runLab: expected ${message}`,
      });
    }
  });
});
