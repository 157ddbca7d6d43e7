// The cpu kernels against direct, unoptimised definitions; faster kernel
// sets will be checked against cpu the same way.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Random } from '../../util/random.js';
import { sizeOf } from '../shape.js';
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
