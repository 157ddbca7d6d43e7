import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { tensor, variable } from '../tensor/creation.js';
import { matMul, mul, sum } from '../tensor/ops.js';
import { GradientDescentOptimizer } from './optimizers.js';

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

  it('minimizes a quadratic towards its minimum', () => {
    // loss = sum(w * w) has its minimum at 0; each step scales w by 0.8.
    const w = variable(tensor([3, -4]));
    const optimizer = new GradientDescentOptimizer(0.1);
    for (let step = 0; step < 50; step++)
      optimizer.minimize(() => sum(mul(w, w)));
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
        message: `GradientDescentOptimizer: expected a positive learning rate but found ${rate}`,
      });
    }
  });
});
