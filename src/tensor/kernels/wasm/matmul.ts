// Matrix products for the WebAssembly kernel set, in AssemblyScript:
// 128-bit SIMD, rows of A packed to their nonzero entries (most MNIST
// pixels and many ReLU outputs are zero), and a band of output columns
// kept in registers. Pointers and strides are in bytes; every matrix is
// row-major and unpadded: a row's last vector may be part full (see
// bands.ts), so the heap keeps a few bytes readable past every array.
//
// The bands of columns are multiplied in bands.ts.

import { rowBands, scatterBands, UNIT } from './bands';

// Rows of A are packed four entries at a time: a group of four with any
// nonzero is kept whole (its zeros cost a few wasted multiply-adds) so that
// packing is all vector loads and stores, never a branch per entry.

/**
 * Stores the group of four at column p: the offsets p * stride on, and
 * the values. Columns past the row's last (k - 1) point at that one's row
 * of B; the caller leaves them out of the count. Returns count + 4.
 */
// @ts-ignore: AssemblyScript's decorator
@inline
function keep(
  p: i32,
  k: i32,
  stride: i32,
  group: v128,
  offsets: usize,
  values: usize,
  count: i32,
): i32 {
  const at = <usize>count << 2;
  const columns = i32x4.min_s(
    i32x4.add(i32x4.splat(p), i32x4(0, 1, 2, 3)),
    i32x4.splat(k - 1),
  );
  v128.store(offsets + at, i32x4.mul(columns, i32x4.splat(stride)));
  v128.store(values + at, group);
  return count + 4;
}

/**
 * Packs the k floats at `row` to its groups of four holding a nonzero:
 * `offsets` gets p * stride for each column p kept, `values` the value.
 * Returns the count: zeros in a kept group are counted, never columns
 * past k.
 */
function pack(
  row: usize,
  k: i32,
  stride: i32,
  offsets: usize,
  values: usize,
): i32 {
  let count = 0;
  let p = 0;
  for (; p + 4 <= k; p += 4) {
    const group = v128.load(row + (<usize>p << 2));
    if (v128.any_true(group)) {
      count = keep(p, k, stride, group, offsets, values, count);
    }
  }
  if (p < k) {
    const at = row + (<usize>p << 2);
    let group = f32x4.splat(0);
    group = f32x4.replace_lane(group, 0, load<f32>(at));
    if (p + 1 < k) group = f32x4.replace_lane(group, 1, load<f32>(at, 4));
    if (p + 2 < k) group = f32x4.replace_lane(group, 2, load<f32>(at, 8));
    // Only the columns there are: a padded one would multiply a row of B
    // by zero, NaN where that row holds an infinity.
    count = keep(p, k, stride, group, offsets, values, count) - (p + 4 - k);
  }
  return count;
}


/** Four bytes (u32 lanes) as floats scaled by 1/255 (signed conversion:
 * the one x64 has an instruction for, exact for 0..255). */
// @ts-ignore: AssemblyScript's decorator
@inline
function unit(bytes: v128): v128 {
  return f32x4.mul(f32x4.convert_i32x4_s(bytes), f32x4.splat(UNIT));
}

/** pack() for k bytes at `row`, each scaled by 1/255 as it is packed. */
function packBytes(
  row: usize,
  k: i32,
  stride: i32,
  offsets: usize,
  values: usize,
): i32 {
  let count = 0;
  let p = 0;
  // Offsets of columns p to p + 3, and how far the next four are.
  let columns = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(stride));
  const four = i32x4.splat(stride << 2);
  for (; p + 16 <= k; p += 16) {
    const bytes = v128.load(row + <usize>p);
    if (v128.any_true(bytes)) {
      // All four groups are stored; the count only passes nonzero ones.
      const low = i16x8.extend_low_i8x16_u(bytes);
      const high = i16x8.extend_high_i8x16_u(bytes);
      let at = <usize>count << 2;
      v128.store(offsets + at, columns);
      v128.store(values + at, unit(i32x4.extend_low_i16x8_u(low)));
      count += i32(i32x4.extract_lane(bytes, 0) != 0) << 2;
      columns = i32x4.add(columns, four);
      at = <usize>count << 2;
      v128.store(offsets + at, columns);
      v128.store(values + at, unit(i32x4.extend_high_i16x8_u(low)));
      count += i32(i32x4.extract_lane(bytes, 1) != 0) << 2;
      columns = i32x4.add(columns, four);
      at = <usize>count << 2;
      v128.store(offsets + at, columns);
      v128.store(values + at, unit(i32x4.extend_low_i16x8_u(high)));
      count += i32(i32x4.extract_lane(bytes, 2) != 0) << 2;
      columns = i32x4.add(columns, four);
      at = <usize>count << 2;
      v128.store(offsets + at, columns);
      v128.store(values + at, unit(i32x4.extend_high_i16x8_u(high)));
      count += i32(i32x4.extract_lane(bytes, 3) != 0) << 2;
      columns = i32x4.add(columns, four);
    } else {
      columns = i32x4.add(columns, i32x4.splat(stride << 4));
    }
  }
  for (; p < k; p += 4) {
    // The last bytes, four at a time, little-endian as a v128 load is.
    let word: u32 = 0;
    for (let t = min(p + 4, k) - 1; t >= p; t--) {
      word = (word << 8) | load<u8>(row + <usize>t);
    }
    if (word == 0) continue;
    const wide = i16x8.extend_low_i8x16_u(i32x4.splat(word));
    const group = unit(i32x4.extend_low_i16x8_u(wide));
    count = keep(p, k, stride, group, offsets, values, count);
    // As in pack(): never a column past the last.
    if (p + 4 > k) count -= p + 4 - k;
  }
  return count;
}

