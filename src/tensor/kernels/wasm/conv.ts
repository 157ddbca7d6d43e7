// Convolution for the WebAssembly kernel set, in AssemblyScript. Forward:
// the windows of 8 output pixels at a time are copied into a small block
// (im2col for those rows only, never the whole batch) and multiplied by
// the filters in registers, 8 vectors of sums at once. Backward walks the
// same windows once per output pixel with a nonzero gradient (most are
// zero, after max pooling and ReLU): the filters' gradient gains the
// window times each nonzero dOut entry, and dX gains those entries times
// their filter, scattered over the window. Pointers are byte offsets;
// rows of filters and outputs are padded to whole vectors of 4 floats.
//
// NOTE: the 8x1, 4x2, 2x4 and 1x8 blocks repeat one pattern on purpose, as
// bands.ts does: they are the hot loops.

import {
  IN_HEIGHT,
  IN_WIDTH,
  CHANNELS,
  WINDOW_HEIGHT,
  WINDOW_WIDTH,
  STRIDE_HEIGHT,
  STRIDE_WIDTH,
  PAD_TOP,
  PAD_LEFT,
  OUT_HEIGHT,
  OUT_WIDTH,
  FILTERS,
} from './geometry';

// Output pixels whose windows are multiplied together.
const BLOCK = 8;

/**
 * Copies the window at (top, left) of image b into `col`, as one row of
 * im2col: [kh * kw * c] floats, zero where it reads padding.
 */
@inline
function gatherWindow(
  g: usize,
  x: usize,
  b: i32,
  top: i32,
  left: i32,
  col: usize,
): void {
  const inHeight = load<i32>(g, IN_HEIGHT);
  const inWidth = load<i32>(g, IN_WIDTH);
  const c = load<i32>(g, CHANNELS);
  const kh = load<i32>(g, WINDOW_HEIGHT);
  const kw = load<i32>(g, WINDOW_WIDTH);
  const kyStart = max(0, -top);
  const kyEnd = min(kh, inHeight - top);
  const kxStart = max(0, -left);
  const kxEnd = min(kw, inWidth - left);
  if (kyStart > 0 || kyEnd < kh || kxStart > 0 || kxEnd < kw) {
    memory.fill(col, 0, <usize>(kh * kw * c) << 2);
  }
  const run = (kxEnd - kxStart) * c;
  for (let ky = kyStart; ky < kyEnd; ky++) {
    const line = (b * inHeight + top + ky) * inWidth + left + kxStart;
    const from = x + (<usize>(line * c) << 2);
    const to = col + (<usize>((ky * kw + kxStart) * c) << 2);
    let i = 0;
    for (; i + 4 <= run; i += 4) {
      v128.store(to + (<usize>i << 2), v128.load(from + (<usize>i << 2)));
    }
    for (; i < run; i++) {
      store<f32>(to + (<usize>i << 2), load<f32>(from + (<usize>i << 2)));
    }
  }
}

// out rows = init + cols rows · w, for P rows of cols (colStride bytes
// apart) and W vectors of output channels, P * W = 8: every sum stays in
// a register over all k terms.

@inline
function block8x1(
  cols: usize,
  colStride: usize,
  w: usize,
  stride: usize,
  init: usize,
  out: usize,
  k: i32,
): void {
  let a0 = v128.load(init, 0);
  let a1 = v128.load(init, 16);
  let a2 = v128.load(init, 32);
  let a3 = v128.load(init, 48);
  let a4 = v128.load(init, 64);
  let a5 = v128.load(init, 80);
  let a6 = v128.load(init, 96);
  let a7 = v128.load(init, 112);
  for (let p = 0; p < k; p++) {
    const r = w + <usize>p * stride;
    const s = v128.load32_splat(cols + (<usize>p << 2));
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(r, 0)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(r, 16)));
    a2 = f32x4.add(a2, f32x4.mul(s, v128.load(r, 32)));
    a3 = f32x4.add(a3, f32x4.mul(s, v128.load(r, 48)));
    a4 = f32x4.add(a4, f32x4.mul(s, v128.load(r, 64)));
    a5 = f32x4.add(a5, f32x4.mul(s, v128.load(r, 80)));
    a6 = f32x4.add(a6, f32x4.mul(s, v128.load(r, 96)));
    a7 = f32x4.add(a7, f32x4.mul(s, v128.load(r, 112)));
  }
  v128.store(out, a0, 0);
  v128.store(out, a1, 16);
  v128.store(out, a2, 32);
  v128.store(out, a3, 48);
  v128.store(out, a4, 64);
  v128.store(out, a5, 80);
  v128.store(out, a6, 96);
  v128.store(out, a7, 112);
}

