// Plain TypeScript kernels: the reference every faster kernel is tested
// against, and the path that runs in any JavaScript engine. Matrix
// products skip zero entries of A, since most MNIST pixels are zero.
// Single-threaded and unvectorised on purpose; convolution is im2col plus
// matMul, the unrolled windows made again for the gradient rather than
// kept alive between the passes.

import { exp64 } from './exp.js';
import {
  broadcastStrides,
  sameShape,
  sizeOf,
  type Shape,
  type WindowGeometry,
} from '../shape.js';
import { gatherRows, pixelsToFloat32 } from '../pixels.js';
import type {
  AdamStep,
  BinaryOp,
  ConvGradNeeds,
  ConvGrads,
  Kernels,
  ResultGradOp,
  UnaryOp,
} from './kernels.js';
import { floats, ints } from './workspace.js';

type Scalar2 = (x: number, y: number) => number;

const binaryFns: Record<BinaryOp, Scalar2> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  equal: (x, y) => (x === y ? 1 : 0),
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
  // Transposed operands are copied to [m, k] and [k, n] first: O(mk + kn)
  // against the product's O(mkn), and one loop then serves every case.
  if (transA) a = transpose(a, k, m);
  if (transB) b = transpose(b, n, k);
  const out = floats(m * n);
  // One row of A at a time, packed to its nonzero entries: the offset of
  // the row of B each one scales, and its value. Zeros cost one test.
  const bRows = new Int32Array(k);
  const aValues = new Float32Array(k);
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    let count = 0;
    for (let p = 0; p < k; p++) {
      const aValue = a[aRow + p];
      if (aValue === 0) continue;
      bRows[count] = p * n;
      aValues[count++] = aValue;
    }

    // Rows of B scaled and summed, four at a time so that each output is
    // loaded and stored a quarter as often. p still ascends, and each
    // product and each sum is rounded to float32 term by term as float32
    // SIMD rounds them, so every kernel set gets these very bits (the
    // lab's printout is the same on all of them).
    const outRow = i * n;
    const f32 = Math.fround;
    let q = 0;
    for (; q + 3 < count; q += 4) {
      const a0 = aValues[q];
      const a1 = aValues[q + 1];
      const a2 = aValues[q + 2];
      const a3 = aValues[q + 3];
      const b0 = bRows[q];
      const b1 = bRows[q + 1];
      const b2 = bRows[q + 2];
      const b3 = bRows[q + 3];
      for (let j = 0; j < n; j++) {
        let sum = out[outRow + j];
        sum = f32(sum + f32(a0 * b[b0 + j]));
        sum = f32(sum + f32(a1 * b[b1 + j]));
        sum = f32(sum + f32(a2 * b[b2 + j]));
        out[outRow + j] = sum + f32(a3 * b[b3 + j]);
      }
    }
    for (; q < count; q++) {
      const aValue = aValues[q];
      const bRow = bRows[q];
      for (let j = 0; j < n; j++) {
        out[outRow + j] += f32(aValue * b[bRow + j]);
      }
    }
  }
  return out;
}

function matMulPixels(
  a: Uint8Array,
  rows: Uint32Array | null,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
): Float32Array {
  const width = transA ? m : k;
  const values = pixelsToFloat32(
    rows === null ? a : gatherRows(a, rows, width),
  );
  return matMul(values, b, m, k, n, transA, false);
}

/** Nothing to ready: cpu gathers a batch's rows when it multiplies. */
function preparePixels(): void {}

function sgd(
  weights: Float32Array,
  dWeights: Float32Array,
  learningRate: number,
  decay: number,
): void {
  for (let i = 0; i < weights.length; i++) {
    weights[i] -= learningRate * (dWeights[i] + decay * weights[i]);
  }
}

