// The numeric kernels the ops run on, as one swappable interface: the
// plain TypeScript set (cpu.ts) runs everywhere; faster sets (WebAssembly,
// threads) can replace it with setKernels() and must agree with it.

import type { Shape } from '../shape.js';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'equal';
export type UnaryOp = 'neg' | 'log' | 'exp';

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

  /** Elementwise a op b, broadcast by NumPy's rules to outShape. */
  binary(
    op: BinaryOp,
    a: Float32Array,
    aShape: Shape,
    b: Float32Array,
    bShape: Shape,
    outShape: Shape,
  ): Float32Array;

  unary(op: UnaryOp, x: Float32Array): Float32Array;

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
}
