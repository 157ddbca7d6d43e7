import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { scalar, tensor, variable } from '../tensor/creation.js';
import { add, matMul, mul, sub, sum } from '../tensor/ops.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  AdamOptimizer,
  GradientDescentOptimizer,
  MomentumOptimizer,
  Optimizer,
  RMSPropOptimizer,
} from './optimizers.js';
import { stepDecay } from './schedules.js';

function assertClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tolerance = 1e-6,
) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance,
      `expected ${expected[i]} but found ${actual[i]} at index ${i}`,
    );
  }
}

/** loss = sum(c * w), so dw = c whatever w is. */
function linear(w: Tensor, c: readonly number[]): () => Tensor {
  const constant = tensor(c, w.shape);
  return () => sum(mul(constant, w));
}

/** loss = sum(w * w), so dw = 2w. */
function square(w: Tensor): () => Tensor {
  return () => sum(mul(w, w));
}

describe('GradientDescentOptimizer', () => {
  it('takes one step of w -= rate * dw, computed by hand', () => {
    // loss = sum(x · w) with x = [[1, 2]], so dw = xᵀ = [[1], [2]].
    const x = tensor([1, 2], [1, 2]);
    const w = variable(tensor([0.5, -1], [2, 1]));
    const loss = new GradientDescentOptimizer(0.1).minimize(() =>
      sum(matMul(x, w)),
    );
    assert.equal(loss, Math.fround(0.5 * 1 + -1 * 2));
    assert.deepEqual([...w.data], [Math.fround(0.4), Math.fround(-1.2)]);
    assert.equal(w.grad, null);
  });

  it('takes the same step from a number or an options object', () => {
    const a = variable(tensor([0.5, -1]));
    const b = variable(tensor([0.5, -1]));
    new GradientDescentOptimizer(0.1).minimize(square(a));
    new GradientDescentOptimizer({ learningRate: 0.1 }).minimize(square(b));
    assert.deepEqual([...a.data], [...b.data]);
  });

  it('minimizes a quadratic towards its minimum', () => {
    // loss = sum(w * w) has its minimum at 0; each step scales w by 0.8.
    const w = variable(tensor([3, -4]));
    const optimizer = new GradientDescentOptimizer(0.1);
    for (let step = 0; step < 50; step++) optimizer.minimize(square(w));
    assert.ok(Math.abs(w.data[0]) < 1e-4 && Math.abs(w.data[1]) < 1e-4);
  });

  it('updates only the variables it is given', () => {
    const a = variable(tensor([1]));
    const b = variable(tensor([1]));
    new GradientDescentOptimizer(1).minimize(() => sum(mul(a, b)), [a]);
    assert.deepEqual([...a.data, ...b.data], [0, 1]);
  });

  it('rejects a learning rate that is not a positive number', () => {
    for (const rate of [0, -1, NaN, Infinity]) {
      assert.throws(() => new GradientDescentOptimizer(rate), {
        name: 'RangeError',
        message:
          'GradientDescentOptimizer: expected a positive learning rate ' +
          `but found ${rate}`,
      });
    }
  });
});

