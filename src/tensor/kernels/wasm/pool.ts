// Max pooling and ReLU for the WebAssembly kernel set, in AssemblyScript:
// comparisons as SIMD masks instead of branches, which the plain loops
// mispredict on half of all elements. Pointers are byte offsets.

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
} from './geometry';

/**
 * Max pooling of output pixels [rowStart, rowEnd): per channel, the first
 * maximum of the window into `out` and its flat input index into
 * `argMax`, both [rows, c]; 0 and -1 for a window wholly in padding.
 */
export function maxPoolRows(
  g: usize,
  x: usize,
  out: usize,
  argMax: usize,
  rowStart: i32,
  rowEnd: i32,
): void {
  const inHeight = load<i32>(g, IN_HEIGHT);
  const inWidth = load<i32>(g, IN_WIDTH);
  const c = load<i32>(g, CHANNELS);
  const kh = load<i32>(g, WINDOW_HEIGHT);
  const kw = load<i32>(g, WINDOW_WIDTH);
  const strideHeight = load<i32>(g, STRIDE_HEIGHT);
  const strideWidth = load<i32>(g, STRIDE_WIDTH);
  const padTop = load<i32>(g, PAD_TOP);
  const padLeft = load<i32>(g, PAD_LEFT);
  const outHeight = load<i32>(g, OUT_HEIGHT);
  const outWidth = load<i32>(g, OUT_WIDTH);
  const pixels = outHeight * outWidth;
  const lanes = i32x4(0, 1, 2, 3);
  let b = rowStart / pixels;
  let oy = (rowStart % pixels) / outWidth;
  let ox = rowStart % outWidth;
  for (let r = rowStart; r < rowEnd; r++) {
    const top = oy * strideHeight - padTop;
    const left = ox * strideWidth - padLeft;
    const image = b;
    if (++ox === outWidth) {
      ox = 0;
      if (++oy === outHeight) {
        oy = 0;
        b++;
      }
    }
    const kyStart = max(0, -top);
    const kyEnd = min(kh, inHeight - top);
    const kxStart = max(0, -left);
    const kxEnd = min(kw, inWidth - left);
    const to = <usize>(r * c) << 2;
    if (kyStart >= kyEnd || kxStart >= kxEnd) {
      for (let ch = 0; ch < c; ch++) {
        store<f32>(out + to + (<usize>ch << 2), 0);
        store<i32>(argMax + to + (<usize>ch << 2), -1);
      }
      continue;
    }
    // Flat index of channel 0 of the window's first pixel.
    const first = ((image * inHeight + top + kyStart) * inWidth + left + kxStart) * c;
    let ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      let best = v128.load(x + (<usize>(first + ch) << 2));
      let index = i32x4.add(i32x4.splat(first + ch), lanes);
      for (let ky = kyStart; ky < kyEnd; ky++) {
        const line = ((image * inHeight + top + ky) * inWidth + left) * c + ch;
        for (let kx = kxStart; kx < kxEnd; kx++) {
          const from = line + kx * c;
          const value = v128.load(x + (<usize>from << 2));
          // Strictly greater: ties keep the first maximum.
          const wins = f32x4.gt(value, best);
          best = v128.bitselect(value, best, wins);
          index = v128.bitselect(i32x4.add(i32x4.splat(from), lanes), index, wins);
        }
      }
      v128.store(out + to + (<usize>ch << 2), best);
      v128.store(argMax + to + (<usize>ch << 2), index);
    }
    for (; ch < c; ch++) {
      let best = load<f32>(x + (<usize>(first + ch) << 2));
      let index = first + ch;
      for (let ky = kyStart; ky < kyEnd; ky++) {
        const line = ((image * inHeight + top + ky) * inWidth + left) * c + ch;
        for (let kx = kxStart; kx < kxEnd; kx++) {
          const from = line + kx * c;
          const value = load<f32>(x + (<usize>from << 2));
          if (value > best) {
            best = value;
            index = from;
          }
        }
      }
      store<f32>(out + to + (<usize>ch << 2), best);
      store<i32>(argMax + to + (<usize>ch << 2), index);
    }
  }
}

/**
 * dX for max pooling, images [imageStart, imageEnd): zeroed, then each
 * dOut element of those images added at its argMax.
 */
export function maxPoolGradImages(
  g: usize,
  dOut: usize,
  argMax: usize,
  dX: usize,
  imageStart: i32,
  imageEnd: i32,
): void {
  const c = load<i32>(g, CHANNELS);
  const imageSize = load<i32>(g, IN_HEIGHT) * load<i32>(g, IN_WIDTH) * c;
  const outSize = load<i32>(g, OUT_HEIGHT) * load<i32>(g, OUT_WIDTH) * c;
  memory.fill(
    dX + (<usize>(imageStart * imageSize) << 2),
    0,
    <usize>((imageEnd - imageStart) * imageSize) << 2,
  );
  const end = imageEnd * outSize;
  for (let i = imageStart * outSize; i < end; i++) {
    const to = load<i32>(argMax + (<usize>i << 2));
    // Adding the zeros too costs less than the branch on them.
    if (to >= 0) {
      const at = dX + (<usize>to << 2);
      store<f32>(at, load<f32>(at) + load<f32>(dOut + (<usize>i << 2)));
    }
  }
}

/** out = max(x, 0) on [start, end), keeping NaN and -0 as they are. */
export function reluRange(x: usize, out: usize, start: i32, end: i32): void {
  const zero = f32x4.splat(0);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const at = <usize>i << 2;
    const value = v128.load(x + at);
    v128.store(out + at, v128.andnot(value, f32x4.lt(value, zero)));
  }
  for (; i < end; i++) {
    const value = load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), value < 0 ? 0 : value);
  }
}

/** dX = dY where y > 0, else 0, on [start, end). */
export function reluGradRange(
  y: usize,
  dY: usize,
  dX: usize,
  start: i32,
  end: i32,
): void {
  const zero = f32x4.splat(0);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const at = <usize>i << 2;
    const alive = f32x4.gt(v128.load(y + at), zero);
    v128.store(dX + at, v128.and(v128.load(dY + at), alive));
  }
  for (; i < end; i++) {
    const at = <usize>i << 2;
    store<f32>(dX + at, load<f32>(y + at) > 0 ? load<f32>(dY + at) : 0);
  }
}
