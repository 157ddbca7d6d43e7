// Matrix products for the WebAssembly kernel set, in AssemblyScript:
// 128-bit SIMD, rows of A packed to their nonzero entries (most MNIST
// pixels and many ReLU outputs are zero), and a band of output columns
// kept in registers. Pointers and strides are in bytes; every matrix is
// row-major with rows padded to whole vectors of 4 floats.
//
// NOTE: the blocks of width 8, 4, 3, 2 and 1 repeat one pattern on purpose: they are
// the hot loops, and AssemblyScript has no macros to stamp them out.

// Rows of A are packed four entries at a time: a group of four with any
// nonzero is kept whole (its zeros cost a few wasted multiply-adds) so that
// packing is all vector loads and stores, never a branch per entry.

/**
 * Stores the group of four at column p: the offsets p * stride on, and
 * the values. Columns past the row's last (k - 1) point at that one's row
 * of B, times a zero. Returns the new count.
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
 * Returns the count, a multiple of 4.
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
    count = keep(p, k, stride, group, offsets, values, count);
  }
  return count;
}

/** The float32 value of a pixel byte, as the data pipeline scales it. */
// @ts-ignore: AssemblyScript's decorator
@inline const UNIT: f32 = <f32>1 / <f32>255;

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
  }
  return count;
}

// out[0:w] = sum over the packed entries q of values[q] * b[offsets[q]],
// w vectors wide; `b` already points at the band's first column.

@inline
function dot8(b: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = b + <usize>load<i32>(offsets + (<usize>q << 2));
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(r, 16)));
    c2 = f32x4.add(c2, f32x4.mul(s, v128.load(r, 32)));
    c3 = f32x4.add(c3, f32x4.mul(s, v128.load(r, 48)));
    c4 = f32x4.add(c4, f32x4.mul(s, v128.load(r, 64)));
    c5 = f32x4.add(c5, f32x4.mul(s, v128.load(r, 80)));
    c6 = f32x4.add(c6, f32x4.mul(s, v128.load(r, 96)));
    c7 = f32x4.add(c7, f32x4.mul(s, v128.load(r, 112)));
  }
  v128.store(out, c0, 0);
  v128.store(out, c1, 16);
  v128.store(out, c2, 32);
  v128.store(out, c3, 48);
  v128.store(out, c4, 64);
  v128.store(out, c5, 80);
  v128.store(out, c6, 96);
  v128.store(out, c7, 112);
}

@inline
function dot4(b: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0;
  // Two entries a step, on two sets of sums: n is a multiple of 4.
  for (let q = 0; q < n; q += 2) {
    const at = <usize>q << 2;
    const s = f32x4.splat(load<f32>(values + at));
    const t = f32x4.splat(load<f32>(values + at, 4));
    const r = b + <usize>load<i32>(offsets + at);
    const u = b + <usize>load<i32>(offsets + at, 4);
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(r, 16)));
    c2 = f32x4.add(c2, f32x4.mul(s, v128.load(r, 32)));
    c3 = f32x4.add(c3, f32x4.mul(s, v128.load(r, 48)));
    d0 = f32x4.add(d0, f32x4.mul(t, v128.load(u, 0)));
    d1 = f32x4.add(d1, f32x4.mul(t, v128.load(u, 16)));
    d2 = f32x4.add(d2, f32x4.mul(t, v128.load(u, 32)));
    d3 = f32x4.add(d3, f32x4.mul(t, v128.load(u, 48)));
  }
  v128.store(out, f32x4.add(c0, d0), 0);
  v128.store(out, f32x4.add(c1, d1), 16);
  v128.store(out, f32x4.add(c2, d2), 32);
  v128.store(out, f32x4.add(c3, d3), 48);
}

@inline
function dot3(b: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = c0, c2 = c0, d0 = c0, d1 = c0, d2 = c0;
  // Two entries a step, on two sets of sums: n is a multiple of 4.
  for (let q = 0; q < n; q += 2) {
    const at = <usize>q << 2;
    const s = f32x4.splat(load<f32>(values + at));
    const t = f32x4.splat(load<f32>(values + at, 4));
    const r = b + <usize>load<i32>(offsets + at);
    const u = b + <usize>load<i32>(offsets + at, 4);
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(r, 16)));
    c2 = f32x4.add(c2, f32x4.mul(s, v128.load(r, 32)));
    d0 = f32x4.add(d0, f32x4.mul(t, v128.load(u, 0)));
    d1 = f32x4.add(d1, f32x4.mul(t, v128.load(u, 16)));
    d2 = f32x4.add(d2, f32x4.mul(t, v128.load(u, 32)));
  }
  v128.store(out, f32x4.add(c0, d0), 0);
  v128.store(out, f32x4.add(c1, d1), 16);
  v128.store(out, f32x4.add(c2, d2), 32);
}