function adam(
  weights: Float32Array,
  dWeights: Float32Array,
  m: Float32Array,
  v: Float32Array,
  { step, unbias, beta1, beta2, epsilon, decay }: AdamStep,
): void {
  for (let i = 0; i < weights.length; i++) {
    const g = dWeights[i] + decay * weights[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    weights[i] -= (step * m[i]) / (Math.sqrt(v[i] * unbias) + epsilon);
  }
}

/** x [rows, columns] as [columns, rows]. */
function transpose(
  x: Float32Array,
  rows: number,
  columns: number,
): Float32Array {
  const out = floats(rows * columns, false);
  for (let r = 0; r < rows; r++) {
    const from = r * columns;
    for (let c = 0; c < columns; c++) out[c * rows + r] = x[from + c];
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
  const out = floats(sizeOf(outShape), false);
  if (sameShape(aShape, outShape) && a.length % b.length === 0) {
    // b repeats along a's leading dimensions (or is a scalar) when its
    // shape is a suffix of a's, the common case of adding a bias.
    const suffix = bShape.every(
      (dim, i) => dim === aShape[aShape.length - bShape.length + i],
    );
    if (suffix) {
      repeating(op, a, b, out);
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
 * out[i] = a[i] op b[i mod b.length], one loop per op so that each is
 * compiled on its own; the general path calls through binaryFns.
 */
function repeating(
  op: BinaryOp,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
): void {
  const size = out.length;
  const period = b.length;
  switch (op) {
    case 'add':
      for (let i = 0, j = 0; i < size; i++) {
        out[i] = a[i] + b[j];
        if (++j === period) j = 0;
      }
      return;
    case 'sub':
      for (let i = 0, j = 0; i < size; i++) {
        out[i] = a[i] - b[j];
        if (++j === period) j = 0;
      }
      return;
    case 'mul':
      for (let i = 0, j = 0; i < size; i++) {
        out[i] = a[i] * b[j];
        if (++j === period) j = 0;
      }
      return;
    case 'div':
      for (let i = 0, j = 0; i < size; i++) {
        out[i] = a[i] / b[j];
        if (++j === period) j = 0;
      }
      return;
    default:
      for (let i = 0, j = 0; i < size; i++) {
        out[i] = binaryFns[op](a[i], b[j]);
        if (++j === period) j = 0;
      }
  }
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

// One loop per op, so that no function is called per element.
function unary(op: UnaryOp, x: Float32Array): Float32Array {
  const size = x.length;
  const out = floats(size, false);
  switch (op) {
    case 'neg':
      for (let i = 0; i < size; i++) out[i] = -x[i];
      return out;
    case 'log':
      for (let i = 0; i < size; i++) out[i] = Math.log(x[i]);
      return out;
    case 'exp':
      for (let i = 0; i < size; i++) out[i] = Math.exp(x[i]);
      return out;
    case 'relu':
      // Written so that NaN passes through instead of becoming 0.
      for (let i = 0; i < size; i++) {
        const value = x[i];
        out[i] = value < 0 ? 0 : value;
      }
      return out;
    case 'sigmoid':
      // exp() only ever sees -|x|, so it cannot overflow to Infinity.
      for (let i = 0; i < size; i++) {
        const value = x[i];
        if (value >= 0) {
          out[i] = 1 / (1 + Math.exp(-value));
        } else {
          const e = Math.exp(value);
          out[i] = e / (1 + e);
        }
      }
      return out;
    case 'tanh':
      for (let i = 0; i < size; i++) out[i] = Math.tanh(x[i]);
      return out;
    case 'sqrt':
      for (let i = 0; i < size; i++) out[i] = Math.sqrt(x[i]);
      return out;
    default:
      return unknownOp('unary', op);
  }
}

function unaryGrad(
  op: ResultGradOp,
  y: Float32Array,
  dY: Float32Array,
): Float32Array {
  const size = y.length;
  const dX = floats(size);
  switch (op) {
    case 'relu':
      for (let i = 0; i < size; i++) if (y[i] > 0) dX[i] = dY[i];
      return dX;
    case 'sigmoid':
      for (let i = 0; i < size; i++) {
        const value = y[i];
        dX[i] = dY[i] * value * (1 - value);
      }
      return dX;
    case 'tanh':
      for (let i = 0; i < size; i++) {
        const value = y[i];
        dX[i] = dY[i] * (1 - value * value);
      }
      return dX;
    case 'sqrt':
      // NOTE: Infinity (or NaN) where x = 0, as in TensorFlow's SqrtGrad.
      for (let i = 0; i < size; i++) dX[i] = (0.5 * dY[i]) / y[i];
      return dX;
    default:
      return unknownOp('unaryGrad', op);
  }
}

function unknownOp(kernel: string, op: never): never {
  throw new Error(`${kernel}: unknown op '${String(op)}'`);
}

function sumAxis(
  x: Float32Array,
  outer: number,
  dim: number,
  inner: number,
): Float32Array {
  const out = floats(outer * inner, false);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let total = 0;
      for (let d = 0; d < dim; d++) total += x[(o * dim + d) * inner + i];
      out[o * inner + i] = total;
    }
  }
  return out;
}

function literalCrossEntropy(
  logits: Float32Array,
  oneHot: Float32Array,
  rows: number,
  classes: number,
): { loss: Float32Array; probs: Float32Array } {
  const probs = softmax(logits, rows, classes, 1);
  const f32 = Math.fround;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const y = oneHot[r * classes + c];
      const p = probs[r * classes + c];
      // NOTE: 0 * log(p) is ±0 and leaves the sum as it is, unless p is 0
      // or NaN (log is -Infinity or NaN): then NaN, as in the chain.
      if (y !== 0) sum += f32(y * f32(Math.log(p)));
      else if (!(p > 0)) sum = NaN;
    }
    total += -f32(sum);
  }
  const loss = floats(1, false);
  loss[0] = f32(total) * (1 / rows);
  return { loss, probs };
}

function literalCrossEntropyGrad(
  probs: Float32Array,
  oneHot: Float32Array,
  dLoss: number,
  rows: number,
  classes: number,
): Float32Array {
  const f32 = Math.fround;
  const dLogits = floats(rows * classes, false);
  // Back through mean and neg: each term's gradient.
  const dTerm = -f32(dLoss * (1 / rows));
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    // Back through mul and log, then softmax.
    let dot = 0;
    for (let c = 0; c < classes; c++) {
      // With a zero label and a probability above 0 the quotient is the
      // numerator itself (a signed zero): no division needed.
      const y = oneHot[base + c];
      const p = probs[base + c];
      const scaled = f32(dTerm * y);
      const dProb = y === 0 && p > 0 ? scaled : f32(scaled / p);
      dLogits[base + c] = dProb;
      dot += dProb * p;
    }
    for (let c = 0; c < classes; c++) {
      const y = probs[base + c];
      dLogits[base + c] = y * (dLogits[base + c] - dot);
    }
  }
  return dLogits;
}

function reduceToShape(
  x: Float32Array,
  xShape: Shape,
  shape: Shape,
): Float32Array {
  if (sameShape(xShape, shape)) return x;
  const out = floats(sizeOf(shape));
  if (isSuffix(shape, xShape) && out.length > 0) {
    // A bias's gradient: x's rows summed in order, as the general walk
    // below would sum them, without its per-element bookkeeping.
    const size = out.length;
    for (let i = 0; i < x.length; i += size) {
      for (let j = 0; j < size; j++) out[j] += x[i + j];
    }
    return out;
  }
  const strides = broadcastStrides(shape, xShape);
  const none = new Array<number>(xShape.length).fill(0);
  forEachIndex(xShape, strides, none, (i, oi) => {
    out[oi] += x[i];
  });
  return out;
}

/** True when `shape`, less leading 1s, ends `of`: it repeats along `of`. */
function isSuffix(shape: Shape, of: Shape): boolean {
  let start = 0;
  while (start < shape.length && shape[start] === 1) start++;
  const length = shape.length - start;
  if (length > of.length) return false;
  for (let i = 0; i < length; i++) {
    if (shape[start + i] !== of[of.length - length + i]) return false;
  }
  return true;
}

function softmax(
  x: Float32Array,
  outer: number,
  dim: number,
  inner: number,
): Float32Array {
  const out = floats(x.length, false);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      // Subtracting the maximum keeps exp() from overflowing.
      let max = -Infinity;
      for (let d = 0; d < dim; d++) max = Math.max(max, x[base + d * inner]);
      let total = 0;
      for (let d = 0; d < dim; d++) {
        // exp64, not Math.exp: the WebAssembly softmax has it too.
        const e = exp64(x[base + d * inner] - max);
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
  const out = floats(outer * inner, false);
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
  const losses = floats(rows, false);
  const probs = floats(rows * classes, false);
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

// The window kernels share one walk: output pixel (oy, ox) reads input
// rows top + [kyStart, kyEnd) and columns left + [kxStart, kxEnd), its
// window clipped to the input (the rest is padding). Each kernel inlines
// the walk so that its loops call nothing.

function im2col(x: Float32Array, g: WindowGeometry): Float32Array {
  const { inHeight, inWidth, channels, windowHeight, windowWidth } = g;
  const { strideHeight, strideWidth, padTop, padLeft } = g;
  const { batch, outHeight, outWidth } = g;
  const rowSize = windowHeight * windowWidth * channels;
  const windowRow = windowWidth * channels;
  const imageSize = inHeight * inWidth * channels;
  // NOTE: a windowHeight * windowWidth-fold copy of x; fine for MNIST.
  const cols = floats(batch * outHeight * outWidth * rowSize);
  let row = 0;
  for (let b = 0; b < batch; b++) {
    const image = b * imageSize;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padTop;
      const kyStart = Math.max(0, -top);
      const kyEnd = Math.min(windowHeight, inHeight - top);
      for (let ox = 0; ox < outWidth; ox++, row += rowSize) {
        const left = ox * strideWidth - padLeft;
        const kxStart = Math.max(0, -left);
        const kxEnd = Math.min(windowWidth, inWidth - left);
        // Whole window rows (columns x channels) are contiguous in both.
        const length = (kxEnd - kxStart) * channels;
        for (let ky = kyStart; ky < kyEnd; ky++) {
          const from =
            image + ((top + ky) * inWidth + left + kxStart) * channels;
          const to = row + ky * windowRow + kxStart * channels;
          for (let i = 0; i < length; i++) cols[to + i] = x[from + i];
        }
      }
    }
  }
  return cols;
}

function col2im(cols: Float32Array, g: WindowGeometry): Float32Array {
  const { inHeight, inWidth, channels, windowHeight, windowWidth } = g;
  const { strideHeight, strideWidth, padTop, padLeft } = g;
  const { batch, outHeight, outWidth } = g;
  const rowSize = windowHeight * windowWidth * channels;
  const windowRow = windowWidth * channels;
  const imageSize = inHeight * inWidth * channels;
  const dX = floats(batch * imageSize);
  let row = 0;
  for (let b = 0; b < batch; b++) {
    const image = b * imageSize;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padTop;
      const kyStart = Math.max(0, -top);
      const kyEnd = Math.min(windowHeight, inHeight - top);
      for (let ox = 0; ox < outWidth; ox++, row += rowSize) {
        const left = ox * strideWidth - padLeft;
        const kxStart = Math.max(0, -left);
        const kxEnd = Math.min(windowWidth, inWidth - left);
        const length = (kxEnd - kxStart) * channels;
        for (let ky = kyStart; ky < kyEnd; ky++) {
          const to = image + ((top + ky) * inWidth + left + kxStart) * channels;
          const from = row + ky * windowRow + kxStart * channels;
          for (let i = 0; i < length; i++) dX[to + i] += cols[from + i];
        }
      }
    }
  }
  return dX;
}

function conv2d(
  x: Float32Array,
  filters: Float32Array,
  bias: Float32Array | null,
  g: WindowGeometry,
  outChannels: number,
): Float32Array {
  const rows = g.batch * g.outHeight * g.outWidth;
  const k = g.windowHeight * g.windowWidth * g.channels;
  // cols [rows, k] · filters [k, f]: the result's rows are its output
  // pixels, already in NHWC order.
  const cols = im2col(x, g);
  const out = matMul(cols, filters, rows, k, outChannels, false, false);
  if (bias !== null) {
    for (let i = 0; i < out.length; i += outChannels) {
      for (let j = 0; j < outChannels; j++) out[i + j] += bias[j];
    }
  }
  return out;
}

function conv2dGrad(
  x: Float32Array,
  filters: Float32Array,
  dOut: Float32Array,
  g: WindowGeometry,
  outChannels: number,
  needs: ConvGradNeeds,
): ConvGrads {
  const rows = g.batch * g.outHeight * g.outWidth;
  const k = g.windowHeight * g.windowWidth * g.channels;
  const f = outChannels;
  // dOut is [rows, f]: dFilters = colsᵀ · dOut, dCols = dOut · filtersᵀ.
  let dFilters = null;
  if (needs.filters) {
    dFilters = matMul(im2col(x, g), dOut, k, rows, f, true, false);
  }
  let dBias = null;
  if (needs.bias) {
    dBias = floats(f);
    for (let i = 0; i < dOut.length; i += f) {
      for (let j = 0; j < f; j++) dBias[j] += dOut[i + j];
    }
  }
  let dX = null;
  if (needs.x) {
    dX = col2im(matMul(dOut, filters, rows, f, k, false, true), g);
  }
  return { dX, dFilters, dBias };
}

function maxPool(
  x: Float32Array,
  g: WindowGeometry,
): { out: Float32Array; argMax: Int32Array } {
  const { inHeight, inWidth, channels, windowHeight, windowWidth } = g;
  const { strideHeight, strideWidth, padTop, padLeft } = g;
  const { batch, outHeight, outWidth } = g;
  const imageSize = inHeight * inWidth * channels;
  const out = floats(batch * outHeight * outWidth * channels);
  // -1 marks a window wholly in padding (never under TF's rules).
  const argMax = ints(out.length, false).fill(-1);
  let at = 0;
  for (let b = 0; b < batch; b++) {
    const image = b * imageSize;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padTop;
      const kyStart = Math.max(0, -top);
      const kyEnd = Math.min(windowHeight, inHeight - top);
      for (let ox = 0; ox < outWidth; ox++, at += channels) {
        const left = ox * strideWidth - padLeft;
        const kxStart = Math.max(0, -left);
        const kxEnd = Math.min(windowWidth, inWidth - left);
        let first = true;
        for (let ky = kyStart; ky < kyEnd; ky++) {
          for (let kx = kxStart; kx < kxEnd; kx++) {
            const from = image + ((top + ky) * inWidth + left + kx) * channels;
            if (first) {
              for (let c = 0; c < channels; c++) {
                out[at + c] = x[from + c];
                argMax[at + c] = from + c;
              }
              first = false;
              continue;
            }
            // Strictly greater: ties keep the first maximum.
            for (let c = 0; c < channels; c++) {
              const value = x[from + c];
              if (value > out[at + c]) {
                out[at + c] = value;
                argMax[at + c] = from + c;
              }
            }
          }
        }
      }
    }
  }
  return { out, argMax };
}

