// Products with rows of a pixel set, in AssemblyScript. A set of images is
// packed once to its nonzero pixels (about a fifth of MNIST's): for each
// image its entries, a pixel index (u16) and byte (u8) each, in pixel
// order. A batch names its images by row, so that a training step neither
// gathers nor packs them. Pointers and strides are in bytes.

import { rowBands, scatterBands, UNIT } from './bands';

/**
 * Counts the nonzero bytes of `count` images of `width` at `a`, writing
 * running totals: starts[i + 1] = starts[i] + the count of image i, from
 * starts[0] = `first`. Returns the last total.
 */
export function countPixels(
  a: usize,
  count: i32,
  width: i32,
  starts: usize,
  first: i32,
): i32 {
  const zero = i8x16.splat(0);
  let total = first;
  store<i32>(starts, total);
  for (let i = 0; i < count; i++) {
    const row = a + <usize>i * <usize>width;
    let p = 0;
    for (; p + 16 <= width; p += 16) {
      const nonzero = i8x16.ne(v128.load(row + <usize>p), zero);
      total += popcnt(i8x16.bitmask(nonzero));
    }
    for (; p < width; p++) total += i32(load<u8>(row + <usize>p) != 0);
    store<i32>(starts + (<usize>(i + 1) << 2), total);
  }
  return total;
}

/**
 * Writes the entries of `count` images of `width` at `a`: image i's go
 * from entry starts[i], the pixel index into `index` and the byte into
 * `value`, both indexed by entry.
 */
export function packPixels(
  a: usize,
  count: i32,
  width: i32,
  starts: usize,
  index: usize,
  value: usize,
): void {
  const zero = i8x16.splat(0);
  for (let i = 0; i < count; i++) {
    const row = a + <usize>i * <usize>width;
    let q = <usize>load<i32>(starts + (<usize>i << 2));
    let p = 0;
    for (; p + 16 <= width; p += 16) {
      let mask = i8x16.bitmask(i8x16.ne(v128.load(row + <usize>p), zero));
      while (mask != 0) {
        const at = p + ctz(mask);
        store<u16>(index + (q << 1), <u16>at);
        store<u8>(value + q, load<u8>(row + <usize>at));
        q++;
        mask &= mask - 1;
      }
    }
    for (; p < width; p++) {
      const byte = load<u8>(row + <usize>p);
      if (byte == 0) continue;
      store<u16>(index + (q << 1), <u16>p);
      store<u8>(value + q, byte);
      q++;
    }
  }
}

/** The first entry in [from, to) whose index is at least `at`. */
@inline
function lowerBound(index: usize, from: i32, to: i32, at: i32): i32 {
  while (from < to) {
    const middle = (from + to) >>> 1;
    if (i32(load<u16>(index + (<usize>middle << 1))) < at) from = middle + 1;
    else to = middle;
  }
  return from;
}

/**
 * Expands entries [from, to) into `offsets` ((index - low) * stride) and
 * `values` (byte / 255), four at a time: reads and writes up to 3 entries
 * past the last, which the products never use. Returns the count.
 */
@inline
function expand(
  index: usize,
  value: usize,
  from: i32,
  to: i32,
  low: i32,
  stride: i32,
  offsets: usize,
  values: usize,
): i32 {
  const n = to - from;
  const lowest = i32x4.splat(low);
  const strides = i32x4.splat(stride);
  const unit = f32x4.splat(UNIT);
  for (let q = 0; q < n; q += 4) {
    const entry = <usize>(from + q);
    const at = i32x4.sub(v128.load16x4_u(index + (entry << 1)), lowest);
    v128.store(offsets + (<usize>q << 2), i32x4.mul(at, strides));
    const bytes = i16x8.extend_low_i8x16_u(v128.load32_zero(value + entry));
    const wide = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(bytes));
    v128.store(values + (<usize>q << 2), f32x4.mul(wide, unit));
  }
  return n;
}

/**
 * Reads a word from every cache line of the entries of images rows[i],
 * i in [rowStart, rowEnd), and returns their xor. A batch's images lie
 * anywhere in a set of many megabytes: loads that do not wait on each
 * other bring them in from memory together, where the product would wait
 * for each in turn.
 */
// @ts-ignore: AssemblyScript's decorator
@inline
function touchRows(
  starts: usize,
  index: usize,
  value: usize,
  rows: usize,
  rowStart: i32,
  rowEnd: i32,
): i32 {
  let seen = 0;
  for (let i = rowStart; i < rowEnd; i++) {
    const image = <usize>load<u32>(rows + (<usize>i << 2));
    const from = <usize>load<i32>(starts + (image << 2));
    const to = <usize>load<i32>(starts + (image << 2), 4);
    for (let at = from << 1; at < to << 1; at += 64) seen ^= load<u8>(index + at);
    for (let at = from; at < to; at += 64) seen ^= load<u8>(value + at);
  }
  return seen;
}

/**
 * C[i, :] = P[i, :] · B for rows i in [rowStart, rowEnd), where P's row i
 * is image rows[i] of the packed set (starts, index, value) of `width`
 * pixels. B is [width, columns], C [m, columns]. `work` holds
 * 8 * (width + 4) bytes.
 */
export function matMulPixelRows(
  starts: usize,
  index: usize,
  value: usize,
  rows: usize,
  width: i32,
  b: usize,
  c: usize,
  columns: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = columns << 2;
  const values = work + (<usize>(width + 4) << 2);
  store<i32>(work, touchRows(starts, index, value, rows, rowStart, rowEnd));
  for (let i = rowStart; i < rowEnd; i++) {
    const image = <usize>load<u32>(rows + (<usize>i << 2));
    const from = load<i32>(starts + (image << 2));
    const to = load<i32>(starts + (image << 2), 4);
    const n = expand(index, value, from, to, 0, stride, work, values);
    rowBands(b, c + <usize>i * <usize>stride, columns, n, work, values);
  }
}

/**
 * Rows [rowStart, rowEnd) of C = Pᵀ · B, where P's row p is image rows[p]
 * of the packed set of `width` pixels, for p below k: each image's
 * entries in range scatter B's row p onto those rows of C. B is
 * [k, columns], C [width, columns]. `work` holds
 * 8 * (rowEnd - rowStart + 4) bytes.
 */
export function matMulTransAPixelRows(
  starts: usize,
  index: usize,
  value: usize,
  rows: usize,
  width: i32,
  k: i32,
  b: usize,
  c: usize,
  columns: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = columns << 2;
  const count = rowEnd - rowStart;
  const values = work + (<usize>(count + 4) << 2);
  const first = c + <usize>rowStart * <usize>stride;
  memory.fill(first, 0, <usize>count * <usize>stride);
  const split = rowStart > 0 || rowEnd < width;
  for (let p = 0; p < k; p++) {
    const image = <usize>load<u32>(rows + (<usize>p << 2));
    let from = load<i32>(starts + (image << 2));
    let to = load<i32>(starts + (image << 2), 4);
    // This thread's share of the entries: a run, since indices ascend.
    if (split) {
      from = lowerBound(index, from, to, rowStart);
      to = lowerBound(index, from, to, rowEnd);
    }
    const n = expand(index, value, from, to, rowStart, stride, work, values);
    if (n == 0) continue;
    scatterBands(b + <usize>p * <usize>stride, first, columns, n, work, values);
  }
}
