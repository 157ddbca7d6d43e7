import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Random } from '../util/random.js';
import { randomNormal, tensor, variable } from './creation.js';
import { gradCheck } from './gradcheck.js';
import { avgPool2d, conv2d, maxPool2d, type Conv2dOptions } from './ops-nn.js';
import { add, sum } from './ops.js';
import type { Padding } from './shape.js';
import type { Tensor } from './tensor.js';

// Float32 central differences with eps 1e-2 agree to about 1e-3, as in
// ops.test.ts.
const TOLERANCE = 5e-3;

const random = new Random(11);
const normal = (...shape: number[]) => randomNormal(shape, random);

/** Like MNIST: about half the pixels exactly zero. */
function sparse(...shape: number[]): Tensor {
  const t = normal(...shape);
  return tensor(
    t.data.map((v) => (random.uniform() < 0.5 ? 0 : v)),
    shape,
  );
}

/**
 * Values 0.05 apart in random order: no two in a pooling window are
 * within the finite-difference step, so the maximum never switches.
 */
function distinct(...shape: number[]): Tensor {
  const t = normal(...shape);
  const order = [...t.data.keys()].sort((i, j) => t.data[i] - t.data[j]);
  const data = new Float32Array(t.size);
  order.forEach((at, rank) => (data[at] = rank * 0.05 - 1));
  return tensor(data, shape);
}