/**
 * C[i, :] = A[i, :] · B for rows i in [rowStart, rowEnd): A is [m, k]
 * floats (unpadded), B [k, columns], C [m, columns]. `work` holds
 * 8 bytes per column of A, k rounded up to a multiple of 4.
 */
export function matMulRows(
  a: usize,
  b: usize,
  c: usize,
  k: i32,
  columns: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = columns << 2;
  const values = work + (<usize>(k + 3 & ~3) << 2);
  for (let i = rowStart; i < rowEnd; i++) {
    const row = a + <usize>i * <usize>(k << 2);
    const n = pack(row, k, stride, work, values);
    rowBands(b, c + <usize>i * <usize>stride, columns, n, work, values);
  }
}

/** matMulRows with A as [m, k] pixel bytes, each worth byte / 255. */
export function matMulRowsBytes(
  a: usize,
  b: usize,
  c: usize,
  k: i32,
  columns: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = columns << 2;
  const values = work + (<usize>(k + 3 & ~3) << 2);
  for (let i = rowStart; i < rowEnd; i++) {
    const n = packBytes(a + <usize>i * <usize>k, k, stride, work, values);
    rowBands(b, c + <usize>i * <usize>stride, columns, n, work, values);
  }
}

/**
 * Rows [rowStart, rowEnd) of C = Aᵀ · B, where `a` holds Aᵀ: [k, m] floats
 * (unpadded). B is [k, columns], C [m, columns]. Each row p of Aᵀ
 * is packed over the columns in range, and its nonzero entries scatter
 * B's row p onto those rows of C. `work` holds 8 bytes per row in range,
 * rounded up to a multiple of 4.
 */
export function matMulTransA(
  a: usize,
  b: usize,
  c: usize,
  k: i32,
  m: i32,
  columns: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = columns << 2;
  const rows = rowEnd - rowStart;
  const values = work + (<usize>(rows + 3 & ~3) << 2);
  const first = c + <usize>rowStart * <usize>stride;
  memory.fill(first, 0, <usize>rows * <usize>stride);
  for (let p = 0; p < k; p++) {
    const from = a + ((<usize>p * <usize>m + <usize>rowStart) << 2);
    const n = pack(from, rows, stride, work, values);
    if (n === 0) continue;
    scatterBands(b + <usize>p * <usize>stride, first, columns, n, work, values);
  }
}

/** matMulTransA with Aᵀ as [k, m] pixel bytes, each worth byte / 255. */
export function matMulTransABytes(
  a: usize,
  b: usize,
  c: usize,
  k: i32,
  m: i32,
  columns: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = columns << 2;
  const rows = rowEnd - rowStart;
  const values = work + (<usize>(rows + 3 & ~3) << 2);
  const first = c + <usize>rowStart * <usize>stride;
  memory.fill(first, 0, <usize>rows * <usize>stride);
  for (let p = 0; p < k; p++) {
    const from = a + <usize>p * <usize>m + <usize>rowStart;
    const n = packBytes(from, rows, stride, work, values);
    if (n === 0) continue;
    scatterBands(b + <usize>p * <usize>stride, first, columns, n, work, values);
  }
}

/**
 * Copies `bytes` from src to dst, a vector at a time: rows here are a few
 * dozen bytes, where memory.copy costs a call each.
 */
// @ts-ignore: AssemblyScript's decorator
@inline
function copyRow(dst: usize, src: usize, bytes: usize): void {
  let at: usize = 0;
  for (; at + 16 <= bytes; at += 16) v128.store(dst + at, v128.load(src + at));
  for (; at < bytes; at += 4) store<f32>(dst + at, load<f32>(src + at));
}

/** dst [rows, dstColumns] = src [rows, columns] with zeros on the right. */
export function padColumns(
  src: usize,
  rows: i32,
  columns: i32,
  dst: usize,
  dstColumns: i32,
): void {
  const from = <usize>columns << 2;
  const to = <usize>dstColumns << 2;
  for (let r = 0; r < rows; r++) {
    const d = dst + <usize>r * to;
    copyRow(d, src + <usize>r * from, from);
    for (let at = from; at < to; at += 4) store<f32>(d + at, 0);
  }
}

/** dst [rows, columns] = the first columns of src [rows, srcColumns]. */
export function cropColumns(
  src: usize,
  rows: i32,
  srcColumns: i32,
  dst: usize,
  columns: i32,
): void {
  const from = <usize>srcColumns << 2;
  const to = <usize>columns << 2;
  for (let r = 0; r < rows; r++) {
    copyRow(dst + <usize>r * to, src + <usize>r * from, to);
  }
}

/**
 * dst [columns, dstColumns] = the transpose of src [rows, columns], each
 * row zero-padded from `rows` to dstColumns floats.
 */
export function transpose(
  src: usize,
  rows: i32,
  columns: i32,
  dst: usize,
  dstColumns: i32,
): void {
  const to = <usize>dstColumns << 2;
  // Tiles of 16 x 16 keep both sides in cache.
  for (let r0 = 0; r0 < rows; r0 += 16) {
    const r1 = min(r0 + 16, rows);
    for (let c0 = 0; c0 < columns; c0 += 16) {
      const c1 = min(c0 + 16, columns);
      for (let r = r0; r < r1; r++) {
        const s = src + (<usize>r * <usize>columns << 2);
        for (let col = c0; col < c1; col++) {
          store<f32>(
            dst + <usize>col * to + (<usize>r << 2),
            load<f32>(s + (<usize>col << 2)),
          );
        }
      }
    }
  }
  if (dstColumns > rows) {
    for (let col = 0; col < columns; col++) {
      memory.fill(
        dst + <usize>col * to + (<usize>rows << 2),
        0,
        <usize>(dstColumns - rows) << 2,
      );
    }
  }
}