function maxPoolGrad(
  dOut: Float32Array,
  argMax: Int32Array,
  g: WindowGeometry,
): Float32Array {
  const dX = floats(g.batch * g.inHeight * g.inWidth * g.channels);
  for (let i = 0; i < dOut.length; i++) {
    const d = dOut[i];
    const to = argMax[i];
    if (d !== 0 && to >= 0) dX[to] += d;
  }
  return dX;
}

function avgPool(x: Float32Array, g: WindowGeometry): Float32Array {
  const { inHeight, inWidth, channels, windowHeight, windowWidth } = g;
  const { strideHeight, strideWidth, padTop, padLeft } = g;
  const { batch, outHeight, outWidth } = g;
  const imageSize = inHeight * inWidth * channels;
  const out = floats(batch * outHeight * outWidth * channels);
  let at = 0;
  for (let b = 0; b < batch; b++) {
    const image = b * imageSize;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padTop;
      const kyStart = Math.max(0, -top);
      const kyEnd = Math.min(windowHeight, inHeight - top);
      for (let ox = 0; ox < outWidth; ox++, at += channels) {
        const left = ox * strideWidth - padLeft;
        const kxStart = Math.max(0, -left);
        const kxEnd = Math.min(windowWidth, inWidth - left);
        const count = (kyEnd - kyStart) * (kxEnd - kxStart);
        if (count <= 0) continue;
        for (let ky = kyStart; ky < kyEnd; ky++) {
          for (let kx = kxStart; kx < kxEnd; kx++) {
            const from = image + ((top + ky) * inWidth + left + kx) * channels;
            for (let c = 0; c < channels; c++) out[at + c] += x[from + c];
          }
        }
        for (let c = 0; c < channels; c++) out[at + c] /= count;
      }
    }
  }
  return out;
}

