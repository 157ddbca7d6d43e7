// Initial values for weights: normal, truncated normal, zeros, and the
// fan-scaled families (Glorot/Xavier, He), with Keras's conventions.

import { sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Random } from '../util/random.js';

/** Makes a constant tensor of `shape` from a generator. */
export type Initializer = (shape: Shape, random: Random) => Tensor;

// stddev of N(0, 1) truncated to [-2, 2], which fan-scaled truncated
// normals divide by to keep the variance they promise (as Keras does).
const TRUNCATED_STDDEV = 0.8796256610342398;

/**
 * Fan-in and fan-out of a weight: [in, out] for dense layers, and
 * [kh, kw, inChannels, outChannels] for convolutions.
 */
export function fans(shape: Shape): [fanIn: number, fanOut: number] {
  if (shape.length < 2) return [shape[0] ?? 1, shape[0] ?? 1];
  const receptive = sizeOf(shape.slice(0, -2));
  const fanIn = shape[shape.length - 2] * receptive;
  const fanOut = shape[shape.length - 1] * receptive;
  return [fanIn, fanOut];
}

function filled(shape: Shape, draw: () => number): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw();
  return new Tensor(data, shape);
}

/** N(0, 1) draws truncated to [-2, 2] by drawing again. */
function truncated(random: Random): number {
  for (;;) {
    const x = random.normal();
    if (Math.abs(x) <= 2) return x;
  }
}

export const zeros: Initializer = (shape) => filled(shape, () => 0);

export function normal(stddev = 1): Initializer {
  return (shape, random) => filled(shape, () => stddev * random.normal());
}

/** N(0, stddev²) redrawn outside two standard deviations. */
export function truncatedNormal(stddev = 0.05): Initializer {
  return (shape, random) => filled(shape, () => stddev * truncated(random));
}

/** U(-limit, limit) with limit = sqrt(6 / (fanIn + fanOut)). */
export const glorotUniform: Initializer = (shape, random) => {
  const [fanIn, fanOut] = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return filled(shape, () => limit * (2 * random.uniform() - 1));
};

/** Truncated normal with variance 2 / (fanIn + fanOut). */
export const glorotNormal: Initializer = (shape, random) => {
  const [fanIn, fanOut] = fans(shape);
  const stddev = Math.sqrt(2 / (fanIn + fanOut)) / TRUNCATED_STDDEV;
  return filled(shape, () => stddev * truncated(random));
};

/** Truncated normal with variance 2 / fanIn, for ReLU layers. */
export const heNormal: Initializer = (shape, random) => {
  const [fanIn] = fans(shape);
  const stddev = Math.sqrt(2 / fanIn) / TRUNCATED_STDDEV;
  return filled(shape, () => stddev * truncated(random));
};

/** Names the CLI accepts for --init, with what each means. */
export const INITIALIZERS: Record<string, Initializer> = {
  normal: normal(1),
  'truncated-normal': truncatedNormal(0.05),
  zeros,
  xavier: glorotUniform,
  'xavier-normal': glorotNormal,
  he: heNormal,
};