@inline
function block4x2(
  cols: usize,
  colStride: usize,
  w: usize,
  stride: usize,
  init: usize,
  out: usize,
  k: i32,
): void {
  let a0 = v128.load(init, 0);
  let a1 = v128.load(init, 16);
  let a2 = v128.load(init, 32);
  let a3 = v128.load(init, 48);
  let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
  for (let p = 0; p < k; p++) {
    const r = w + <usize>p * stride;
    const w0 = v128.load(r, 0);
    const w1 = v128.load(r, 16);
    const w2 = v128.load(r, 32);
    const w3 = v128.load(r, 48);
    const at = cols + (<usize>p << 2);
    let s = v128.load32_splat(at);
    a0 = f32x4.add(a0, f32x4.mul(s, w0));
    a1 = f32x4.add(a1, f32x4.mul(s, w1));
    a2 = f32x4.add(a2, f32x4.mul(s, w2));
    a3 = f32x4.add(a3, f32x4.mul(s, w3));
    s = v128.load32_splat(at + colStride);
    b0 = f32x4.add(b0, f32x4.mul(s, w0));
    b1 = f32x4.add(b1, f32x4.mul(s, w1));
    b2 = f32x4.add(b2, f32x4.mul(s, w2));
    b3 = f32x4.add(b3, f32x4.mul(s, w3));
  }
  v128.store(out, a0, 0);
  v128.store(out, a1, 16);
  v128.store(out, a2, 32);
  v128.store(out, a3, 48);
  v128.store(out + stride, b0, 0);
  v128.store(out + stride, b1, 16);
  v128.store(out + stride, b2, 32);
  v128.store(out + stride, b3, 48);
}

@inline
function block2x4(
  cols: usize,
  colStride: usize,
  w: usize,
  stride: usize,
  init: usize,
  out: usize,
  k: i32,
): void {
  let a0 = v128.load(init, 0);
  let a1 = v128.load(init, 16);
  let b0 = a0, b1 = a1, c0 = a0, c1 = a1, d0 = a0, d1 = a1;
  for (let p = 0; p < k; p++) {
    const r = w + <usize>p * stride;
    const w0 = v128.load(r, 0);
    const w1 = v128.load(r, 16);
    const at = cols + (<usize>p << 2);
    let s = v128.load32_splat(at);
    a0 = f32x4.add(a0, f32x4.mul(s, w0));
    a1 = f32x4.add(a1, f32x4.mul(s, w1));
    s = v128.load32_splat(at + colStride);
    b0 = f32x4.add(b0, f32x4.mul(s, w0));
    b1 = f32x4.add(b1, f32x4.mul(s, w1));
    s = v128.load32_splat(at + 2 * colStride);
    c0 = f32x4.add(c0, f32x4.mul(s, w0));
    c1 = f32x4.add(c1, f32x4.mul(s, w1));
    s = v128.load32_splat(at + 3 * colStride);
    d0 = f32x4.add(d0, f32x4.mul(s, w0));
    d1 = f32x4.add(d1, f32x4.mul(s, w1));
  }
  v128.store(out, a0, 0);
  v128.store(out, a1, 16);
  v128.store(out + stride, b0, 0);
  v128.store(out + stride, b1, 16);
  v128.store(out + 2 * stride, c0, 0);
  v128.store(out + 2 * stride, c1, 16);
  v128.store(out + 3 * stride, d0, 0);
  v128.store(out + 3 * stride, d1, 16);
}