@inline
function dot2(b: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = c0, d0 = c0, d1 = c0;
  // Two entries a step, on two sets of sums: n is a multiple of 4.
  for (let q = 0; q < n; q += 2) {
    const at = <usize>q << 2;
    const s = f32x4.splat(load<f32>(values + at));
    const t = f32x4.splat(load<f32>(values + at, 4));
    const r = b + <usize>load<i32>(offsets + at);
    const u = b + <usize>load<i32>(offsets + at, 4);
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(r, 16)));
    d0 = f32x4.add(d0, f32x4.mul(t, v128.load(u, 0)));
    d1 = f32x4.add(d1, f32x4.mul(t, v128.load(u, 16)));
  }
  v128.store(out, f32x4.add(c0, d0), 0);
  v128.store(out, f32x4.add(c1, d1), 16);
}

@inline
function dot1(b: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  let c0 = f32x4.splat(0);
  let d0 = c0;
  // Two entries a step, on two sets of sums: n is a multiple of 4.
  for (let q = 0; q < n; q += 2) {
    const at = <usize>q << 2;
    const s = f32x4.splat(load<f32>(values + at));
    const t = f32x4.splat(load<f32>(values + at, 4));
    const r = b + <usize>load<i32>(offsets + at);
    const u = b + <usize>load<i32>(offsets + at, 4);
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    d0 = f32x4.add(d0, f32x4.mul(t, v128.load(u, 0)));
  }
  v128.store(out, f32x4.add(c0, d0), 0);
}

/** One row of C from a packed row of A: every band of columns in turn. */
function rowBands(
  b: usize,
  out: usize,
  vectors: i32,
  n: i32,
  offsets: usize,
  values: usize,
): void {
  let v = 0;
  for (; v + 8 <= vectors; v += 8) {
    dot8(b + (<usize>v << 4), out + (<usize>v << 4), n, offsets, values);
  }
  if (v + 4 <= vectors) {
    dot4(b + (<usize>v << 4), out + (<usize>v << 4), n, offsets, values);
    v += 4;
  }
  const left = vectors - v;
  const band = <usize>v << 4;
  if (left == 3) dot3(b + band, out + band, n, offsets, values);
  else if (left == 2) dot2(b + band, out + band, n, offsets, values);
  else if (left == 1) dot1(b + band, out + band, n, offsets, values);
}

/**
 * C[i, :] = A[i, :] · B for rows i in [rowStart, rowEnd): A is [m, k]
 * floats (unpadded), B [k, vectors * 4], C [m, vectors * 4]. `work` holds
 * 8 bytes per column of A, k rounded up to a multiple of 4.
 */
export function matMulRows(
  a: usize,
  b: usize,
  c: usize,
  k: i32,
  vectors: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = vectors << 4;
  const values = work + (<usize>(k + 3 & ~3) << 2);
  for (let i = rowStart; i < rowEnd; i++) {
    const row = a + <usize>i * <usize>(k << 2);
    const n = pack(row, k, stride, work, values);
    rowBands(b, c + <usize>i * <usize>stride, vectors, n, work, values);
  }
}

/** matMulRows with A as [m, k] pixel bytes, each worth byte / 255. */
export function matMulRowsBytes(
  a: usize,
  b: usize,
  c: usize,
  k: i32,
  vectors: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = vectors << 4;
  const values = work + (<usize>(k + 3 & ~3) << 2);
  for (let i = rowStart; i < rowEnd; i++) {
    const n = packBytes(a + <usize>i * <usize>k, k, stride, work, values);
    rowBands(b, c + <usize>i * <usize>stride, vectors, n, work, values);
  }
}

// out[offsets[q]] += values[q] * the w vectors at `row`, for each packed q.

