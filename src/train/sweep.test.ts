// sweepLearningRates on a stand-in trainer: every rate is tried, and each
// run is marked learned, barely moved or diverged.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TrainingDivergedError } from '../nn/diverged.js';
import { sweepLearningRates, type RateTrainer } from './sweep.js';

/** Loss 10 falling by `rate` a step, blowing up past rate 5. */
const trainer: RateTrainer = (rate, onStep, onEpochEnd) => {
  let loss = 10;
  for (let epoch = 1; epoch <= 3; epoch++) {
    let total = 0;
    for (let step = 1; step <= 4; step++) {
      onStep(loss);
      if (rate > 5 && epoch === 2 && step === 3) {
        throw new TrainingDivergedError(epoch, step, NaN, rate);
      }
      total += loss;
      loss = Math.max(0.1, loss - rate);
    }
    onEpochEnd(total / 4);
  }
  return { costs: [], validationAccuracy: 0.5, testAccuracy: 0.6 };
};

describe('sweepLearningRates', () => {
  it('marks runs that learned, barely moved and diverged', () => {
    const started: number[] = [];
    const runs = sweepLearningRates([0.001, 1, 10], trainer, {
      onRunStart: (rate) => started.push(rate),
    });
    assert.deepEqual(started, [0.001, 1, 10]);
    assert.deepEqual(
      runs.map((run) => run.status),
      ['barely moved', 'learned', 'diverged'],
    );
    const [slow, good, blown] = runs;
    assert.equal(slow.costs.length, 3);
    assert.equal(slow.firstLoss, 10);
    assert.equal(good.testAccuracy, 0.6);
    assert.equal(blown.costs.length, 1);
    assert.equal(blown.testAccuracy, null);
    assert.match(
      blown.divergence!,
      /training diverged: the cost became NaN at epoch 2, step 3/,
    );
    // Its curve ends at the finite losses of epoch 2.
    assert.ok(Math.abs(blown.lastCost! - 0.1) < 1e-12);
  });

  it('lets other errors through', () => {
    assert.throws(
      () =>
        sweepLearningRates([1], () => {
          throw new Error('disk full');
        }),
      /disk full/,
    );
  });
});
