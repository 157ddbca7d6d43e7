// The numeric kernels the ops run on, as one swappable interface: the
// plain TypeScript set (cpu.ts) runs everywhere; faster sets (WebAssembly,
// threads) can replace it with setKernels() and must agree with it.

import type { Shape, WindowGeometry } from '../shape.js';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'equal';
/** Unary ops whose derivative is a function of their result alone. */
export type ResultGradOp = 'relu' | 'sigmoid' | 'tanh' | 'sqrt';
export type UnaryOp = 'neg' | 'log' | 'exp' | ResultGradOp;

/** The scalars of one Adam step (see AdamOptimizer). */
export interface AdamStep {
  /** learningRate / (1 - beta1^t) */
  step: number;
  /** 1 / (1 - beta2^t) */
  unbias: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Coupled L2 weight decay, added to the gradient; 0 for none. */
  decay: number;
}

/** Which gradients conv2dGrad computes; the others come back null. */
export interface ConvGradNeeds {
  x: boolean;
  filters: boolean;
  bias: boolean;
}

export interface ConvGrads {
  dX: Float32Array | null;
  dFilters: Float32Array | null;
  dBias: Float32Array | null;
}

export interface Kernels {
  readonly name: string;

  /**
   * out[m, n] = A[m, k] · B[k, n], where A is `a` ([m, k]) or, with
   * transA, the transpose of `a` ([k, m]); likewise B and transB ([n, k]).
   */
  matMul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
  ): Float32Array;

  /**
   * matMul with A given as pixel bytes, each standing for byte / 255
   * rounded to float32 (see pixels.ts): P's row i is row rows[i] of `a`,
   * or row i when rows is null; A is P ([m, k]) or, with transA, Pᵀ (P is
   * then [k, m]). The result must equal matMul's on those float32 values.
   */
  matMulPixels(
    a: Uint8Array,
    rows: Uint32Array | null,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
  ): Float32Array;

  /**
   * Readies a set of images of `width` bytes for matMulPixels with rows
   * of it (the WebAssembly kernels pack it to its nonzero pixels), so
   * that a training loop's first step does not pay for it. Optional: it
   * changes no result.
   */
  preparePixels(images: Uint8Array, width: number): void;

  /**
   * One gradient-descent step in place: weights -= learningRate *
   * (dWeights + decay * weights), computed in double precision and rounded
   * once to float32, so that every kernel set gives the same bits.
   */
  sgd(
    weights: Float32Array,
    dWeights: Float32Array,
    learningRate: number,
    decay: number,
  ): void;

  /**
   * One Adam step in place: g = dWeights + decay * weights, m = beta1 m +
   * (1 - beta1) g, v = beta2 v + (1 - beta2) g², weights -= step * m /
   * (sqrt(v * unbias) + epsilon). All four arrays have one length.
   */
  adam(
    weights: Float32Array,
    dWeights: Float32Array,
    m: Float32Array,
    v: Float32Array,
    s: AdamStep,
  ): void;

  /** Elementwise a op b, broadcast by NumPy's rules to outShape. */
  binary(
    op: BinaryOp,
    a: Float32Array,
    aShape: Shape,
    b: Float32Array,
    bShape: Shape,
    outShape: Shape,
  ): Float32Array;

  /** op applied to each element; sigmoid is stable for any x. */
  unary(op: UnaryOp, x: Float32Array): Float32Array;

  /**
   * dx from dy and the result y = op(x): relu passes dy where y > 0 (so 0
   * at x = 0), sigmoid scales by y(1 - y), tanh by 1 - y², sqrt by 1 / 2y.
   */
  unaryGrad(op: ResultGradOp, y: Float32Array, dY: Float32Array): Float32Array;

  /** Sums x, seen as [outer, dim, inner], over dim: out is [outer, inner]. */
  sumAxis(
    x: Float32Array,
    outer: number,
    dim: number,
    inner: number,
  ): Float32Array;

  /** Sums x (of xShape) down to `shape`, undoing a broadcast. */
  reduceToShape(x: Float32Array, xShape: Shape, shape: Shape): Float32Array;

  /** Softmax of x, seen as [outer, dim, inner], over dim. */
  softmax(
    x: Float32Array,
    outer: number,
    dim: number,
    inner: number,
  ): Float32Array;

  /** Index of the first maximum over dim, as [outer, inner]. */
  argMax(
    x: Float32Array,
    outer: number,
    dim: number,
    inner: number,
  ): Float32Array;

  /**
   * Per-row cross-entropy of softmax(logits) against `labels`, both
   * [rows, classes], by log-sum-exp; also returns the probabilities.
   */
  softmaxCrossEntropy(
    logits: Float32Array,
    labels: Float32Array,
    rows: number,
    classes: number,
  ): { losses: Float32Array; probs: Float32Array };

  /**
   * The lab's cost, mean(-sum(oneHot * log(softmax(logits)), 1)), for
   * logits and oneHot [rows, classes], with every intermediate rounded to
   * float32 as the chain of ops softmax, log, mul, sum, neg, mean rounds
   * it; also returns the probabilities. Not finite when a probability
   * underflows to 0.
   */
  literalCrossEntropy(
    logits: Float32Array,
    oneHot: Float32Array,
    rows: number,
    classes: number,
  ): { loss: Float32Array; probs: Float32Array };

  /**
   * dLogits of literalCrossEntropy from its probabilities and dLoss, as
   * that chain's gradients round it.
   */
  literalCrossEntropyGrad(
    probs: Float32Array,
    oneHot: Float32Array,
    dLoss: number,
    rows: number,
    classes: number,
  ): Float32Array;

  /**
   * Unrolls the windows of an NHWC input x into rows: out is
   * [batch * outHeight * outWidth, windowHeight * windowWidth * channels],
   * columns ordered (row, column, channel) like [kh, kw, c] filters, and
   * zero where a window reads padding.
   */
  im2col(x: Float32Array, g: WindowGeometry): Float32Array;

  /**
   * The adjoint of im2col: sums each row's entries back onto the input
   * pixels they were read from, giving [batch, inHeight, inWidth, channels].
   */
  col2im(cols: Float32Array, g: WindowGeometry): Float32Array;

  /**
   * Convolution (cross-correlation) of an NHWC input x [batch, inHeight,
   * inWidth, channels] with filters [windowHeight, windowWidth, channels,
   * outChannels], plus `bias` [outChannels] unless null: the result is
   * [batch, outHeight, outWidth, outChannels].
   */
  conv2d(
    x: Float32Array,
    filters: Float32Array,
    bias: Float32Array | null,
    g: WindowGeometry,
    outChannels: number,
  ): Float32Array;

  /**
   * The gradients of conv2d from dOut [batch, outHeight, outWidth,
   * outChannels]: dX like x, dFilters like filters, dBias [outChannels],
   * each only where `needs` asks for it.
   */
  conv2dGrad(
    x: Float32Array,
    filters: Float32Array,
    dOut: Float32Array,
    g: WindowGeometry,
    outChannels: number,
    needs: ConvGradNeeds,
  ): ConvGrads;

  /**
   * Per-channel window maxima [batch, outHeight, outWidth, channels],
   * ignoring padding; `argMax` holds the flat input index of each (the
   * first in row-major window order on ties).
   */
  maxPool(
    x: Float32Array,
    g: WindowGeometry,
  ): { out: Float32Array; argMax: Int32Array };

  /** dx for maxPool: each dOut element added at its argMax. */
  maxPoolGrad(
    dOut: Float32Array,
    argMax: Int32Array,
    g: WindowGeometry,
  ): Float32Array;

  /**
   * Per-channel window means [batch, outHeight, outWidth, channels] over
   * the real (non-padding) elements of each window, as TensorFlow does.
   */
  avgPool(x: Float32Array, g: WindowGeometry): Float32Array;

  /** dx for avgPool: each dOut element spread evenly over its window. */
  avgPoolGrad(dOut: Float32Array, g: WindowGeometry): Float32Array;
}