@inline
function block1x8(
  cols: usize,
  colStride: usize,
  w: usize,
  stride: usize,
  init: usize,
  out: usize,
  k: i32,
): void {
  let a0 = v128.load(init, 0);
  let a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let p = 0; p < k; p++) {
    const w0 = v128.load(w + <usize>p * stride);
    const at = cols + (<usize>p << 2);
    a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(at), w0));
    a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(at + colStride), w0));
    a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(at + 2 * colStride), w0));
    a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(at + 3 * colStride), w0));
    a4 = f32x4.add(a4, f32x4.mul(v128.load32_splat(at + 4 * colStride), w0));
    a5 = f32x4.add(a5, f32x4.mul(v128.load32_splat(at + 5 * colStride), w0));
    a6 = f32x4.add(a6, f32x4.mul(v128.load32_splat(at + 6 * colStride), w0));
    a7 = f32x4.add(a7, f32x4.mul(v128.load32_splat(at + 7 * colStride), w0));
  }
  v128.store(out, a0);
  v128.store(out + stride, a1);
  v128.store(out + 2 * stride, a2);
  v128.store(out + 3 * stride, a3);
  v128.store(out + 4 * stride, a4);
  v128.store(out + 5 * stride, a5);
  v128.store(out + 6 * stride, a6);
  v128.store(out + 7 * stride, a7);
}

/**
 * Output pixels [rowStart, rowEnd) of a convolution: `g` the geometry, x
 * the NHWC input, `w` the filters [kh * kw * c, vectors * 4], `bias`
 * [vectors * 4], `out` [rows, vectors * 4]. `work` holds
 * 32 * (kh * kw * c + vectors * 4) bytes.
 */
export function conv2dRows(
  g: usize,
  x: usize,
  w: usize,
  bias: usize,
  out: usize,
  vectors: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
): void {
  const outHeight = load<i32>(g, OUT_HEIGHT);
  const outWidth = load<i32>(g, OUT_WIDTH);
  const strideHeight = load<i32>(g, STRIDE_HEIGHT);
  const strideWidth = load<i32>(g, STRIDE_WIDTH);
  const padTop = load<i32>(g, PAD_TOP);
  const padLeft = load<i32>(g, PAD_LEFT);
  const k = load<i32>(g, WINDOW_HEIGHT) * load<i32>(g, WINDOW_WIDTH) * load<i32>(g, CHANNELS);
  const stride = <usize>vectors << 4;
  const colStride = <usize>k << 2;
  const cols = work;
  // The last block's rows past rowEnd are written here, then dropped.
  const spare = work + <usize>BLOCK * colStride;
  const pixels = outHeight * outWidth;
  let b = rowStart / pixels;
  let oy = (rowStart % pixels) / outWidth;
  let ox = rowStart % outWidth;
  for (let r0 = rowStart; r0 < rowEnd; r0 += BLOCK) {
    const count = min(BLOCK, rowEnd - r0);
    for (let i = 0; i < count; i++) {
      const top = oy * strideHeight - padTop;
      const left = ox * strideWidth - padLeft;
      gatherWindow(g, x, b, top, left, cols + <usize>i * colStride);
      if (++ox === outWidth) {
        ox = 0;
        if (++oy === outHeight) {
          oy = 0;
          b++;
        }
      }
    }
    const to = count === BLOCK ? out + <usize>r0 * stride : spare;
    if (count < BLOCK) {
      const unused = <usize>(BLOCK - count) * colStride;
      memory.fill(cols + <usize>count * colStride, 0, unused);
    }

    let v = 0;
    for (; v + 8 <= vectors; v += 8) {
      const at = <usize>v << 4;
      for (let i = 0; i < BLOCK; i++) {
        const row = <usize>i;
        const from = cols + row * colStride;
        block8x1(from, colStride, w + at, stride, bias + at, to + row * stride + at, k);
      }
    }
    if (v + 4 <= vectors) {
      const at = <usize>v << 4;
      for (let i = 0; i < BLOCK; i += 2) {
        const row = <usize>i;
        const from = cols + row * colStride;
        block4x2(from, colStride, w + at, stride, bias + at, to + row * stride + at, k);
      }
      v += 4;
    }
    if (v + 2 <= vectors) {
      const at = <usize>v << 4;
      for (let i = 0; i < BLOCK; i += 4) {
        const row = <usize>i;
        const from = cols + row * colStride;
        block2x4(from, colStride, w + at, stride, bias + at, to + row * stride + at, k);
      }
      v += 2;
    }
    if (v < vectors) {
      const at = <usize>v << 4;
      block1x8(cols, colStride, w + at, stride, bias + at, to + at, k);
    }
    if (count < BLOCK) memory.copy(out + <usize>r0 * stride, spare, <usize>count * stride);
  }
}

