// The differentiable ops. Each one computes its result through the kernel
// layer and, right beside it, how the gradient flows back to its inputs.
// Gradients flow only into inputs that require them.

import { kernels, type BinaryOp, type ResultGradOp } from './kernels/index.js';
import { floats } from './kernels/workspace.js';
import {
  broadcastShapes,
  formatShape,
  normalizeAxis,
  sameShape,
  sizeOf,
  splitAtAxis,
  type Shape,
} from './shape.js';
import { opResult, Tensor } from './tensor.js';

/** A constant result: no gradient flows through it. */
function constant(data: Float32Array, shape: Shape): Tensor {
  return new Tensor(data, shape);
}

function elementwise(op: BinaryOp, a: Tensor, b: Tensor) {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const data = kernels().binary(op, a.data, a.shape, b.data, b.shape, shape);
  return { data, shape };
}

/** Gradient of a broadcast operand: dResult summed back to its shape. */
function unbroadcast(d: Float32Array, shape: Shape, input: Tensor) {
  return kernels().reduceToShape(d, shape, input.shape);
}

/** Scales dResult by another tensor's values, broadcasting as needed. */
function times(d: Float32Array, shape: Shape, factor: Tensor): Float32Array {
  return kernels().binary('mul', d, shape, factor.data, factor.shape, shape);
}

function scaled(d: Float32Array, factor: number): Float32Array {
  const out = floats(d.length, false);
  for (let i = 0; i < d.length; i++) out[i] = d[i] * factor;
  return out;
}

/** a + b, broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  const { data, shape } = elementwise('add', a, b);

  return opResult(data, shape, [a, b], (dOut) => {
    if (a.requiresGrad) a.accumulateGrad(unbroadcast(dOut, shape, a));
    if (b.requiresGrad) b.accumulateGrad(unbroadcast(dOut, shape, b));
  });
}

/** a - b, broadcasting. */
export function sub(a: Tensor, b: Tensor): Tensor {
  const { data, shape } = elementwise('sub', a, b);

  return opResult(data, shape, [a, b], (dOut) => {
    if (a.requiresGrad) a.accumulateGrad(unbroadcast(dOut, shape, a));
    if (b.requiresGrad) {
      b.accumulateGrad(scaled(unbroadcast(dOut, shape, b), -1));
    }
  });
}

/** a * b elementwise, broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  const { data, shape } = elementwise('mul', a, b);

  return opResult(data, shape, [a, b], (dOut) => {
    if (a.requiresGrad)
      a.accumulateGrad(unbroadcast(times(dOut, shape, b), shape, a));
    if (b.requiresGrad)
      b.accumulateGrad(unbroadcast(times(dOut, shape, a), shape, b));
  });
}

/** a / b elementwise, broadcasting. */
export function div(a: Tensor, b: Tensor): Tensor {
  const { data, shape } = elementwise('div', a, b);
  const quotient = constant(data, shape);

  return opResult(data, shape, [a, b], (dOut) => {
    const dA = kernels().binary('div', dOut, shape, b.data, b.shape, shape);
    if (a.requiresGrad) a.accumulateGrad(unbroadcast(dA, shape, a));
    // d(a/b)/db = -(a/b) / b
    if (b.requiresGrad) {
      const dB = scaled(times(dA, shape, quotient), -1);
      b.accumulateGrad(unbroadcast(dB, shape, b));
    }
  });
}

/** -x */
export function neg(x: Tensor): Tensor {
  const data = kernels().unary('neg', x.data);

  return opResult(data, x.shape, [x], (dOut) => {
    x.accumulateGrad(scaled(dOut, -1));
  });
}

/** Natural logarithm; log(0) is -Infinity, as in the lab's formula. */
export function log(x: Tensor): Tensor {
  const data = kernels().unary('log', x.data);

  return opResult(data, x.shape, [x], (dOut) => {
    x.accumulateGrad(
      kernels().binary('div', dOut, x.shape, x.data, x.shape, x.shape),
    );
  });
}

/** e^x */
export function exp(x: Tensor): Tensor {
  const data = kernels().unary('exp', x.data);
  const y = constant(data, x.shape);

  return opResult(data, x.shape, [x], (dOut) => {
    x.accumulateGrad(times(dOut, x.shape, y));
  });
}

/** max(x, 0) elementwise; its gradient at exactly 0 is 0. */
export function relu(x: Tensor): Tensor {
  return fromResult('relu', x);
}