function assertGradients(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) {
  const { maxError, worst } = gradCheck(f, inputs);
  assert.ok(
    maxError < TOLERANCE,
    `max error ${maxError} at ${JSON.stringify(worst)}`,
  );
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `element ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

const image = (values: number[], h: number, w: number) =>
  tensor(values, [1, h, w, 1]);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * conv2d straight from its definition, in float64: every output sums
 * x[b, oy * sh - top + ky, ox * sw - left + kx, c] * f[ky, kx, c, o].
 */
function naiveConv2d(
  x: Tensor,
  f: Tensor,
  [sh, sw]: [number, number],
  [top, left]: [number, number],
  [oh, ow]: [number, number],
): Float64Array {
  const [n, h, w, c] = x.shape;
  const [kh, kw, , fs] = f.shape;
  const out = new Float64Array(n * oh * ow * fs);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < fs; o++) {
          let total = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++)
              for (let ch = 0; ch < c; ch++) {
                const iy = oy * sh - top + ky;
                const ix = ox * sw - left + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                total +=
                  x.data[((b * h + iy) * w + ix) * c + ch] *
                  f.data[((ky * kw + kx) * c + ch) * fs + o];
              }
          out[((b * oh + oy) * ow + ox) * fs + o] = total;
        }
  return out;
}

describe('conv2d', () => {
  it('has gradients that match finite differences for every option', () => {
    const paddings: Padding[] = ['valid', 'same'];
    const stridesList: Conv2dOptions['strides'][] = [1, 2, [2, 1]];
    for (const padding of paddings) {
      for (const strides of stridesList) {
        for (const channels of [1, 3]) {
          // Non-square input and kernel, two output channels.
          const x = sparse(2, 5, 4, channels);
          const filters = normal(3, 2, channels, 2);
          const f = (x: Tensor, w: Tensor) =>
            conv2d(x, w, { strides, padding });
          assertGradients(f, [x, filters]);
        }
      }
    }
  });

  it('has gradients for its bias, with any stride and padding', () => {
    for (const padding of ['valid', 'same'] as const) {
      for (const strides of [1, 2]) {
        const f = (x: Tensor, w: Tensor, b: Tensor) =>
          conv2d(x, w, { strides, padding, bias: b });
        assertGradients(f, [sparse(2, 5, 4, 2), normal(3, 2, 2, 3), normal(3)]);
      }
    }
  });

  it('adds its bias to every output pixel, like add after it', () => {
    const x = sparse(2, 6, 5, 3);
    const filters = normal(3, 3, 3, 4);
    const bias = normal(4);
    const fused = conv2d(x, filters, { padding: 'same', bias });
    const apart = add(conv2d(x, filters, { padding: 'same' }), bias);
    assert.deepEqual(fused.shape, apart.shape);
    assertClose(fused.data, apart.data);
  });

  it('has gradients for a kernel larger than a same-padded input', () => {
    const f = (x: Tensor, w: Tensor) => conv2d(x, w, { padding: 'same' });
    assertGradients(f, [normal(1, 2, 3, 2), normal(4, 3, 2, 3)]);
  });

  it('gives a hand-computed result for a 2x2 kernel on a 3x3 input', () => {
    const x = image(range(9), 3, 3);
    const kernel = tensor([1, 2, 3, 4], [2, 2, 1, 1]);
    const valid = conv2d(x, kernel);
    assert.deepEqual(valid.shape, [1, 2, 2, 1]);
    assertClose(valid.data, [37, 47, 67, 77]);
  });

  it("pads an even kernel at the bottom and right only, as TF's same", () => {
    const x = image(range(9), 3, 3);
    const kernel = tensor([1, 2, 3, 4], [2, 2, 1, 1]);
    const same = conv2d(x, kernel, { padding: 'same' });
    assert.deepEqual(same.shape, [1, 3, 3, 1]);
    assertClose(same.data, [37, 47, 21, 67, 77, 33, 23, 26, 9]);
  });

  it('puts the extra padding row of a strided same convolution last', () => {
    // 4x4 with a 3x3 kernel and stride 2: oh = 2, one padding row in all,
    // so windows cover rows 0-2 and 2-4 (row 4 is padding).
    const x = image(range(16), 4, 4);
    const ones = tensor(new Array(9).fill(1), [3, 3, 1, 1]);
    const out = conv2d(x, ones, { strides: 2, padding: 'same' });
    assert.deepEqual(out.shape, [1, 2, 2, 1]);
    assertClose(out.data, [54, 45, 72, 54]);
  });

  it('sums over input channels into each output channel', () => {
    // One pixel, two input channels (1 and 2), 1x1 kernel, 3 outputs.
    const x = tensor([1, 2], [1, 1, 1, 2]);
    const filters = tensor([1, 10, 100, -1, 0, 2], [1, 1, 2, 3]);
    assertClose(conv2d(x, filters).data, [-1, 10, 104]);
  });

  it('matches the definition on random shapes with odd sizes', () => {
    const cases: Array<{
      x: number[];
      f: number[];
      strides: [number, number];
      padding: Padding;
      pad: [number, number];
      out: [number, number];
    }> = [
      {
        x: [3, 7, 5, 3],
        f: [3, 3, 3, 5],
        strides: [1, 1],
        padding: 'same',
        pad: [1, 1],
        out: [7, 5],
      },
      {
        x: [2, 9, 8, 2],
        f: [4, 3, 2, 3],
        strides: [2, 3],
        padding: 'same',
        // ceil(9/2) = 5: total 4*2+4-9 = 3, top 1; ceil(8/3) = 3:
        // total 2*3+3-8 = 1, left 0.
        pad: [1, 0],
        out: [5, 3],
      },
      {
        x: [1, 11, 6, 1],
        f: [5, 2, 1, 7],
        strides: [3, 2],
        padding: 'valid',
        pad: [0, 0],
        out: [3, 3],
      },
    ];
    for (const { x: xShape, f: fShape, strides, padding, pad, out } of cases) {
      const x = sparse(...xShape);
      const f = normal(...fShape);
      const got = conv2d(x, f, { strides, padding });
      assert.deepEqual(got.shape, [xShape[0], ...out, fShape[3]]);
      assertClose(got.data, naiveConv2d(x, f, strides, pad, out), 1e-4);
    }
  });

  it('sends gradients only to the inputs that require them', () => {
    const x = normal(1, 4, 4, 1);
    const filters = variable(normal(3, 3, 1, 2));
    sum(conv2d(x, filters, { padding: 'same' })).backward();
    assert.equal(x.grad, null);
    assert.equal(filters.grad?.length, 18);
  });
});

describe('conv2d errors name what was expected and found', () => {
  it('a channel mismatch between input and filters', () => {
    assert.throws(() => conv2d(normal(1, 4, 4, 3), normal(2, 2, 1, 4)), {
      message:
        'conv2d: expected filters with 3 input channels, like x ' +
        '[1, 4, 4, 3], but found [2, 2, 1, 4]',
    });
  });

  it("a kernel larger than a 'valid' input", () => {
    assert.throws(() => conv2d(normal(1, 3, 3, 1), normal(4, 2, 1, 1)), {
      message:
        "conv2d: expected a kernel no larger than the input for 'valid' " +
        'padding but found kernel 4x2 and input 3x3',
    });
  });

  it('a stride that is not a positive integer', () => {
    const f = () =>
      conv2d(normal(1, 3, 3, 1), normal(2, 2, 1, 1), {
        strides: [1, 0],
      });
    assert.throws(f, {
      message: 'conv2d: expected strides of positive integers but found [1, 0]',
    });
  });

  it('a bias that is not one value per filter', () => {
    const f = () =>
      conv2d(normal(1, 4, 4, 1), normal(2, 2, 1, 3), { bias: normal(1, 3) });
    assert.throws(f, {
      message:
        'conv2d: expected a bias of shape [3], one per filter, but found ' +
        '[1, 3]',
    });
  });

  it('inputs and filters of the wrong rank', () => {
    assert.throws(() => conv2d(normal(28, 28), normal(3, 3, 1, 8)), {
      message:
        'conv2d: expected an input of shape [n, h, w, c] but found [28, 28]',
    });
    assert.throws(() => conv2d(normal(1, 28, 28, 1), normal(3, 3, 1)), {
      message:
        'conv2d: expected filters of shape [kh, kw, c, f] but found [3, 3, 1]',
    });
  });
});

describe('maxPool2d and avgPool2d', () => {
  it('have gradients that match finite differences for every option', () => {
    for (const pool of [maxPool2d, avgPool2d]) {
      for (const padding of ['valid', 'same'] as const) {
        for (const size of [2, 3]) {
          for (const strides of [1, 2]) {
            const f = (x: Tensor) => pool(x, { size, strides, padding });
            assertGradients(f, [distinct(2, 5, 6, 2)]);
          }
        }
      }
      const f = (x: Tensor) => pool(x, { size: [3, 2], strides: [1, 2] });
      assertGradients(f, [distinct(1, 5, 4, 3)]);
    }
  });

  it('max pooling takes the maximum of each window per channel', () => {
    const out = maxPool2d(image(range(16), 4, 4), { size: 2 });
    assert.deepEqual(out.shape, [1, 2, 2, 1]);
    assertClose(out.data, [6, 8, 14, 16]);
    const channels = tensor([1, 8, 2, 7, 3, 6, 4, 5], [1, 2, 2, 2]);
    assertClose(maxPool2d(channels, { size: 2 }).data, [4, 8]);
  });

  it('max pooling with same padding never picks the padding', () => {
    // Windows rows 0-1 and 2 (the padding row is last).
    const x = image([-9, -8, -7, -6, -5, -4, -3, -2, -1], 3, 3);
    const out = maxPool2d(x, { size: 2, padding: 'same' });
    assert.deepEqual(out.shape, [1, 2, 2, 1]);
    assertClose(out.data, [-5, -4, -2, -1]);
  });

  it('max pooling sends the gradient to the first of tied maxima', () => {
    const x = variable(tensor([1, 1, 1, 1], [1, 2, 2, 1]));
    sum(maxPool2d(x, { size: 2 })).backward();
    assertClose(x.grad!, [1, 0, 0, 0]);
  });

  it('overlapping max windows add their gradients', () => {
    const x = variable(image([0, 0, 0, 0, 9, 0, 0, 0, 0], 3, 3));
    sum(maxPool2d(x, { size: 2, strides: 1 })).backward();
    assertClose(x.grad!, [0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });

  it('average pooling with same padding divides by real elements only', () => {
    const x = variable(image(range(9), 3, 3));
    const out = avgPool2d(x, { size: 3, strides: 1, padding: 'same' });
    assertClose(out.data, [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7]);
    sum(out).backward();
    // Corner pixels sit in windows of 4, 6, 6 and 9 real elements.
    const corner = 1 / 4 + 2 / 6 + 1 / 9;
    assertClose([x.grad![0]], [corner]);
  });

  it('average pooling with valid padding, size 2 and stride 1', () => {
    const out = avgPool2d(image(range(6), 2, 3), { size: 2, strides: 1 });
    assert.deepEqual(out.shape, [1, 1, 2, 1]);
    assertClose(out.data, [3, 4]);
  });

  it('reject a window larger than a valid input and odd padding', () => {
    assert.throws(() => maxPool2d(normal(1, 2, 2, 1), { size: 3 }), {
      message:
        "maxPool2d: expected a window no larger than the input for 'valid' " +
        'padding but found window 3x3 and input 2x2',
    });
    const full = 'full' as Padding;
    assert.throws(
      () => avgPool2d(normal(1, 2, 2, 1), { size: 2, padding: full }),
      {
        message:
          "avgPool2d: expected padding 'same' or 'valid' but found 'full'",
      },
    );
    assert.throws(() => maxPool2d(normal(1, 2, 2, 1), { size: 0 }), {
      message:
        'maxPool2d: expected a window size of positive integers ' +
        'but found 0x0',
    });
  });
});