/**
 * Adds d times `from` ([kh * kw * c] floats, a row of im2col) back onto the
 * pixels of dX the window at (top, left) of image b reads.
 */
@inline
function scatterWindow(
  g: usize,
  dX: usize,
  b: i32,
  top: i32,
  left: i32,
  from: usize,
  d: f32,
): void {
  const inHeight = load<i32>(g, IN_HEIGHT);
  const inWidth = load<i32>(g, IN_WIDTH);
  const c = load<i32>(g, CHANNELS);
  const kw = load<i32>(g, WINDOW_WIDTH);
  const kyEnd = min(load<i32>(g, WINDOW_HEIGHT), inHeight - top);
  const kxStart = max(0, -left);
  const kxEnd = min(kw, inWidth - left);
  const run = (kxEnd - kxStart) * c;
  const scale = f32x4.splat(d);
  for (let ky = max(0, -top); ky < kyEnd; ky++) {
    const line = (b * inHeight + top + ky) * inWidth + left + kxStart;
    const to = dX + (<usize>(line * c) << 2);
    const src = from + (<usize>((ky * kw + kxStart) * c) << 2);
    let i = 0;
    for (; i + 4 <= run; i += 4) {
      const at = <usize>i << 2;
      const sum = f32x4.mul(scale, v128.load(src + at));
      v128.store(to + at, f32x4.add(v128.load(to + at), sum));
    }
    for (; i < run; i++) {
      const at = <usize>i << 2;
      store<f32>(to + at, load<f32>(to + at) + d * load<f32>(src + at));
    }
  }
}

/**
 * The gradients of output pixels [rowStart, rowEnd) of a convolution, added
 * to what dWT, dBias and dX hold (each skipped when 0). `dOut` is
 * [rows, vectors * 4] (padded with zeros); dBias [vectors * 4]; dWT the
 * filters' gradient transposed, [filters, kVectors * 4]; dX the input's.
 * wT is the filters transposed, [filters, kVectors * 4]. `work` holds
 * 16 * kVectors bytes.
 */