/** 1 / (1 + e^-x) elementwise, without overflow for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  return fromResult('sigmoid', x);
}

/** Hyperbolic tangent, elementwise. */
export function tanh(x: Tensor): Tensor {
  return fromResult('tanh', x);
}

/** Square root, elementwise; the gradient at 0 is Infinity, as in TF. */
export function sqrt(x: Tensor): Tensor {
  return fromResult('sqrt', x);
}

/** A unary op whose backward needs only its result. */
function fromResult(op: ResultGradOp, x: Tensor): Tensor {
  const data = kernels().unary(op, x.data);

  return opResult(data, x.shape, [x], (dOut) => {
    x.accumulateGrad(kernels().unaryGrad(op, data, dOut));
  });
}

/** Matrix product of a [m, k] and b [k, n], giving [m, n]. */
export function matMul(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(
      `matMul: expected [m, k] and [k, n] but found ` +
        `${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  }
  const [m, k] = a.shape;
  const n = b.shape[1];
  const { pixels, pixelRows: rows } = a;
  // Pixel rows are read in place when they are A's rows (not after a
  // reshape that regrouped them).
  if (pixels !== null && (rows === null || rows.length === m)) {
    // A constant: only B has a gradient, Aᵀ · dOut.
    const data = kernels().matMulPixels(pixels, rows, b.data, m, k, n, false);
    return opResult(data, [m, n], [b], (dOut) => {
      const dB = kernels().matMulPixels(pixels, rows, dOut, k, m, n, true);
      b.accumulateGrad(dB);
    });
  }
  const data = kernels().matMul(a.data, b.data, m, k, n, false, false);

  return opResult(data, [m, n], [a, b], (dOut) => {
    // dA = dOut · Bᵀ, dB = Aᵀ · dOut
    if (a.requiresGrad) {
      a.accumulateGrad(kernels().matMul(dOut, b.data, m, n, k, false, true));
    }
    if (b.requiresGrad) {
      b.accumulateGrad(kernels().matMul(a.data, dOut, k, m, n, true, false));
    }
  });
}

/** Sum over one axis (all axes when omitted). */
export function sum(x: Tensor, axis?: number, keepDims = false): Tensor {
  const { outer, dim, inner, shape } = reduction('sum', x, axis, keepDims);
  const data = kernels().sumAxis(x.data, outer, dim, inner);

  return opResult(data, shape, [x], (dOut) => {
    x.accumulateGrad(spread(dOut, outer, dim, inner, 1));
  });
}

/** Mean over one axis (all axes when omitted). */
export function mean(x: Tensor, axis?: number, keepDims = false): Tensor {
  const { outer, dim, inner, shape } = reduction('mean', x, axis, keepDims);
  const data = scaled(kernels().sumAxis(x.data, outer, dim, inner), 1 / dim);

  return opResult(data, shape, [x], (dOut) => {
    x.accumulateGrad(spread(dOut, outer, dim, inner, 1 / dim));
  });
}

function reduction(
  op: string,
  x: Tensor,
  axis: number | undefined,
  keepDims: boolean,
) {
  if (axis === undefined) {
    const shape = keepDims ? x.shape.map(() => 1) : [];
    return { outer: 1, dim: x.size, inner: 1, shape };
  }
  const at = normalizeAxis(op, x.shape, axis);
  const [outer, dim, inner] = splitAtAxis(x.shape, at);
  const shape = keepDims
    ? x.shape.map((size, i) => (i === at ? 1 : size))
    : x.shape.filter((_, i) => i !== at);
  return { outer, dim, inner, shape };
}

/** Copies [outer, inner] values along a new middle axis of `dim`, scaled. */
function spread(
  d: Float32Array,
  outer: number,
  dim: number,
  inner: number,
  factor: number,
): Float32Array {
  const out = floats(outer * dim * inner, false);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < dim; k++) {
      for (let i = 0; i < inner; i++) {
        out[(o * dim + k) * inner + i] = d[o * inner + i] * factor;
      }
    }
  }
  return out;
}

/** softmax over an axis (the last by default). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const at = normalizeAxis('softmax', x.shape, axis);
  const [outer, dim, inner] = splitAtAxis(x.shape, at);
  const data = kernels().softmax(x.data, outer, dim, inner);

  return opResult(data, x.shape, [x], (dOut) => {
    x.accumulateGrad(softmaxGrad(data, dOut, outer, dim, inner));
  });
}

/** dx = y * (dy - sum(dy * y)) along the axis of a softmax y. */
function softmaxGrad(
  y: Float32Array,
  dY: Float32Array,
  outer: number,
  dim: number,
  inner: number,
): Float32Array {
  const dx = floats(y.length, false);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      let dot = 0;
      for (let k = 0; k < dim; k++) {
        dot += dY[base + k * inner] * y[base + k * inner];
      }
      for (let k = 0; k < dim; k++) {
        const at = base + k * inner;
        dx[at] = y[at] * (dY[at] - dot);
      }
    }
  }
  return dx;
}

/**
 * The lab's cost as one op: mean(-sum(oneHot * log(softmax(logits)), 1))
 * for logits and oneHot [n, classes], a scalar. Its kernel rounds as that
 * chain of ops does, so the value and the gradient match it bit for bit,
 * not finite when a probability underflows; it only skips the chain's
 * intermediate tensors.
 */
export function literalCrossEntropy(logits: Tensor, oneHot: Tensor): Tensor {
  if (logits.rank !== 2 || !sameShape(logits.shape, oneHot.shape)) {
    throw new Error(
      'literalCrossEntropy: expected logits and oneHot of one shape ' +
        `[n, classes] but found ${formatShape(logits.shape)} and ` +
        formatShape(oneHot.shape),
    );
  }
  const [rows, classes] = logits.shape;
  const k = kernels();
  const { loss, probs } = k.literalCrossEntropy(
    logits.data,
    oneHot.data,
    rows,
    classes,
  );

  // NOTE: oneHot gets no gradient, as in softmaxCrossEntropy.
  return opResult(loss, [], [logits], (dOut) => {
    const dLogits = k.literalCrossEntropyGrad(
      probs,
      oneHot.data,
      dOut[0],
      rows,
      classes,
    );
    logits.accumulateGrad(dLogits);
  });
}

/**
 * Cross-entropy of softmax(logits) against labels, per row: logits and
 * labels are [n, classes], the result is [n]. Stable for any logits
 * (log-sum-exp), unlike -sum(labels * log(softmax(logits))).
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  if (logits.rank !== 2 || !sameShape(logits.shape, labels.shape)) {
    throw new Error(
      'softmaxCrossEntropy: expected logits and labels of one shape ' +
        `[n, classes] but found ${formatShape(logits.shape)} and ` +
        formatShape(labels.shape),
    );
  }
  const [rows, classes] = logits.shape;
  const { losses, probs } = kernels().softmaxCrossEntropy(
    logits.data,
    labels.data,
    rows,
    classes,
  );

  // NOTE: labels get no gradient; they are data, as in TF's v1 op.
  return opResult(losses, [rows], [logits], (dOut) => {
    // dLogits = dLoss * (probs * sum(labels) - labels), per row
    const dLogits = floats(rows * classes, false);
    for (let r = 0; r < rows; r++) {
      let labelTotal = 0;
      for (let c = 0; c < classes; c++)
        labelTotal += labels.data[r * classes + c];
      for (let c = 0; c < classes; c++) {
        const at = r * classes + c;
        dLogits[at] = dOut[r] * (probs[at] * labelTotal - labels.data[at]);
      }
    }
    logits.accumulateGrad(dLogits);
  });
}

/** Same values in a new shape of the same size. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  if (sizeOf(shape) !== x.size) {
    throw new Error(
      `reshape: cannot view ${formatShape(x.shape)} (${x.size} values) ` +
        `as ${formatShape(shape)}`,
    );
  }
  if (x.pixels !== null) {
    return new Tensor(x.pixels, shape, { rows: x.pixelRows ?? undefined });
  }

  return opResult(x.data, shape, [x], (dOut) => {
    x.accumulateGrad(dOut);
  });
}

/** Index of the largest value along an axis; not differentiable. */
export function argMax(x: Tensor, axis = -1): Tensor {
  const at = normalizeAxis('argMax', x.shape, axis);
  const [outer, dim, inner] = splitAtAxis(x.shape, at);
  if (dim === 0) {
    throw new Error(
      `argMax: axis ${axis} of shape ${formatShape(x.shape)} is empty`,
    );
  }
  const data = kernels().argMax(x.data, outer, dim, inner);
  return constant(
    data,
    x.shape.filter((_, i) => i !== at),
  );
}

/** 1 where a equals b, else 0, broadcasting; not differentiable. */
export function equal(a: Tensor, b: Tensor): Tensor {
  const { data, shape } = elementwise('equal', a, b);
  return constant(data, shape);
}