function avgPoolGrad(dOut: Float32Array, g: WindowGeometry): Float32Array {
  const { inHeight, inWidth, channels, windowHeight, windowWidth } = g;
  const { strideHeight, strideWidth, padTop, padLeft } = g;
  const { batch, outHeight, outWidth } = g;
  const imageSize = inHeight * inWidth * channels;
  const dX = floats(batch * imageSize);
  // One window's share per channel, reused for every output pixel.
  const share = new Float32Array(channels);
  let at = 0;
  for (let b = 0; b < batch; b++) {
    const image = b * imageSize;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padTop;
      const kyStart = Math.max(0, -top);
      const kyEnd = Math.min(windowHeight, inHeight - top);
      for (let ox = 0; ox < outWidth; ox++, at += channels) {
        const left = ox * strideWidth - padLeft;
        const kxStart = Math.max(0, -left);
        const kxEnd = Math.min(windowWidth, inWidth - left);
        const count = (kyEnd - kyStart) * (kxEnd - kxStart);
        if (count <= 0) continue;
        for (let c = 0; c < channels; c++) share[c] = dOut[at + c] / count;
        for (let ky = kyStart; ky < kyEnd; ky++) {
          for (let kx = kxStart; kx < kxEnd; kx++) {
            const to = image + ((top + ky) * inWidth + left + kx) * channels;
            for (let c = 0; c < channels; c++) dX[to + c] += share[c];
          }
        }
      }
    }
  }
  return dX;
}

export const cpuKernels: Kernels = {
  name: 'cpu',
  matMul,
  matMulPixels,
  preparePixels,
  sgd,
  adam,
  binary,
  unary,
  unaryGrad,
  sumAxis,
  reduceToShape,
  softmax,
  argMax,
  softmaxCrossEntropy,
  literalCrossEntropy,
  literalCrossEntropyGrad,
  im2col,
  col2im,
  conv2d,
  conv2dGrad,
  maxPool,
  maxPoolGrad,
  avgPool,
  avgPoolGrad,
};