export function conv2dGradRows(
  g: usize,
  x: usize,
  wT: usize,
  dOut: usize,
  vectors: i32,
  kVectors: i32,
  rowStart: i32,
  rowEnd: i32,
  work: usize,
  dWT: usize,
  dBias: usize,
  dX: usize,
): void {
  const outHeight = load<i32>(g, OUT_HEIGHT);
  const outWidth = load<i32>(g, OUT_WIDTH);
  const strideHeight = load<i32>(g, STRIDE_HEIGHT);
  const strideWidth = load<i32>(g, STRIDE_WIDTH);
  const padTop = load<i32>(g, PAD_TOP);
  const padLeft = load<i32>(g, PAD_LEFT);
  const filters = load<i32>(g, FILTERS);
  const stride = <usize>vectors << 4;
  const kStride = <usize>kVectors << 4;
  // One window, zero past its kh * kw * c floats up to whole vectors.
  const col = work;
  memory.fill(col, 0, kStride);
  const pixels = outHeight * outWidth;
  let b = rowStart / pixels;
  let oy = (rowStart % pixels) / outWidth;
  let ox = rowStart % outWidth;
  for (let r = rowStart; r < rowEnd; r++) {
    const image = b;
    const top = oy * strideHeight - padTop;
    const left = ox * strideWidth - padLeft;
    if (++ox === outWidth) {
      ox = 0;
      if (++oy === outHeight) {
        oy = 0;
        b++;
      }
    }
    const row = dOut + <usize>r * stride;
    let any = v128.load(row);
    for (let v: usize = 16; v < stride; v += 16) any = v128.or(any, v128.load(row + v));
    if (!v128.any_true(any)) continue;
    if (dBias !== 0) {
      for (let v: usize = 0; v < stride; v += 16) {
        v128.store(dBias + v, f32x4.add(v128.load(dBias + v), v128.load(row + v)));
      }
    }

    if (dWT !== 0) gatherWindow(g, x, image, top, left, col);
    for (let f = 0; f < filters; f++) {
      const d = load<f32>(row + (<usize>f << 2));
      if (d == 0) continue;
      if (dWT !== 0) {
        // dWT[f, :] += dOut[r, f] * window
        const scale = f32x4.splat(d);
        const to = dWT + <usize>f * kStride;
        for (let v = 0; v < kVectors; v++) {
          const at = <usize>v << 4;
          const sum = f32x4.mul(scale, v128.load(col + at));
          v128.store(to + at, f32x4.add(v128.load(to + at), sum));
        }
      }
      if (dX !== 0) {
        // dX[window] += dOut[r, f] * filter f
        scatterWindow(g, dX, image, top, left, wT + <usize>f * kStride, d);
      }
    }
  }
}

/**
 * For stride 1: calls back, for each nonzero input element of images
 * [imageStart, imageEnd), every (output pixel, filter row) pair it meets,
 * adding `value` times the vectors at `from` onto those at `to`. With
 * FORWARD, to is the output row and from the filter row; else to is the
 * filter row (of dW) and from the output row (of dOut).
 */
@inline
function scatterInputs(
  g: usize,
  x: usize,
  a: usize,
  z: usize,
  vectors: i32,
  imageStart: i32,
  imageEnd: i32,
  forward: bool,
): void {
  const inHeight = load<i32>(g, IN_HEIGHT);
  const inWidth = load<i32>(g, IN_WIDTH);
  const c = load<i32>(g, CHANNELS);
  const kh = load<i32>(g, WINDOW_HEIGHT);
  const kw = load<i32>(g, WINDOW_WIDTH);
  const padTop = load<i32>(g, PAD_TOP);
  const padLeft = load<i32>(g, PAD_LEFT);
  const outHeight = load<i32>(g, OUT_HEIGHT);
  const outWidth = load<i32>(g, OUT_WIDTH);
  const stride = <usize>vectors << 4;
  const filterStep = <usize>c * stride;
  const run = inWidth * c;
  for (let b = imageStart; b < imageEnd; b++) {
    for (let iy = 0; iy < inHeight; iy++) {
      // Output row oy meets this input row through filter row ty - oy.
      const ty = iy + padTop;
      const kyStart = max(0, ty - outHeight + 1);
      const kyEnd = min(kh, ty + 1);
      const line = x + (<usize>((b * inHeight + iy) * run) << 2);
      for (let i = 0; i < run; i += 4) {
        // Images are zero in long runs: four at a time cost one test.
        if (!v128.any_true(v128.load(line + (<usize>i << 2)))) continue;
        const end = min(i + 4, run);
        for (let j = i; j < end; j++) {
          const value = load<f32>(line + (<usize>j << 2));
          if (value == 0) continue;
          let ix = j;
          if (c !== 1) ix /= c;
          const ch = j - ix * c;
          const tx = ix + padLeft;
          const kxStart = max(0, tx - outWidth + 1);
          const kxEnd = min(kw, tx + 1);
          const scale = f32x4.splat(value);
          for (let ky = kyStart; ky < kyEnd; ky++) {
            // Along kx the output pixels step back, the filter rows on.
            const pixel = (b * outHeight + ty - ky) * outWidth + tx - kxStart;
            let o = a + <usize>pixel * stride;
            let f = z + <usize>((ky * kw + kxStart) * c + ch) * stride;
            for (let kx = kxStart; kx < kxEnd; kx++) {
              const to = forward ? o : f;
              const from = forward ? f : o;
              let v: usize = 0;
              for (; v + 32 <= stride; v += 32) {
                const sum0 = f32x4.mul(scale, v128.load(from + v));
                const sum1 = f32x4.mul(scale, v128.load(from + v, 16));
                v128.store(to + v, f32x4.add(v128.load(to + v), sum0));
                v128.store(to + v, f32x4.add(v128.load(to + v, 16), sum1), 16);
              }
              if (v < stride) {
                const sum = f32x4.mul(scale, v128.load(from + v));
                v128.store(to + v, f32x4.add(v128.load(to + v), sum));
              }
              o -= stride;
              f += filterStep;
            }
          }
        }
      }
    }
  }
}