@inline
function axpy4(row: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  const b0 = v128.load(row, 0);
  const b1 = v128.load(row, 16);
  const b2 = v128.load(row, 32);
  const b3 = v128.load(row, 48);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = out + <usize>load<i32>(offsets + (<usize>q << 2));
    v128.store(r, f32x4.add(v128.load(r, 0), f32x4.mul(s, b0)), 0);
    v128.store(r, f32x4.add(v128.load(r, 16), f32x4.mul(s, b1)), 16);
    v128.store(r, f32x4.add(v128.load(r, 32), f32x4.mul(s, b2)), 32);
    v128.store(r, f32x4.add(v128.load(r, 48), f32x4.mul(s, b3)), 48);
  }
}

@inline
function axpy3(row: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  const b0 = v128.load(row, 0);
  const b1 = v128.load(row, 16);
  const b2 = v128.load(row, 32);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = out + <usize>load<i32>(offsets + (<usize>q << 2));
    v128.store(r, f32x4.add(v128.load(r, 0), f32x4.mul(s, b0)), 0);
    v128.store(r, f32x4.add(v128.load(r, 16), f32x4.mul(s, b1)), 16);
    v128.store(r, f32x4.add(v128.load(r, 32), f32x4.mul(s, b2)), 32);
  }
}

@inline
function axpy2(row: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  const b0 = v128.load(row, 0);
  const b1 = v128.load(row, 16);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = out + <usize>load<i32>(offsets + (<usize>q << 2));
    v128.store(r, f32x4.add(v128.load(r, 0), f32x4.mul(s, b0)), 0);
    v128.store(r, f32x4.add(v128.load(r, 16), f32x4.mul(s, b1)), 16);
  }
}

@inline
function axpy1(row: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  const b0 = v128.load(row, 0);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = out + <usize>load<i32>(offsets + (<usize>q << 2));
    v128.store(r, f32x4.add(v128.load(r, 0), f32x4.mul(s, b0)), 0);
  }
}

/** Scatters B's row at `row` onto the packed rows of C, band by band. */
function scatterBands(
  row: usize,
  first: usize,
  vectors: i32,
  n: i32,
  offsets: usize,
  values: usize,
): void {
  let v = 0;
  for (; v + 4 <= vectors; v += 4) {
    axpy4(row + (<usize>v << 4), first + (<usize>v << 4), n, offsets, values);
  }
  const left = vectors - v;
  const band = <usize>v << 4;
  if (left == 3) axpy3(row + band, first + band, n, offsets, values);
  else if (left == 2) axpy2(row + band, first + band, n, offsets, values);
  else if (left == 1) axpy1(row + band, first + band, n, offsets, values);
}

/**
 * Rows [rowStart, rowEnd) of C = Aᵀ · B, where `a` holds Aᵀ: [k, m] floats
 * (unpadded). B is [k, vectors * 4], C [m, vectors * 4]. Each row p of Aᵀ
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
  vectors: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = vectors << 4;
  const rows = rowEnd - rowStart;
  const values = work + (<usize>(rows + 3 & ~3) << 2);
  const first = c + <usize>rowStart * <usize>stride;
  memory.fill(first, 0, <usize>rows * <usize>stride);
  for (let p = 0; p < k; p++) {
    const from = a + ((<usize>p * <usize>m + <usize>rowStart) << 2);
    const n = pack(from, rows, stride, work, values);
    if (n === 0) continue;
    scatterBands(b + <usize>p * <usize>stride, first, vectors, n, work, values);
  }
}

/** matMulTransA with Aᵀ as [k, m] pixel bytes, each worth byte / 255. */
export function matMulTransABytes(
  a: usize,
  b: usize,
  c: usize,
  k: i32,
  m: i32,
  vectors: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const stride = vectors << 4;
  const rows = rowEnd - rowStart;
  const values = work + (<usize>(rows + 3 & ~3) << 2);
  const first = c + <usize>rowStart * <usize>stride;
  memory.fill(first, 0, <usize>rows * <usize>stride);
  for (let p = 0; p < k; p++) {
    const from = a + <usize>p * <usize>m + <usize>rowStart;
    const n = packBytes(from, rows, stride, work, values);
    if (n === 0) continue;
    scatterBands(b + <usize>p * <usize>stride, first, vectors, n, work, values);
  }
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
    memory.copy(d, src + <usize>r * from, from);
    memory.fill(d + from, 0, to - from);
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
    memory.copy(dst + <usize>r * to, src + <usize>r * from, to);
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
