// Plain TypeScript kernels: the reference every faster kernel is tested
// against, and the path that runs in any JavaScript engine. Matrix
// products skip zero entries of A, since most MNIST pixels are zero.

import { broadcastStrides, sameShape, sizeOf, type Shape } from '../shape.js';
import type { BinaryOp, Kernels, UnaryOp } from './kernels.js';

type Scalar2 = (x: number, y: number) => number;

const binaryFns: Record<BinaryOp, Scalar2> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  equal: (x, y) => (x === y ? 1 : 0),
};

const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  log: Math.log,
  exp: Math.exp,
};

function matMul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): Float32Array {
  const out = new Float32Array(m * n);
  if (!transB && !transA) {
    // Rows of B scaled by A[i, p] and summed: zeros in A cost nothing.
    for (let i = 0; i < m; i++) {
      const outRow = i * n;
      const aRow = i * k;
      for (let p = 0; p < k; p++) {
        const aValue = a[aRow + p];
        if (aValue === 0) continue;
        const bRow = p * n;
        for (let j = 0; j < n; j++) out[outRow + j] += aValue * b[bRow + j];
      }
    }
    return out;
  }
  if (!transB) {
    // A = aᵀ: walk a ([k, m]) row by row, so its zeros are skipped in
    // memory order; each output still sums over p in ascending order.
    for (let p = 0; p < k; p++) {
      const aRow = p * m;
      const bRow = p * n;
      for (let i = 0; i < m; i++) {
        const aValue = a[aRow + i];
        if (aValue === 0) continue;
        const outRow = i * n;
        for (let j = 0; j < n; j++) out[outRow + j] += aValue * b[bRow + j];
      }
    }
    return out;
  }
  // B transposed: each output is a dot product of two rows.
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let p = 0; p < k; p++) {
        const aValue = transA ? a[p * m + i] : a[i * k + p];
        total += aValue * b[j * k + p];
      }
      out[i * n + j] = total;
    }
  }
  return out;
}

function binary(
  op: BinaryOp,
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  outShape: Shape,
): Float32Array {
  const f = binaryFns[op];
  const out = new Float32Array(sizeOf(outShape));
  if (sameShape(aShape, outShape) && a.length % b.length === 0) {
    // b repeats along a's leading dimensions (or is a scalar) when its
    // shape is a suffix of a's, the common case of adding a bias.
    const suffix = bShape.every(
      (dim, i) => dim === aShape[aShape.length - bShape.length + i],
    );
    if (suffix) {
      for (let i = 0, j = 0; i < out.length; i++) {
        out[i] = f(a[i], b[j]);
        if (++j === b.length) j = 0;
      }
      return out;
    }
  }
  const aStrides = broadcastStrides(aShape, outShape);
  const bStrides = broadcastStrides(bShape, outShape);
  forEachIndex(outShape, aStrides, bStrides, (i, ai, bi) => {
    out[i] = f(a[ai], b[bi]);
  });
  return out;
}

/**
 * Visits every index of `shape` in row-major order with the matching
 * offsets into two operands of the given strides.
 */
function forEachIndex(
  shape: Shape,
  aStrides: number[],
  bStrides: number[],
  visit: (i: number, ai: number, bi: number) => void,
): void {
  const rank = shape.length;
  const size = sizeOf(shape);
  const index = new Array<number>(rank).fill(0);
  let ai = 0;
  let bi = 0;
  for (let i = 0; i < size; i++) {
    visit(i, ai, bi);
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      ai += aStrides[axis];
      bi += bStrides[axis];
      if (index[axis] < shape[axis]) break;
      ai -= aStrides[axis] * shape[axis];
      bi -= bStrides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
}

function unary(op: UnaryOp, x: Float32Array): Float32Array {
  const f = unaryFns[op];
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

function sumAxis(
  x: Float32Array,
  outer: number,
  dim: number,
  inner: number,
): Float32Array {
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let total = 0;
      for (let d = 0; d < dim; d++) total += x[(o * dim + d) * inner + i];
      out[o * inner + i] = total;
    }
  }
  return out;
}

function reduceToShape(
  x: Float32Array,
  xShape: Shape,
  shape: Shape,
): Float32Array {
  if (sameShape(xShape, shape)) return x;
  const out = new Float32Array(sizeOf(shape));
  const strides = broadcastStrides(shape, xShape);
  const none = new Array<number>(xShape.length).fill(0);
  forEachIndex(xShape, strides, none, (i, oi) => {
    out[oi] += x[i];
  });
  return out;
}

function softmax(
  x: Float32Array,
  outer: number,
  dim: number,
  inner: number,
): Float32Array {
  const out = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      // Subtracting the maximum keeps exp() from overflowing.
      let max = -Infinity;
      for (let d = 0; d < dim; d++) max = Math.max(max, x[base + d * inner]);
      let total = 0;
      for (let d = 0; d < dim; d++) {
        const e = Math.exp(x[base + d * inner] - max);
        out[base + d * inner] = e;
        total += e;
      }
      for (let d = 0; d < dim; d++) out[base + d * inner] /= total;
    }
  }
  return out;
}

function argMax(
  x: Float32Array,
  outer: number,
  dim: number,
  inner: number,
): Float32Array {
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      let best = 0;
      // NaN never wins, like NumPy's argmax on finite rows.
      for (let d = 1; d < dim; d++) {
        if (x[base + d * inner] > x[base + best * inner]) best = d;
      }
      out[o * inner + i] = best;
    }
  }
  return out;
}

function softmaxCrossEntropy(
  logits: Float32Array,
  labels: Float32Array,
  rows: number,
  classes: number,
): { losses: Float32Array; probs: Float32Array } {
  const losses = new Float32Array(rows);
  const probs = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]);
    let total = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(logits[base + c] - max);
      probs[base + c] = e;
      total += e;
    }
    // -sum(y * log p) with log p = z - max - log(total): never log(0).
    const logTotal = Math.log(total);
    let loss = 0;
    for (let c = 0; c < classes; c++) {
      probs[base + c] /= total;
      const label = labels[base + c];
      if (label !== 0) loss -= label * (logits[base + c] - max - logTotal);
    }
    losses[r] = loss;
  }
  return { losses, probs };
}

export const cpuKernels: Kernels = {
  name: 'cpu',
  matMul,
  binary,
  unary,
  sumAxis,
  reduceToShape,
  softmax,
  argMax,
  softmaxCrossEntropy,
};
