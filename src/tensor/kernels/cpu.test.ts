// The cpu kernels against direct, unoptimised definitions; faster kernel
// sets will be checked against cpu the same way.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Random } from '../../util/random.js';
import {
  sizeOf,
  windowGeometry,
  type Padding,
  type WindowGeometry,
} from '../shape.js';
import { cpuKernels } from './cpu.js';

const random = new Random(7);

/** Random values, about half of them exactly zero, like MNIST pixels. */
function values(size: number, zeros = 0.5): Float32Array {
  return Float32Array.from({ length: size }, () =>
    random.uniform() < zeros ? 0 : random.normal(),
  );
}

/**
 * Float32 results against float64 ones. `scale` is the sum of absolute
 * terms behind each element: rounding grows with it, not with the result.
 */
function assertClose(
  actual: Float32Array,
  expected: Float64Array,
  scale: Float64Array = expected.map((x) => Math.max(1, Math.abs(x))),
) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-5 * scale[i] + 1e-7;
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance,
      `element ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

function referenceMatMul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): { out: Float64Array; scale: Float64Array } {
  const out = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) {
        const x = transA ? a[p * m + i] : a[i * k + p];
        const y = transB ? b[j * k + p] : b[p * n + j];
        out[i * n + j] += x * y;
        scale[i * n + j] += Math.abs(x * y);
      }
    }
  }
  return { out, scale };
}

describe('cpu matMul', () => {
  it('matches the definition on random shapes, odd sizes and transposes', () => {
    const shapes = [
      [1, 1, 1],
      [3, 5, 2],
      [7, 13, 11],
      [17, 1, 9],
      [100, 784, 10],
    ];
    for (const [m, k, n] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = values(m * k);
          const b = values(k * n, 0.1);
          const got = cpuKernels.matMul(a, b, m, k, n, transA, transB);
          const want = referenceMatMul(a, b, m, k, n, transA, transB);
          assertClose(got, want.out, want.scale);
        }
      }
    }
  });

  it('gives zeros for an all-zero input', () => {
    const got = cpuKernels.matMul(
      new Float32Array(6),
      values(6),
      2,
      3,
      2,
      false,
      false,
    );
    assert.deepEqual([...got], [0, 0, 0, 0]);
  });
});

describe('cpu binary and reduceToShape', () => {
  const cases: Array<[number[], number[], number[]]> = [
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    [[2, 3], [3], [2, 3]],
    [[3], [2, 3], [2, 3]],
    [
      [2, 1],
      [1, 3],
      [2, 3],
    ],
    [
      [4, 1, 3],
      [2, 1],
      [4, 2, 3],
    ],
    [[], [5], [5]],
  ];

  it('broadcasts like NumPy', () => {
    for (const [aShape, bShape, outShape] of cases) {
      const a = values(sizeOf(aShape), 0);
      const b = values(sizeOf(bShape), 0);
      const got = cpuKernels.binary('sub', a, aShape, b, bShape, outShape);
      const expected = new Float64Array(sizeOf(outShape));
      const index = (shape: number[], flat: number) => {
        // Offset into an operand of `shape` for output element `flat`.
        let offset = 0;
        let stride = 1;
        let rest = flat;
        const outIndex = outShape.map(() => 0);
        for (let d = outShape.length - 1; d >= 0; d--) {
          outIndex[d] = rest % outShape[d];
          rest = Math.floor(rest / outShape[d]);
        }
        for (let d = shape.length - 1; d >= 0; d--) {
          const i = outIndex[outShape.length - shape.length + d];
          offset += (shape[d] === 1 ? 0 : i) * stride;
          stride *= shape[d];
        }
        return offset;
      };
      for (let i = 0; i < expected.length; i++) {
        expected[i] = a[index(aShape, i)] - b[index(bShape, i)];
      }
      assertClose(got, expected);
    }
  });

  it('sums a broadcast result back to each operand shape', () => {
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const toRow = cpuKernels.reduceToShape(x, [4, 2, 3], [2, 1]);
    const expected = new Float64Array(2);
    for (let i = 0; i < 24; i++) expected[Math.floor(i / 3) % 2] += i;
    assertClose(toRow, expected);
    // A bias's shape, with and without a leading 1.
    const bias = new Float64Array(3);
    for (let i = 0; i < 24; i++) bias[i % 3] += i;
    assertClose(cpuKernels.reduceToShape(x, [4, 2, 3], [3]), bias);
    assertClose(cpuKernels.reduceToShape(x, [4, 2, 3], [1, 3]), bias);
    assertClose(cpuKernels.reduceToShape(x, [4, 6], []), Float64Array.of(276));
    assert.equal(cpuKernels.reduceToShape(x, [24], [24]), x);
  });
});

describe('cpu softmax and softmaxCrossEntropy', () => {
  it('agree on the probabilities', () => {
    const logits = values(12, 0);
    const labels = new Float32Array(12);
    labels[1] = labels[6] = labels[11] = 1;
    const probs = cpuKernels.softmax(logits, 3, 4, 1);
    const fused = cpuKernels.softmaxCrossEntropy(logits, labels, 3, 4);
    assertClose(fused.probs, Float64Array.from(probs));
    const expected = Float64Array.from(
      [1, 6, 11],
      (at) => -Math.log(probs[at]),
    );
    assertClose(fused.losses, expected);
  });
});

describe('cpu unary and unaryGrad of the activations', () => {
  const x = Float32Array.from([-30, -3, -0.5, 0, 0.25, 2, 30]);
  const definitions = {
    relu: (v: number) => Math.max(v, 0),
    sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
    tanh: Math.tanh,
    sqrt: (v: number) => Math.sqrt(Math.abs(v)),
  };
  const slopes = {
    relu: (v: number) => (v > 0 ? 1 : 0),
    sigmoid: (v: number) => Math.exp(-v) / (1 + Math.exp(-v)) ** 2,
    tanh: (v: number) => 1 / Math.cosh(v) ** 2,
    sqrt: (v: number) => 0.5 / Math.sqrt(Math.abs(v)),
  };

  it('match their definitions, and the slopes from the results', () => {
    for (const op of ['relu', 'sigmoid', 'tanh', 'sqrt'] as const) {
      // sqrt on |x|, without 0, where its slope is infinite.
      const input = op === 'sqrt' ? x.map((v) => Math.abs(v) || 1) : x;
      const y = cpuKernels.unary(op, input);
      assertClose(y, Float64Array.from(input, definitions[op]));
      const dY = values(input.length, 0);
      const dX = cpuKernels.unaryGrad(op, y, dY);
      const expected = Float64Array.from(
        input,
        (v, i) => dY[i] * slopes[op](v),
      );
      assertClose(dX, expected);
    }
  });
});

/** A random NHWC geometry by TensorFlow's rules, sizes often odd. */
function randomGeometry(padding: Padding): WindowGeometry {
  const pick = (low: number, high: number) =>
    low + Math.floor(random.uniform() * (high - low + 1));
  const window: [number, number] = [pick(1, 4), pick(1, 4)];
  const xShape = [
    pick(1, 3),
    pick(window[0], 9),
    pick(window[1], 9),
    pick(1, 4),
  ];
  const strides: [number, number] = [pick(1, 3), pick(1, 3)];
  return windowGeometry('test', xShape, window, strides, padding);
}

/** Input element (b, iy, ix, c) of a geometry, or -1 for padding. */
function inputIndex(
  g: WindowGeometry,
  b: number,
  iy: number,
  ix: number,
  c: number,
): number {
  if (iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth) return -1;
  return ((b * g.inHeight + iy) * g.inWidth + ix) * g.channels + c;
}

/**
 * Calls visit(outIndex, windowIndex, inIndex) for every window element
 * of every output element, straight from the geometry's definition.
 */
function forEachWindowElement(
  g: WindowGeometry,
  visit: (out: number, windowAt: number, input: number) => void,
) {
  let out = 0;
  for (let b = 0; b < g.batch; b++)
    for (let oy = 0; oy < g.outHeight; oy++)
      for (let ox = 0; ox < g.outWidth; ox++)
        for (let c = 0; c < g.channels; c++, out++) {
          for (let ky = 0; ky < g.windowHeight; ky++)
            for (let kx = 0; kx < g.windowWidth; kx++) {
              const iy = oy * g.strideHeight - g.padTop + ky;
              const ix = ox * g.strideWidth - g.padLeft + kx;
              const at = (ky * g.windowWidth + kx) * g.channels + c;
              visit(out, at, inputIndex(g, b, iy, ix, c));
            }
        }
}

describe('cpu window kernels', () => {
  const geometries = [
    ...Array.from({ length: 12 }, () => randomGeometry('same')),
    ...Array.from({ length: 12 }, () => randomGeometry('valid')),
  ];
  const inSize = (g: WindowGeometry) =>
    g.batch * g.inHeight * g.inWidth * g.channels;
  const outSize = (g: WindowGeometry) =>
    g.batch * g.outHeight * g.outWidth * g.channels;

  it('im2col copies each window, with zeros for padding', () => {
    for (const g of geometries) {
      const x = values(inSize(g));
      const windowSize = g.windowHeight * g.windowWidth * g.channels;
      const expected = new Float32Array((outSize(g) / g.channels) * windowSize);
      forEachWindowElement(g, (out, at, input) => {
        const row = Math.floor(out / g.channels);
        if (input >= 0) expected[row * windowSize + at] = x[input];
      });
      assert.deepEqual(cpuKernels.im2col(x, g), expected);
    }
  });

  it('col2im sums each window entry back onto its pixel', () => {
    for (const g of geometries) {
      const windowSize = g.windowHeight * g.windowWidth * g.channels;
      const cols = values((outSize(g) / g.channels) * windowSize, 0);
      const expected = new Float64Array(inSize(g));
      const scale = new Float64Array(inSize(g));
      forEachWindowElement(g, (out, at, input) => {
        const value = cols[Math.floor(out / g.channels) * windowSize + at];
        if (input < 0) return;
        expected[input] += value;
        scale[input] += Math.abs(value);
      });
      assertClose(cpuKernels.col2im(cols, g), expected, scale);
    }
  });

  it('maxPool and its gradient pick the first maximum of each window', () => {
    for (const g of geometries) {
      // Few distinct values, so that ties are common.
      const x = Float32Array.from({ length: inSize(g) }, () =>
        Math.floor(random.uniform() * 4),
      );
      const best = new Int32Array(outSize(g)).fill(-1);
      forEachWindowElement(g, (out, _, input) => {
        if (input < 0) return;
        if (best[out] < 0 || x[input] > x[best[out]]) best[out] = input;
      });
      const { out, argMax } = cpuKernels.maxPool(x, g);
      assert.deepEqual(argMax, best);
      assert.deepEqual(
        out,
        Float32Array.from(best, (at) => x[at]),
      );

      const dOut = values(outSize(g));
      const dX = new Float64Array(inSize(g));
      best.forEach((at, i) => (dX[at] += dOut[i]));
      assertClose(cpuKernels.maxPoolGrad(dOut, argMax, g), dX);
    }
  });

  it('avgPool and its gradient count only real elements', () => {
    for (const g of geometries) {
      const x = values(inSize(g));
      const totals = new Float64Array(outSize(g));
      const counts = new Float64Array(outSize(g));
      forEachWindowElement(g, (out, _, input) => {
        if (input < 0) return;
        totals[out] += x[input];
        counts[out]++;
      });
      const means = totals.map((total, i) => total / counts[i]);
      assertClose(cpuKernels.avgPool(x, g), means);

      const dOut = values(outSize(g));
      const dX = new Float64Array(inSize(g));
      forEachWindowElement(g, (out, _, input) => {
        if (input >= 0) dX[input] += dOut[out] / counts[out];
      });
      assertClose(cpuKernels.avgPoolGrad(dOut, g), dX);
    }
  });
});