describe('MomentumOptimizer', () => {
  // dw = g = [1, -2] at every step, lr = 0.1, momentum = 0.9.
  const g = [1, -2];

  it('takes two plain momentum steps, computed by hand', () => {
    const w = variable(tensor([0, 0]));
    const optimizer = new MomentumOptimizer({ learningRate: 0.1 });
    // v1 = -0.1 g; w1 = v1
    optimizer.minimize(linear(w, g));
    assertClose(w.data, [-0.1, 0.2]);
    // v2 = 0.9 v1 - 0.1 g = -0.19 g; w2 = w1 + v2 = -0.29 g
    optimizer.minimize(linear(w, g));
    assertClose(w.data, [-0.29, 0.58]);
  });

  it('looks ahead with Nesterov: w += momentum * v - lr * dw', () => {
    const w = variable(tensor([0, 0]));
    const optimizer = new MomentumOptimizer({
      learningRate: 0.1,
      nesterov: true,
    });
    // v1 = -0.1 g; w1 = 0.9 v1 - 0.1 g = -0.19 g
    optimizer.minimize(linear(w, g));
    assertClose(w.data, [-0.19, 0.38]);
    // v2 = -0.19 g; w2 = w1 + 0.9 v2 - 0.1 g = -(0.19 + 0.271) g
    optimizer.minimize(linear(w, g));
    assertClose(w.data, [-0.461, 0.922]);
  });

  it('keeps a separate velocity for each variable', () => {
    const a = variable(tensor([0]));
    const b = variable(tensor([0]));
    const optimizer = new MomentumOptimizer({ learningRate: 0.1 });
    optimizer.minimize(linear(a, [1]));
    // b's first step has no velocity from a's.
    optimizer.minimize(linear(b, [1]));
    assertClose([a.data[0], b.data[0]], [-0.1, -0.1]);
  });

  it('rejects a momentum outside [0, 1)', () => {
    assert.throws(
      () => new MomentumOptimizer({ learningRate: 0.1, momentum: 1 }),
      {
        name: 'RangeError',
        message: 'MomentumOptimizer: expected momentum in [0, 1) but found 1',
      },
    );
  });
});

describe('AdamOptimizer', () => {
  it('takes two bias-corrected steps, computed by hand', () => {
    // loss = sum(w * w), dw = 2w; lr 0.1, beta1 0.9, beta2 0.999, eps 1e-7.
    const w = variable(tensor([1, -2]));
    const optimizer = new AdamOptimizer({ learningRate: 0.1 });
    const eps = 1e-7;

    // g1 = [2, -4]; m1 = 0.1 g1; v1 = 0.001 g1²;
    // mHat = m1 / 0.1 = g1; vHat = v1 / 0.001 = g1².
    optimizer.minimize(square(w));
    const w1 = [1 - (0.1 * 2) / (2 + eps), -2 + (0.1 * 4) / (4 + eps)];
    assertClose(w.data, w1);

    // g2 = 2 w1 = [1.8, -3.8] (to eps); m2 = 0.9 m1 + 0.1 g2 = [0.36, -0.74];
    // v2 = 0.999 v1 + 0.001 g2² = [0.007236, 0.030424];
    // mHat = m2 / (1 - 0.9²) = m2 / 0.19; vHat = v2 / (1 - 0.999²).
    optimizer.minimize(square(w));
    const w2 = [
      0.9 - (0.1 * (0.36 / 0.19)) / (Math.sqrt(0.007236 / 0.001999) + eps),
      -1.9 - (0.1 * (-0.74 / 0.19)) / (Math.sqrt(0.030424 / 0.001999) + eps),
    ];
    assertClose(w.data, w2);
  });

  it('defaults to a learning rate of 0.001', () => {
    assert.equal(new AdamOptimizer().currentLearningRate(), 0.001);
  });

  it('rejects betas outside [0, 1) and epsilon <= 0', () => {
    assert.throws(() => new AdamOptimizer({ beta1: 1 }), {
      name: 'RangeError',
      message: 'AdamOptimizer: expected beta1 in [0, 1) but found 1',
    });
    assert.throws(() => new AdamOptimizer({ beta2: -0.1 }), {
      message: 'AdamOptimizer: expected beta2 in [0, 1) but found -0.1',
    });
    assert.throws(() => new AdamOptimizer({ epsilon: 0 }), {
      message: 'AdamOptimizer: expected epsilon > 0 but found 0',
    });
  });
});

