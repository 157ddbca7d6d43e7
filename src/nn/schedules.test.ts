import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { constantLr, cosineDecay, stepDecay } from './schedules.js';

function assertClose(actual: number, expected: number, tolerance = 1e-12) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `expected ${expected} but found ${actual}`,
  );
}

describe('constantLr', () => {
  it('gives the same rate at every step', () => {
    const schedule = constantLr(0.05);
    assert.deepEqual([0, 1, 1000].map(schedule), [0.05, 0.05, 0.05]);
  });

  it('rejects a rate that is not positive', () => {
    assert.throws(() => constantLr(0), {
      name: 'RangeError',
      message: 'constantLr: expected learningRate > 0 but found 0',
    });
  });
});

describe('stepDecay', () => {
  const options = { initial: 0.1, decayRate: 0.5, decaySteps: 10 };

  it('decays in steps of decaySteps when staircase', () => {
    const schedule = stepDecay(options);
    // 0.1 * 0.5^floor(step / 10)
    assertClose(schedule(0), 0.1);
    assertClose(schedule(9), 0.1);
    assertClose(schedule(10), 0.05);
    assertClose(schedule(25), 0.025);
  });

  it('decays smoothly when not staircase', () => {
    const schedule = stepDecay({ ...options, staircase: false });
    // 0.1 * 0.5^(step / 10)
    assertClose(schedule(0), 0.1);
    assertClose(schedule(5), 0.1 * Math.SQRT1_2);
    assertClose(schedule(10), 0.05);
    assertClose(schedule(25), 0.1 * 0.5 ** 2.5);
  });

  it('rejects bad options and steps with their names', () => {
    assert.throws(() => stepDecay({ ...options, decaySteps: 0 }), {
      name: 'RangeError',
      message: 'stepDecay: expected decaySteps > 0 but found 0',
    });
    assert.throws(() => stepDecay({ ...options, decayRate: -0.5 }), {
      message: 'stepDecay: expected decayRate > 0 but found -0.5',
    });
    assert.throws(() => stepDecay({ ...options, initial: NaN }), {
      message: 'stepDecay: expected initial > 0 but found NaN',
    });
    assert.throws(() => stepDecay(options)(-1), {
      message: 'stepDecay: expected a step >= 0 but found -1',
    });
  });
});

describe('cosineDecay', () => {
  it('falls from initial to zero over decaySteps and holds there', () => {
    const schedule = cosineDecay({ initial: 0.2, decaySteps: 100 });
    // 0.2 * 0.5 * (1 + cos(pi * min(step, 100) / 100))
    assertClose(schedule(0), 0.2);
    assertClose(schedule(50), 0.1);
    assertClose(schedule(25), 0.1 * (1 + Math.SQRT1_2));
    assertClose(schedule(100), 0);
    assertClose(schedule(150), 0);
  });

  it('floors at alpha * initial', () => {
    const schedule = cosineDecay({ initial: 0.2, decaySteps: 100, alpha: 0.1 });
    // 0.2 * ((1 - 0.1) * cosine + 0.1), cosine 1, 0.5, 0, 0
    assertClose(schedule(0), 0.2);
    assertClose(schedule(50), 0.2 * (0.9 * 0.5 + 0.1));
    assertClose(schedule(100), 0.02);
    assertClose(schedule(1000), 0.02);
  });

  it('rejects an alpha outside [0, 1]', () => {
    assert.throws(() => cosineDecay({ initial: 1, decaySteps: 1, alpha: 2 }), {
      name: 'RangeError',
      message: 'cosineDecay: expected alpha in [0, 1] but found 2',
    });
  });
});
