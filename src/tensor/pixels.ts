// Pixel bytes as the engine sees them: each byte b stands for b / 255,
// rounded to float32 as TF1's `images * (1.0 / 255.0)` on float32 rounds it.

import { bytes } from './kernels/workspace.js';

/** The float32 value of each byte. */
export const UNIT_OF_BYTE = new Float32Array(256).map((_, byte) =>
  Math.fround(byte * Math.fround(1 / 255)),
);

/** pixels [n] bytes -> [n] float32 values in [0, 1]. */
export function pixelsToFloat32(pixels: Uint8Array): Float32Array {
  const values = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) values[i] = UNIT_OF_BYTE[pixels[i]];
  return values;
}

/**
 * The rows `rows` of `pixels` ([n, width] bytes), as [rows.length, width]
 * bytes, into `out` when given; a row may be named more than once.
 */
export function gatherRows(
  pixels: Uint8Array,
  rows: Uint32Array,
  width: number,
  out = bytes(rows.length * width, false),
): Uint8Array {
  for (let i = 0; i < rows.length; i++) {
    const from = rows[i] * width;
    out.set(pixels.subarray(from, from + width), i * width);
  }
  return out;
}