describe('RMSPropOptimizer', () => {
  // dw = g = [1, -2] at every step, lr = 0.01, rho = 0.9, eps = 1e-7.
  const g = [1, -2];

  it('takes two steps of lr * dw / sqrt(ms + eps), computed by hand', () => {
    const w = variable(tensor([0, 0]));
    const optimizer = new RMSPropOptimizer({ learningRate: 0.01 });
    // ms1 = 0.1 g² = [0.1, 0.4]
    const step1 = [0.01 / Math.sqrt(0.1 + 1e-7), -0.02 / Math.sqrt(0.4 + 1e-7)];
    // ms2 = 0.9 ms1 + 0.1 g² = [0.19, 0.76]
    const step2 = [
      0.01 / Math.sqrt(0.19 + 1e-7),
      -0.02 / Math.sqrt(0.76 + 1e-7),
    ];
    optimizer.minimize(linear(w, g));
    assertClose(w.data, [-step1[0], -step1[1]]);
    optimizer.minimize(linear(w, g));
    assertClose(w.data, [-step1[0] - step2[0], -step1[1] - step2[1]]);
  });

  it('adds momentum on the scaled steps', () => {
    const w = variable(tensor([0, 0]));
    const optimizer = new RMSPropOptimizer({
      learningRate: 0.01,
      momentum: 0.5,
    });
    const step1 = [0.01 / Math.sqrt(0.1 + 1e-7), -0.02 / Math.sqrt(0.4 + 1e-7)];
    const step2 = [
      0.01 / Math.sqrt(0.19 + 1e-7),
      -0.02 / Math.sqrt(0.76 + 1e-7),
    ];
    // mom1 = step1; mom2 = 0.5 mom1 + step2; w2 = -(mom1 + mom2)
    optimizer.minimize(linear(w, g));
    optimizer.minimize(linear(w, g));
    assertClose(w.data, [
      -(1.5 * step1[0] + step2[0]),
      -(1.5 * step1[1] + step2[1]),
    ]);
  });

  it('rejects rho outside [0, 1)', () => {
    assert.throws(() => new RMSPropOptimizer({ rho: 1.5 }), {
      name: 'RangeError',
      message: 'RMSPropOptimizer: expected rho in [0, 1) but found 1.5',
    });
  });
});

describe('every optimizer', () => {
  const makers: Array<[string, (options: object) => Optimizer]> = [
    [
      'GradientDescentOptimizer',
      (o) => new GradientDescentOptimizer({ learningRate: 0.1, ...o }),
    ],
    [
      'MomentumOptimizer',
      (o) => new MomentumOptimizer({ learningRate: 0.05, ...o }),
    ],
    [
      'MomentumOptimizer (Nesterov)',
      (o) =>
        new MomentumOptimizer({ learningRate: 0.05, nesterov: true, ...o }),
    ],
    ['AdamOptimizer', (o) => new AdamOptimizer({ learningRate: 0.1, ...o })],
    [
      'RMSPropOptimizer',
      (o) => new RMSPropOptimizer({ learningRate: 0.01, ...o }),
    ],
  ];

  for (const [name, make] of makers) {
    it(`${name} minimizes a shifted quadratic`, () => {
      // loss = sum((w - target)²), minimum at target.
      const target = tensor([1, -2]);
      const w = variable(tensor([0, 0]));
      const optimizer = make({});
      for (let step = 0; step < 300; step++) {
        optimizer.minimize(() => {
          const diff = sub(w, target);
          return sum(mul(diff, diff));
        });
      }
      assertClose(w.data, [1, -2], 1e-2);
      assert.equal(optimizer.iterations, 300);
    });

    it(`${name} decays as if the loss had weightDecay / 2 * sum(w²)`, () => {
      const c = [0.3, -0.7, 1.1, 0.2];
      const a = variable(tensor([1, -2, 0.5, 3], [2, 2]));
      const b = variable(tensor([1, -2, 0.5, 3], [2, 2]));
      const decayed = make({ weightDecay: 0.1 });
      const penalized = make({});
      const halfDecay = scalar(0.05);
      for (let step = 0; step < 3; step++) {
        decayed.minimize(linear(a, c));
        penalized.minimize(() =>
          add(linear(b, c)(), mul(halfDecay, sum(mul(b, b)))),
        );
      }
      assertClose(a.data, [...b.data]);
    });

    it(`${name} rejects a negative weightDecay`, () => {
      const className = name.split(' ')[0];
      assert.throws(() => make({ weightDecay: -1 }), {
        name: 'RangeError',
        message: `${className}: expected weightDecay >= 0 but found -1`,
      });
    });
  }
});

