// Matrix products for the WebAssembly kernel set, in AssemblyScript:
// 128-bit SIMD, rows of A packed to their nonzero entries (most MNIST
// pixels and many ReLU outputs are zero), and a band of output columns
// kept in registers. Pointers and strides are in bytes; every matrix is
// row-major with rows padded to whole vectors of 4 floats.
//
// NOTE: the width-8/4/2/1 blocks repeat one pattern on purpose: they are
// the hot loops, and AssemblyScript has no macros to stamp them out.

/**
 * Packs the k floats at `row` to their nonzero entries: `offsets` gets
 * p * stride for each nonzero row[p], `values` the value. Returns the count.
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
    // Four zeros at once cost one test: images are zero in long runs.
    if (!v128.any_true(v128.load(row + (<usize>p << 2)))) continue;
    for (let t = p; t < p + 4; t++) {
      const x = load<f32>(row + (<usize>t << 2));
      store<i32>(offsets + (<usize>count << 2), t * stride);
      store<f32>(values + (<usize>count << 2), x);
      count += i32(x != 0);
    }
  }
  for (; p < k; p++) {
    const x = load<f32>(row + (<usize>p << 2));
    store<i32>(offsets + (<usize>count << 2), p * stride);
    store<f32>(values + (<usize>count << 2), x);
    count += i32(x != 0);
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
  v128.store(out, c3, 48);
}

@inline
function dot2(b: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = c0;
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = b + <usize>load<i32>(offsets + (<usize>q << 2));
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(r, 16)));
  }
  v128.store(out, c0, 0);
  v128.store(out, c1, 16);
}

@inline
function dot1(b: usize, out: usize, n: i32, offsets: usize, values: usize): void {
  let c0 = f32x4.splat(0);
  for (let q = 0; q < n; q++) {
    const s = f32x4.splat(load<f32>(values + (<usize>q << 2)));
    const r = b + <usize>load<i32>(offsets + (<usize>q << 2));
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(r, 0)));
  }
  v128.store(out, c0, 0);
}

/**
 * C[i, :] = A[i, :] · B for rows i in [rowStart, rowEnd): A is [m, k]
 * floats (unpadded), B [k, vectors * 4], C [m, vectors * 4]. `work` holds
 * 8k bytes for the packed row.
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
  const offsets = work;
  const values = work + (<usize>k << 2);
  for (let i = rowStart; i < rowEnd; i++) {
    const n = pack(a + <usize>i * <usize>(k << 2), k, stride, offsets, values);
    const out = c + <usize>i * <usize>stride;
    let v = 0;
    for (; v + 8 <= vectors; v += 8) {
      dot8(b + (<usize>v << 4), out + (<usize>v << 4), n, offsets, values);
    }
    if (v + 4 <= vectors) {
      dot4(b + (<usize>v << 4), out + (<usize>v << 4), n, offsets, values);
      v += 4;
    }
    if (v + 2 <= vectors) {
      dot2(b + (<usize>v << 4), out + (<usize>v << 4), n, offsets, values);
      v += 2;
    }
    if (v < vectors) {
      dot1(b + (<usize>v << 4), out + (<usize>v << 4), n, offsets, values);
    }
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

/**
 * Rows [rowStart, rowEnd) of C = Aᵀ · B, where `a` holds Aᵀ: [k, m] floats
 * (unpadded). B is [k, vectors * 4], C [m, vectors * 4]. Each row p of Aᵀ
 * is packed over the columns in range, and its nonzero entries scatter
 * B's row p onto those rows of C. `work` holds 8 * (rowEnd - rowStart)
 * bytes.
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
  const offsets = work;
  const values = work + (<usize>rows << 2);
  const first = c + <usize>rowStart * <usize>stride;
  memory.fill(first, 0, <usize>rows * <usize>stride);
  for (let p = 0; p < k; p++) {
    const from = a + ((<usize>p * <usize>m + <usize>rowStart) << 2);
    const n = pack(from, rows, stride, offsets, values);
    if (n === 0) continue;
    const row = b + <usize>p * <usize>stride;
    let v = 0;
    for (; v + 4 <= vectors; v += 4) {
      axpy4(row + (<usize>v << 4), first + (<usize>v << 4), n, offsets, values);
    }
    if (v + 2 <= vectors) {
      axpy2(row + (<usize>v << 4), first + (<usize>v << 4), n, offsets, values);
      v += 2;
    }
    if (v < vectors) {
      axpy1(row + (<usize>v << 4), first + (<usize>v << 4), n, offsets, values);
    }
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
