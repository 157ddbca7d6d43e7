// Making tensors: from values, filled, random, and variables (the leaves
// an optimizer trains).

import { floats, lastingFloats } from './kernels/workspace.js';
import { kindOf } from '../util/format.js';
import type { Random } from '../util/random.js';
import { formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

/** A constant tensor of `shape` holding `values` (row-major). */
export function tensor(
  values: Float32Array | ArrayLike<number>,
  shape: Shape = [values.length],
): Tensor {
  const data =
    values instanceof Float32Array ? values : Float32Array.from(values);
  return new Tensor(data, shape);
}

/**
 * A constant tensor of `shape` over pixel bytes (kept, not copied), each
 * standing for byte / 255: matrix products read the bytes themselves,
 * skipping zeros, and other ops see float32 values in [0, 1]. With `rows`,
 * `pixels` is a set of images and the tensor's rows are its rows `rows`
 * (a batch, say), read in place rather than gathered.
 */
export function pixelTensor(
  pixels: Uint8Array,
  shape: Shape,
  rows?: Uint32Array,
): Tensor {
  if (!(pixels instanceof Uint8Array)) {
    throw new TypeError(
      'pixelTensor: expected pixels as a Uint8Array of bytes but found ' +
        kindOf(pixels),
    );
  }
  if (rows !== undefined && rows.length !== shape[0]) {
    throw new RangeError(
      `pixelTensor: expected one row for each of the ${shape[0]} rows of ` +
        `${formatShape(shape)} but found ${rows.length}`,
    );
  }
  return new Tensor(pixels, shape, { rows });
}

export function scalar(value: number): Tensor {
  return new Tensor(new Float32Array([value]), []);
}

export function zeros(shape: Shape): Tensor {
  return new Tensor(new Float32Array(sizeOf(shape)), shape);
}

export function fill(shape: Shape, value: number): Tensor {
  return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape);
}

/** Values drawn from N(mean, stddev²) with the given generator. */
export function randomNormal(
  shape: Shape,
  random: Random,
  { mean = 0, stddev = 1 } = {},
): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    data[i] = mean + stddev * random.normal();
  }
  return new Tensor(data, shape);
}

/**
 * A trainable variable starting from `initial`'s values (copied), like
 * tf.Variable: optimizers update its data in place, in the engine heap
 * when there is one.
 */
export function variable(initial: Tensor): Tensor {
  const data = lastingFloats(initial.size);
  data.set(initial.data);
  return new Tensor(data, initial.shape, { trainable: true });
}

/** One-hot rows [n, depth] from class indices. */
export function oneHot(indices: ArrayLike<number>, depth: number): Tensor {
  const data = floats(indices.length * depth);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= depth) {
      throw new Error(
        `oneHot: expected indices in 0..${depth - 1} but found ${index} ` +
          `at position ${i} of shape ${formatShape([indices.length])}`,
      );
    }
    data[i * depth + index] = 1;
  }
  return new Tensor(data, [indices.length, depth]);
}