describe('weight decay', () => {
  it('adds exactly lr * weightDecay * w to a gradient descent step', () => {
    const c = [0.5, -1];
    const plain = variable(tensor([2, -3], [1, 2]));
    const decayed = variable(tensor([2, -3], [1, 2]));
    new GradientDescentOptimizer(0.1).minimize(linear(plain, c));
    new GradientDescentOptimizer({
      learningRate: 0.1,
      weightDecay: 0.01,
    }).minimize(linear(decayed, c));
    // lr * weightDecay * w = 0.1 * 0.01 * [2, -3]
    assertClose(
      [decayed.data[0] - plain.data[0], decayed.data[1] - plain.data[1]],
      [-0.002, 0.003],
    );
  });

  it('leaves vectors such as biases alone unless shouldDecay says so', () => {
    const bias = variable(tensor([2, -3]));
    const options = { learningRate: 0.1, weightDecay: 0.5 };
    new GradientDescentOptimizer(options).minimize(linear(bias, [0, 0]));
    assert.deepEqual([...bias.data], [2, -3]);

    const optimizer = new GradientDescentOptimizer({
      ...options,
      shouldDecay: () => true,
    });
    optimizer.minimize(linear(bias, [0, 0]));
    // w -= 0.1 * 0.5 * w
    assertClose(bias.data, [1.9, -2.85]);
  });
});

describe('learning-rate schedules in an optimizer', () => {
  it('uses the rate for the number of updates made so far', () => {
    // 0.1 at steps 0 and 1, then 0.05; dw = 1 at every step.
    const w = variable(tensor([0]));
    const optimizer = new GradientDescentOptimizer(
      stepDecay({ initial: 0.1, decayRate: 0.5, decaySteps: 2 }),
    );
    const rates: number[] = [];
    for (let step = 0; step < 3; step++) {
      assert.equal(optimizer.iterations, step);
      rates.push(optimizer.currentLearningRate());
      optimizer.minimize(linear(w, [1]));
    }
    assertClose(rates, [0.1, 0.1, 0.05]);
    assertClose(w.data, [-0.25]);
    assert.equal(optimizer.iterations, 3);
  });

  it('rejects a schedule that gives a bad rate, naming the step', () => {
    const optimizer = new AdamOptimizer({
      learningRate: (step) => (step < 1 ? 0.1 : NaN),
    });
    const w = variable(tensor([1]));
    optimizer.minimize(square(w));
    assert.throws(() => optimizer.minimize(square(w)), {
      name: 'RangeError',
      message:
        'AdamOptimizer: expected the learning-rate schedule to give a ' +
        'finite rate >= 0 at step 1 but found NaN',
    });
  });
});

describe('options', () => {
  it('rejects an unknown option, naming it', () => {
    const options = { learningRate: 0.1, lr: 0.1 };
    assert.throws(() => new MomentumOptimizer(options), {
      name: 'TypeError',
      message:
        'MomentumOptimizer: expected options among learningRate, ' +
        'weightDecay, shouldDecay, momentum, nesterov but found "lr"',
    });
  });

  it('rejects options that are not an object', () => {
    const notOptions = 0.01 as unknown as object;
    assert.throws(() => new RMSPropOptimizer(notOptions), {
      name: 'TypeError',
      message: 'RMSPropOptimizer: expected an options object but found 0.01',
    });
  });
});
