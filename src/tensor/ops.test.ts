import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Random } from '../util/random.js';
import {
  pixelTensor,
  randomNormal,
  scalar,
  tensor,
  variable,
} from './creation.js';
import { gradCheck } from './gradcheck.js';
import {
  add,
  argMax,
  div,
  equal,
  exp,
  literalCrossEntropy,
  log,
  matMul,
  mean,
  mul,
  neg,
  relu,
  reshape,
  sigmoid,
  softmax,
  softmaxCrossEntropy,
  sqrt,
  sub,
  sum,
  tanh,
} from './ops.js';
import type { Tensor } from './tensor.js';

// Float32 central differences with eps 1e-2 agree to about 1e-3.
const TOLERANCE = 5e-3;

const random = new Random(42);
const normal = (...shape: number[]) => randomNormal(shape, random);
const positive = (...shape: number[]) => {
  const t = normal(...shape);
  return tensor(
    t.data.map((x) => 0.5 + Math.abs(x)),
    shape,
  );
};

function assertGradients(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) {
  const { maxError, worst } = gradCheck(f, inputs);
  assert.ok(
    maxError < TOLERANCE,
    `max error ${maxError} at ${JSON.stringify(worst)}`,
  );
}

function assertClose(
  actual: ArrayLike<number>,
  expected: number[],
  tol = 1e-6,
) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `element ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

describe('op gradients match finite differences', () => {
  it('add, same shapes and broadcast over rows, columns and scalars', () => {
    assertGradients(add, [normal(3, 4), normal(3, 4)]);
    assertGradients(add, [normal(3, 4), normal(4)]);
    assertGradients(add, [normal(3, 1), normal(1, 4)]);
    assertGradients(add, [normal(2, 3, 4), normal(3, 1)]);
    assertGradients(add, [normal(5), normal()]);
  });

  it('sub, with broadcasting on either side', () => {
    assertGradients(sub, [normal(3, 4), normal(4)]);
    assertGradients(sub, [normal(4), normal(3, 4)]);
  });

  it('mul, with broadcasting', () => {
    assertGradients(mul, [normal(3, 4), normal(3, 4)]);
    assertGradients(mul, [normal(3, 4), normal(1, 4)]);
    assertGradients(mul, [normal(2, 1, 3), normal(4, 1)]);
  });

  it('div, with broadcasting', () => {
    assertGradients(div, [normal(3, 4), positive(3, 4)]);
    assertGradients(div, [normal(3, 4), positive(4)]);
  });

  it('neg, log and exp', () => {
    assertGradients(neg, [normal(2, 5)]);
    assertGradients(log, [positive(2, 5)]);
    assertGradients(exp, [normal(2, 5)]);
  });

  it('relu, away from its kink at 0', () => {
    // |x| >= 0.1 keeps the finite-difference step from crossing 0.
    const x = normal(3, 5).data.map((v) => Math.sign(v) * (0.1 + Math.abs(v)));
    assertGradients(relu, [tensor(x, [3, 5])]);
  });

  it('sigmoid, tanh and sqrt', () => {
    assertGradients(sigmoid, [normal(3, 5)]);
    assertGradients(tanh, [normal(3, 5)]);
    assertGradients(sqrt, [positive(3, 5)]);
  });

  it('matMul, including odd sizes and sparse inputs', () => {
    assertGradients(matMul, [normal(3, 5), normal(5, 2)]);
    assertGradients(matMul, [normal(1, 7), normal(7, 1)]);
    const sparse = normal(4, 6).data.map((x, i) => (i % 3 === 0 ? x : 0));
    assertGradients(matMul, [tensor(sparse, [4, 6]), normal(6, 3)]);
  });

  it('sum and mean over every axis, all axes, and with keepDims', () => {
    for (const reduce of [sum, mean]) {
      assertGradients((x) => reduce(x), [normal(2, 3, 4)]);
      for (const axis of [0, 1, 2, -1]) {
        assertGradients((x) => reduce(x, axis), [normal(2, 3, 4)]);
        assertGradients((x) => reduce(x, axis, true), [normal(2, 3, 4)]);
      }
    }
  });

  it('softmax over the last and the first axis', () => {
    assertGradients((x) => softmax(x), [normal(3, 5)]);
    assertGradients((x) => softmax(x, 0), [normal(3, 5)]);
  });

  it('softmaxCrossEntropy, for one-hot and soft labels', () => {
    const oneHot = tensor([0, 1, 0, 1, 0, 0, 0, 0, 1], [3, 3]);
    assertGradients((z) => softmaxCrossEntropy(z, oneHot), [normal(3, 3)]);
    const soft = softmax(normal(2, 4));
    assertGradients((z) => softmaxCrossEntropy(z, soft), [normal(2, 4)]);
  });

  it('reshape', () => {
    assertGradients((x) => reshape(x, [6, 2]), [normal(3, 4)]);
  });

  it("the lab's cost, built from ops", () => {
    const labels = tensor([1, 0, 0, 0, 0, 1, 0, 1, 0], [3, 3]);
    const cost = (x: Tensor, w: Tensor, b: Tensor) => {
      const probs = softmax(add(matMul(x, w), b));
      return mean(neg(sum(mul(labels, log(probs)), 1)));
    };
    assertGradients(cost, [normal(3, 4), normal(4, 3), normal(3)]);
  });
});

describe('op values', () => {
  it('broadcasting add of a bias row', () => {
    const out = add(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([10, 20, 30]));
    assert.deepEqual(out.shape, [2, 3]);
    assertClose(out.data, [11, 22, 33, 14, 25, 36]);
  });

  it('broadcasting a column against a row', () => {
    const out = sub(tensor([1, 2], [2, 1]), tensor([10, 20, 30], [1, 3]));
    assert.deepEqual(out.shape, [2, 3]);
    assertClose(out.data, [-9, -19, -29, -8, -18, -28]);
  });

  it('matMul of known matrices', () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor([7, 8, 9, 10, 11, 12], [3, 2]);
    assertClose(matMul(a, b).data, [58, 64, 139, 154]);
  });

  it('softmax rows sum to one and survive huge logits', () => {
    const probs = softmax(tensor([1000, 0, -1000, 1, 2, 3], [2, 3]));
    assertClose(probs.data, [1, 0, 0, 0.0900306, 0.2447285, 0.665241]);
  });

  it('softmaxCrossEntropy is finite where the naive formula is not', () => {
    const logits = tensor([0, 200], [1, 2]);
    const labels = tensor([1, 0], [1, 2]);
    assertClose(softmaxCrossEntropy(logits, labels).data, [200], 1e-4);
    const naive = neg(sum(mul(labels, log(softmax(logits))), 1));
    assert.equal(naive.data[0], Infinity);
  });

  it('argMax takes the first maximum, and equal compares', () => {
    const indices = argMax(tensor([1, 3, 3, 9, 2, 0], [2, 3]), 1);
    assertClose(indices.data, [1, 0]);
    assertClose(equal(indices, tensor([1, 2])).data, [1, 0]);
  });

  it('relu zeroes negatives and passes zero no gradient', () => {
    const x = variable(tensor([-2, 0, 3]));
    const y = relu(x);
    assertClose(y.data, [0, 0, 3]);
    sum(y).backward();
    assertClose(x.grad!, [0, 0, 1]);
  });

  it('sigmoid is finite and exact at the extremes, with zero slope', () => {
    const x = variable(tensor([-1000, -20, 0, 20, 1000]));
    const y = sigmoid(x);
    assertClose(y.data, [0, 2.0611537e-9, 0.5, 1, 1], 1e-7);
    sum(y).backward();
    assertClose(x.grad!, [0, 2.0611537e-9, 0.25, 0, 0], 1e-7);
  });

  it('tanh and sqrt of known values', () => {
    assertClose(tanh(tensor([0, 1, -1000])).data, [0, 0.7615942, -1]);
    assertClose(sqrt(tensor([0, 4, 2])).data, [0, 2, Math.SQRT2]);
  });

  it('sum keeps or drops the reduced axis', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.deepEqual(sum(x, 0).shape, [3]);
    assert.deepEqual(sum(x, 1, true).shape, [2, 1]);
    assert.deepEqual(sum(x).shape, []);
    assertClose(mean(x, 1).data, [2, 5]);
  });
});

describe('literalCrossEntropy', () => {
  const chain = (logits: Tensor, oneHot: Tensor) =>
    mean(neg(sum(mul(oneHot, log(softmax(logits))), 1)));
  const oneHots = tensor(
    Float32Array.from({ length: 70 }, (_, i) => (i % 10 === i % 7 ? 1 : 0)),
    [7, 10],
  );
  const compare = (scale: number, oneHot = oneHots) => {
    const values = normal(7, 10).data.map((x) => x * scale);
    const results = [literalCrossEntropy, chain].map((cost) => {
      const logits = variable(tensor(values, [7, 10]));
      const loss = cost(logits, oneHot);
      loss.backward();
      return [loss.item(), ...logits.grad!];
    });
    // Object.is tells NaN from NaN and -0 from 0 alike: bit for bit.
    results[0].forEach((x, i) =>
      assert.ok(Object.is(x, results[1][i]), `${i}`),
    );
    return results[0][0];
  };

  it('matches the chain of ops bit for bit, value and gradient', () => {
    assert.ok(Number.isFinite(compare(3)));
  });

  it('matches the chain on soft labels, negative zeros among them', () => {
    const labels = [0.25, -0, 0, 0.75, 1, -0.5, 0, 0, 2, 0];
    const soft = tensor(
      Float32Array.from({ length: 70 }, (_, i) => labels[(i * 3) % 10]),
      [7, 10],
    );
    assert.ok(Number.isFinite(compare(2, soft)));
  });

  it('is NaN with the chain where probabilities underflow', () => {
    // log(0) = -Infinity, and 0 * -Infinity in the other classes is NaN.
    assert.ok(Number.isNaN(compare(1e4)));
  });

  it('refuses shapes that differ', () => {
    assert.throws(
      () => literalCrossEntropy(normal(2, 3), normal(3, 2)),
      /expected logits and oneHot of one shape \[n, classes\] but found \[2, 3\] and \[3, 2\]/,
    );
  });
});

describe('shape errors name the op and both shapes', () => {
  it('matMul with mismatched inner sizes', () => {
    assert.throws(() => matMul(normal(2, 3), normal(4, 2)), {
      message: 'matMul: expected [m, k] and [k, n] but found [2, 3] and [4, 2]',
    });
  });

  it('add of shapes that do not broadcast', () => {
    assert.throws(() => add(normal(2, 3), normal(2)), {
      message:
        'add: shapes [2, 3] and [2] do not broadcast ' +
        '(dimension 1: 3 against 2)',
    });
  });

  it('sum over an axis the tensor lacks', () => {
    assert.throws(() => sum(normal(2, 3), 2), {
      message: 'sum: axis 2 is out of range for shape [2, 3]',
    });
  });
});

describe('backward', () => {
  it('accumulates gradients of a variable used twice', () => {
    const x = variable(tensor([3]));
    mul(x, x).backward();
    assertClose(x.grad!, [6]);
  });

  it('keeps the gradients of two inputs of one add separate', () => {
    const a = variable(tensor([1, 2]));
    const b = variable(tensor([3, 4]));
    sum(add(add(a, b), a)).backward();
    assertClose(a.grad!, [2, 2]);
    assertClose(b.grad!, [1, 1]);
  });

  it('copies a gradient it shares with another tensor before adding', () => {
    const x = variable(tensor([1, 2]));
    const doubled = add(x, x);
    sum(doubled).backward();
    assertClose(x.grad!, [2, 2]);
    assertClose(doubled.grad!, [1, 1]);
  });

  it('returns the variables it reached', () => {
    const w = variable(tensor([2]));
    const unused = variable(tensor([5]));
    const reached = mul(w, scalar(3)).backward();
    assert.deepEqual(reached, [w]);
    assert.equal(unused.grad, null);
  });

  it('refuses a non-scalar loss', () => {
    assert.throws(() => variable(tensor([1, 2])).backward(), {
      message: 'backward: expected a scalar loss but found shape [2]',
    });
  });
});

describe('pixelTensor', () => {
  // Three images of 2x2 pixels.
  const set = Uint8Array.of(0, 255, 51, 0, 102, 0, 0, 204, 0, 0, 0, 0);
  const scale = (bytes: number[]) =>
    Float32Array.from(bytes, (b) => Math.fround(b * Math.fround(1 / 255)));

  it('picks rows in place: values, products and gradients as floats', () => {
    const rows = Uint32Array.of(2, 0, 1, 0);
    const picked = pixelTensor(set, [4, 4], rows);
    const floats = tensor(
      scale([0, 0, 0, 0, 0, 255, 51, 0, 102, 0, 0, 204, 0, 255, 51, 0]),
      [4, 4],
    );
    assert.deepEqual(picked.data, floats.data);
    const w = variable(normal(4, 3));
    const want = matMul(floats, w);
    assert.deepEqual(matMul(picked, w).data, want.data);
    sum(want).backward();
    const dW = w.grad!.slice();
    w.grad = null;
    sum(matMul(picked, w)).backward();
    assert.deepEqual(w.grad, dW);
    // Regrouped by a reshape, the rows are gathered first.
    const pairs = reshape(picked, [2, 8]);
    assert.deepEqual(matMul(pairs, normal(8, 2)).shape, [2, 2]);
    assert.deepEqual(pairs.data, reshape(floats, [2, 8]).data);
  });

  it('refuses rows that do not fit the shape or the set', () => {
    assert.throws(
      () => pixelTensor(set, [2, 4], Uint32Array.of(0, 3)),
      /expected 2 rows of pixel bytes for shape \[2, 4\] but found row 3 of only 3/,
    );
    assert.throws(
      () => pixelTensor(set, [4, 4], Uint32Array.of(0, 1)),
      /expected one row for each of the 4 rows of \[4, 4\] but found 2/,
    );
    assert.throws(
      () => pixelTensor(set, [1, 4], Int32Array.of(-1) as never),
      /expected pixel rows as a Uint32Array but found Int32Array/,
    );
    assert.throws(
      () => pixelTensor(new Uint8ClampedArray(4) as never, [1, 4]),
      /expected pixels as a Uint8Array of bytes but found Uint8ClampedArray/,
    );
  });
});
