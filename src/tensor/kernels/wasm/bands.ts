// The inner loops of the sparse matrix products (matmul.ts, pixels.ts),
// in AssemblyScript: one row of A, packed to offsets into B and values,
// times B, or B's row scattered onto rows of C, a band of up to 8 vectors
// of 4 floats kept in registers. Pointers and strides are in bytes.
//
// NOTE: the blocks of width 8, 4, 3, 2 and 1 repeat one pattern on
// purpose: they are the hot loops, and AssemblyScript has no macros to
// stamp them out.

/** The float32 value of a pixel byte, as the data pipeline scales it. */
export const UNIT: f32 = <f32>1 / <f32>255;

/** Stores the first `lanes` (1 to 4) floats of `v` at `at`. */
// @ts-ignore: AssemblyScript's decorator
@inline
function storeLanes(at: usize, v: v128, lanes: i32): void {
  if (lanes == 4) {
    v128.store(at, v);
  } else if (lanes == 1) {
    v128.store32_lane(at, v, 0);
  } else {
    v128.store64_lane(at, v, 0);
    if (lanes == 3) v128.store32_lane(at + 8, v, 2);
  }
}

// out[0:w] = sum over the packed entries q of values[q] * b[offsets[q]],
// w vectors wide; `b` already points at the band's first column.

@inline
function dot8(b: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
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
  storeLanes(out + 112, c7, lanes);
}

@inline
function dot4(b: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
  let c0 = f32x4.splat(0);
  let c1 = c0, c2 = c0, c3 = c0;
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = b + <usize>load<i32>(offsets + (<usize>q << 2));
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(r, 16)));
    c2 = f32x4.add(c2, f32x4.mul(s, v128.load(r, 32)));
    c3 = f32x4.add(c3, f32x4.mul(s, v128.load(r, 48)));
  }
  v128.store(out, c0, 0);
  v128.store(out, c1, 16);
  v128.store(out, c2, 32);
  storeLanes(out + 48, c3, lanes);
}

@inline
function dot3(b: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
  let c0 = f32x4.splat(0);
  let c1 = c0, c2 = c0;
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = b + <usize>load<i32>(offsets + (<usize>q << 2));
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(r, 16)));
    c2 = f32x4.add(c2, f32x4.mul(s, v128.load(r, 32)));
  }
  v128.store(out, c0, 0);
  v128.store(out, c1, 16);
  storeLanes(out + 32, c2, lanes);
}

@inline
function dot2(b: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
  let c0 = f32x4.splat(0);
  let c1 = c0;
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = b + <usize>load<i32>(offsets + (<usize>q << 2));
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(r, 16)));
  }
  v128.store(out, c0, 0);
  storeLanes(out + 16, c1, lanes);
}

@inline
function dot1(b: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
  let c0 = f32x4.splat(0);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = b + <usize>load<i32>(offsets + (<usize>q << 2));
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
  }
  storeLanes(out + 0, c0, lanes);
}

/**
 * One row of C from a packed row of A: every band of `columns` in turn.
 * The last vector of a row may be part full: it is loaded whole (reading
 * up to 3 floats past the row, which only feed lanes never stored) and
 * stored lane by lane.
 */
export function rowBands(
  b: usize,
  out: usize,
  columns: i32,
  n: i32,
  offsets: usize,
  values: usize,
): void {
  const vectors = (columns + 3) >> 2;
  const last = columns - ((vectors - 1) << 2);
  let v = 0;
  for (; v + 8 <= vectors; v += 8) {
    const lanes = v + 8 == vectors ? last : 4;
    const band = <usize>v << 4;
    dot8(b + band, out + band, n, offsets, values, lanes);
  }
  if (v + 4 <= vectors) {
    const lanes = v + 4 == vectors ? last : 4;
    const band = <usize>v << 4;
    dot4(b + band, out + band, n, offsets, values, lanes);
    v += 4;
  }
  const left = vectors - v;
  const band = <usize>v << 4;
  if (left == 3) dot3(b + band, out + band, n, offsets, values, last);
  else if (left == 2) dot2(b + band, out + band, n, offsets, values, last);
  else if (left == 1) dot1(b + band, out + band, n, offsets, values, last);
}

// out[offsets[q]] += values[q] * the w vectors at `row`, for each packed q.

@inline
function axpy4(row: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
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
    storeLanes(r + 48, f32x4.add(v128.load(r, 48), f32x4.mul(s, b3)), lanes);
  }
}

@inline
function axpy3(row: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
  const b0 = v128.load(row, 0);
  const b1 = v128.load(row, 16);
  const b2 = v128.load(row, 32);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = out + <usize>load<i32>(offsets + (<usize>q << 2));
    v128.store(r, f32x4.add(v128.load(r, 0), f32x4.mul(s, b0)), 0);
    v128.store(r, f32x4.add(v128.load(r, 16), f32x4.mul(s, b1)), 16);
    storeLanes(r + 32, f32x4.add(v128.load(r, 32), f32x4.mul(s, b2)), lanes);
  }
}

@inline
function axpy2(row: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
  const b0 = v128.load(row, 0);
  const b1 = v128.load(row, 16);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = out + <usize>load<i32>(offsets + (<usize>q << 2));
    v128.store(r, f32x4.add(v128.load(r, 0), f32x4.mul(s, b0)), 0);
    storeLanes(r + 16, f32x4.add(v128.load(r, 16), f32x4.mul(s, b1)), lanes);
  }
}

@inline
function axpy1(row: usize, out: usize, n: i32, offsets: usize, values: usize, lanes: i32): void {
  const b0 = v128.load(row, 0);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = out + <usize>load<i32>(offsets + (<usize>q << 2));
    storeLanes(r + 0, f32x4.add(v128.load(r, 0), f32x4.mul(s, b0)), lanes);
  }
}

/**
 * Scatters B's row at `row` onto the packed rows of C, band by band, over
 * `columns`; a part-full last vector as in rowBands.
 */
export function scatterBands(
  row: usize,
  first: usize,
  columns: i32,
  n: i32,
  offsets: usize,
  values: usize,
): void {
  const vectors = (columns + 3) >> 2;
  const last = columns - ((vectors - 1) << 2);
  let v = 0;
  for (; v + 4 <= vectors; v += 4) {
    const lanes = v + 4 == vectors ? last : 4;
    const band = <usize>v << 4;
    axpy4(row + band, first + band, n, offsets, values, lanes);
  }
  const left = vectors - v;
  const band = <usize>v << 4;
  if (left == 3) axpy3(row + band, first + band, n, offsets, values, last);
  else if (left == 2) axpy2(row + band, first + band, n, offsets, values, last);
  else if (left == 1) axpy1(row + band, first + band, n, offsets, values, last);
}