/**
 * Adds the `rows` rows at `first` ([rows, vectors * 4]) to `sums`, two
 * vectors at a time in registers.
 */
function sumRows(first: usize, rows: i32, vectors: i32, sums: usize): void {
  const stride = <usize>vectors << 4;
  const end = first + <usize>rows * stride;
  let v: usize = 0;
  for (; v + 32 <= stride; v += 32) {
    let s0 = v128.load(sums + v);
    let s1 = v128.load(sums + v, 16);
    for (let row = first + v; row < end; row += stride) {
      s0 = f32x4.add(s0, v128.load(row));
      s1 = f32x4.add(s1, v128.load(row, 16));
    }
    v128.store(sums + v, s0);
    v128.store(sums + v, s1, 16);
  }
  if (v < stride) {
    let s0 = v128.load(sums + v);
    for (let row = first + v; row < end; row += stride) {
      s0 = f32x4.add(s0, v128.load(row));
    }
    v128.store(sums + v, s0);
  }
}

/**
 * Images [imageStart, imageEnd) of a stride-1 convolution, input by
 * input: each nonzero input element adds its value times a filter row to
 * every output pixel it reaches. Best where the input is mostly zero and
 * has few channels (MNIST digits). Arguments as for conv2dRows.
 */
export function conv2dScatterImages(
  g: usize,
  x: usize,
  w: usize,
  bias: usize,
  out: usize,
  vectors: i32,
  imageStart: i32,
  imageEnd: i32,
): void {
  const pixels = load<i32>(g, OUT_HEIGHT) * load<i32>(g, OUT_WIDTH);
  const stride = <usize>vectors << 4;
  const end = out + <usize>(imageEnd * pixels) * stride;
  for (let row = out + <usize>(imageStart * pixels) * stride; row < end; row += stride) {
    for (let v: usize = 0; v < stride; v += 16) v128.store(row + v, v128.load(bias + v));
  }
  scatterInputs(g, x, out, w, vectors, imageStart, imageEnd, true);
}

/**
 * The gradients of filters, [kh * kw * c, vectors * 4], and bias of a
 * stride-1 convolution over images [imageStart, imageEnd), added to dW
 * and dBias (each skipped when 0). dW is found input by input, the adjoint
 * of conv2dScatterImages.
 */
export function conv2dFilterGradScatterImages(
  g: usize,
  x: usize,
  dOut: usize,
  dW: usize,
  dBias: usize,
  vectors: i32,
  imageStart: i32,
  imageEnd: i32,
): void {
  const pixels = load<i32>(g, OUT_HEIGHT) * load<i32>(g, OUT_WIDTH);
  const stride = <usize>vectors << 4;
  if (dBias !== 0) {
    const first = dOut + <usize>(imageStart * pixels) * stride;
    sumRows(first, (imageEnd - imageStart) * pixels, vectors, dBias);
  }
  if (dW !== 0) scatterInputs(g, x, dOut, dW, vectors, imageStart, imageEnd, false);
}
