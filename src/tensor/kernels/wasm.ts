// The WebAssembly kernel set: matrix products, convolution, max pooling
// and ReLU in 128-bit SIMD over the engine heap's shared linear memory,
// split across threads when a Team is given. Operands already in the heap
// are used in place; others are copied in for the call. The ops it does
// not speed up fall through to the plain TypeScript set.
// Works wherever WebAssembly SIMD does; loading the module is left to the
// caller (node.ts in Node, a fetch in a page).

import { cpuKernels } from './cpu.js';
import type {
  AdamStep,
  BinaryOp,
  ConvGradNeeds,
  ConvGrads,
  Kernels,
  ResultGradOp,
  UnaryOp,
} from './kernels.js';
import { gatherRows } from '../pixels.js';
import {
  sameShape,
  sizeOf,
  type Shape,
  type WindowGeometry,
} from '../shape.js';
import type { Heap } from './heap.js';
import { floats, ints } from './workspace.js';

/**
 * What an instance of kernels.wasm imports: the engine heap's memory, and
 * JavaScript's own exp and log, so that its results are the plain
 * kernels' bit for bit.
 */
export function kernelImports(memory: WebAssembly.Memory) {
  return { env: { memory }, Math: { exp: Math.exp, log: Math.log } };
}

/** The functions kernels.wasm exports; pointers are byte offsets. */
export interface WasmExports {
  matMulRows(
    a: number,
    b: number,
    c: number,
    k: number,
    columns: number,
    rowStart: number,
    rowEnd: number,
    work: number,
  ): void;
  matMulRowsBytes(
    a: number,
    b: number,
    c: number,
    k: number,
    columns: number,
    rowStart: number,
    rowEnd: number,
    work: number,
  ): void;
  matMulTransA(
    a: number,
    b: number,
    c: number,
    k: number,
    m: number,
    columns: number,
    rowStart: number,
    rowEnd: number,
    work: number,
  ): void;
  matMulTransABytes(
    a: number,
    b: number,
    c: number,
    k: number,
    m: number,
    columns: number,
    rowStart: number,
    rowEnd: number,
    work: number,
  ): void;
  countPixels(
    a: number,
    count: number,
    width: number,
    starts: number,
    first: number,
  ): number;
  packPixels(
    a: number,
    count: number,
    width: number,
    starts: number,
    index: number,
    value: number,
  ): void;
  matMulPixelRows(
    starts: number,
    index: number,
    value: number,
    rows: number,
    width: number,
    b: number,
    c: number,
    columns: number,
    rowStart: number,
    rowEnd: number,
    work: number,
  ): void;
  matMulTransAPixelRows(
    starts: number,
    index: number,
    value: number,
    rows: number,
    width: number,
    k: number,
    b: number,
    c: number,
    columns: number,
    rowStart: number,
    rowEnd: number,
    work: number,
  ): void;
  softmaxRows(
    logits: number,
    probs: number,
    rows: number,
    classes: number,
  ): void;
  addRows(
    a: number,
    b: number,
    out: number,
    rows: number,
    columns: number,
  ): void;
  sumRows(x: number, out: number, rows: number, columns: number): void;
  literalCrossEntropy(
    logits: number,
    oneHot: number,
    probs: number,
    rows: number,
    classes: number,
  ): number;
  literalCrossEntropyGrad(
    probs: number,
    oneHot: number,
    dLoss: number,
    dLogits: number,
    rows: number,
    classes: number,
  ): void;
  sgd(
    data: number,
    grad: number,
    n: number,
    learningRate: number,
    decay: number,
  ): void;
  adam(
    data: number,
    grad: number,
    m: number,
    v: number,
    n: number,
    step: number,
    unbias: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    decay: number,
  ): void;
  padColumns(
    src: number,
    rows: number,
    columns: number,
    dst: number,
    dstColumns: number,
  ): void;
  cropColumns(
    src: number,
    rows: number,
    srcColumns: number,
    dst: number,
    columns: number,
  ): void;
  transpose(
    src: number,
    rows: number,
    columns: number,
    dst: number,
    dstColumns: number,
  ): void;
  conv2dRows(
    g: number,
    x: number,
    w: number,
    bias: number,
    out: number,
    vectors: number,
    rowStart: number,
    rowEnd: number,
    work: number,
  ): void;
  conv2dGradRows(
    g: number,
    x: number,
    wT: number,
    dOut: number,
    vectors: number,
    kVectors: number,
    rowStart: number,
    rowEnd: number,
    work: number,
    dWT: number,
    dBias: number,
    dX: number,
  ): void;
  conv2dScatterImages(
    g: number,
    x: number,
    w: number,
    bias: number,
    out: number,
    vectors: number,
    imageStart: number,
    imageEnd: number,
  ): void;
  conv2dFilterGradScatterImages(
    g: number,
    x: number,
    dOut: number,
    dW: number,
    dBias: number,
    vectors: number,
    imageStart: number,
    imageEnd: number,
  ): void;
  maxPoolRows(
    g: number,
    x: number,
    out: number,
    argMax: number,
    rowStart: number,
    rowEnd: number,
  ): void;
  maxPoolGradImages(
    g: number,
    dOut: number,
    argMax: number,
    dX: number,
    imageStart: number,
    imageEnd: number,
  ): void;
  reluRange(x: number, out: number, start: number, end: number): void;
  reluGradRange(
    y: number,
    dY: number,
    dX: number,
    start: number,
    end: number,
  ): void;
}

/** Threads that run one export of the same module on the same memory. */
export interface Team {
  /** Threads including the caller's. */
  readonly size: number;
  /**
   * Calls `name` once per argument list, list 0 on the calling thread and
   * the others on helpers, and returns when all are done.
   */
  run(name: keyof WasmExports, argLists: number[][]): void;
}

// Products smaller than this many multiply-adds are not worth a hand-off.
const MIN_PARALLEL_WORK = 1 << 21;
// Nor elementwise and pooling kernels over fewer elements than this.
const MIN_PARALLEL_ELEMENTS = 1 << 17;
// Below this many elements, ReLU stays in TypeScript: the copies in and
// out would cost more than the branches they save.
const MIN_WASM_ELEMENTS = 1 << 12;

// Pixel sets are packed this many images at a time, each slice copied
// into the arena: the whole set never is.
const PACK_SLICE_BYTES = 4 << 20;
// The packed entries hold pixel indices as u16.
const MAX_PACKED_WIDTH = 65536;

/** A set of images packed to its nonzero pixels in the heap (pixels.ts). */
interface PackedSet {
  width: number;
  count: number;
  /** Byte offsets of i32 [count + 1] starts, u16 indices and u8 values. */
  starts: number;
  index: number;
  value: number;
}

// By the images' array, whose bytes must not change once packed, and by
// row width: one packing per width, however often the widths alternate.
const packedSets = new WeakMap<Uint8Array, Map<number, PackedSet>>();

/**
 * True when conv2d goes input by input (conv2dScatterImages): for inputs
 * of few channels, where zeros can be skipped one by one (most MNIST
 * pixels), and stride 1, where each input meets a block of outputs.
 */
function scatters(g: WindowGeometry): boolean {
  return g.channels < 4 && g.strideHeight === 1 && g.strideWidth === 1;
}

/** Splits [0, total) into `parts` near-equal [start, end) ranges. */
function split(total: number, parts: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let t = 0; t < parts; t++) {
    const start = Math.floor((total * t) / parts);
    const end = Math.floor((total * (t + 1)) / parts);
    if (end > start) ranges.push([start, end]);
  }
  return ranges;
}

/**
 * Kernels running on `exports`, an instance of kernels.wasm over the
 * memory of `heap`; with a team, large products are split across its
 * threads. Arrays in the heap are read and written in place; others are
 * copied into its arena for the call and results copied out.
 */
export function wasmKernels(
  exports: WasmExports,
  heap: Heap,
  team?: Team,
): Kernels {
  const threads = team?.size ?? 1;

  /** Calls `name` once per argument list, on the team when there are more. */
  function run(name: keyof WasmExports, argLists: number[][]): void {
    if (argLists.length <= 1 || team === undefined) {
      for (const args of argLists) {
        (exports[name] as (...args: number[]) => void)(...args);
      }
    } else {
      team.run(name, argLists);
    }
  }

  /** Runs `body`, giving back the arena memory it takes as scratch. */
  function scoped<T>(body: () => T): T {
    const mark = heap.mark();
    try {
      return body();
    } finally {
      heap.release(mark);
    }
  }

  /** Where a kernel writes `out`: in place, or scratch that deliver() copies. */
  function target(out: Float32Array | Int32Array): number {
    return heap.offsetOf(out) ?? heap.take(out.byteLength);
  }

  /** Copies what a kernel wrote at `at` into `out`, unless it is in place. */
  function deliver(out: Float32Array | Int32Array, at: number): void {
    if (heap.offsetOf(out) !== null) return;
    const written = heap.u8.subarray(at, at + out.byteLength);
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(written);
  }

  /**
   * `out` as `write` fills it: `write` gets where in the heap to write it
   * (in place, or scratch copied out after), inside a scope of its own.
   */
  function written<T extends Float32Array | Int32Array>(
    out: T,
    write: (at: number) => void,
  ): T {
    scoped(() => {
      const at = target(out);
      write(at);
      deliver(out, at);
    });
    return out;
  }

  /** `bytes` of zeros in the arena. */
  function zeros(bytes: number): number {
    const at = heap.take(bytes);
    heap.u8.fill(0, at, at + bytes);
    return at;
  }

  /** [rows, columns] floats at `at`, padded to `to` columns. */
  function padded(at: number, rows: number, columns: number, to: number) {
    if (to === columns) return at;
    const paddedAt = heap.take(rows * to * 4);
    exports.padColumns(at, rows, columns, paddedAt, to);
    return paddedAt;
  }

  /** g as the i32 words the window kernels read, then `filters`. */
  function geometry(g: WindowGeometry, filters = 0): number {
    return heap.place(
      Int32Array.of(
        g.batch,
        g.inHeight,
        g.inWidth,
        g.channels,
        g.windowHeight,
        g.windowWidth,
        g.strideHeight,
        g.strideWidth,
        g.padTop,
        g.padLeft,
        g.outHeight,
        g.outWidth,
        filters,
      ),
    );
  }

  /** Threads worth using on `work` units, at least `minimum` per thread. */
  function partsFor(work: number, minimum: number, most: number): number {
    return Math.max(1, Math.min(threads, most, Math.floor(work / minimum)));
  }

  /** matMul, with A as float32 values or as pixel bytes. */
  function product(
    a: Float32Array | Uint8Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
  ): Float32Array {
    const out = floats(m * n, false);
    if (out.length === 0) return out;
    return scoped(() => {
      const aAt = heap.place(a);
      let bAt = heap.place(b);
      if (transB) {
        const transposed = heap.take(k * n * 4);
        exports.transpose(bAt, n, k, transposed, n);
        bAt = transposed;
      }
      // Rows of B and C unpadded: the kernels store part-full vectors.
      const cAt = target(out);
      const parts = m * k * n >= MIN_PARALLEL_WORK ? Math.min(threads, m) : 1;
      // Each thread packs rows of A (k long) or columns of Aᵀ (m at most),
      // in whole groups of 4: an offset and a value per entry.
      const workBytes = 8 * 4 * Math.ceil((transA ? m : k) / 4);
      const work = heap.take(parts * workBytes);
      const bytes = a instanceof Uint8Array;
      const name = transA
        ? bytes
          ? 'matMulTransABytes'
          : 'matMulTransA'
        : bytes
          ? 'matMulRowsBytes'
          : 'matMulRows';
      run(
        name,
        split(m, parts).map(([start, end], t) => {
          const w = work + t * workBytes;
          return transA
            ? [aAt, bAt, cAt, k, m, n, start, end, w]
            : [aAt, bAt, cAt, k, n, start, end, w];
        }),
      );
      deliver(out, cAt);
      return out;
    });
  }

  /**
   * `a` as images of `width` packed to their nonzero pixels, made on first
   * use and kept until `a` is collected. NOTE: so `a` must not change.
   */
  function packedSet(a: Uint8Array, width: number): PackedSet {
    let byWidth = packedSets.get(a);
    if (byWidth === undefined) packedSets.set(a, (byWidth = new Map()));
    const known = byWidth.get(width);
    if (known !== undefined) return known;
    const count = Math.floor(a.length / width);
    const starts = heap.keep((count + 1) * 4, a);
    const slice = Math.max(1, Math.floor(PACK_SLICE_BYTES / width));
    // Calls fn(images, count, first) on each slice in the heap.
    const eachSlice = (fn: (at: number, n: number, first: number) => void) => {
      for (let first = 0; first < count; first += slice) {
        const n = Math.min(slice, count - first);
        scoped(() => {
          const images = a.subarray(first * width, (first + n) * width);
          fn(heap.place(images), n, first);
        });
      }
    };

    // Count first, to size the entries, then pack.
    let total = 0;
    eachSlice((at, n, first) => {
      const from = starts + first * 4;
      total = exports.countPixels(at, n, width, from, total);
    });
    // The kernels read up to 3 entries past an image's last.
    const index = heap.keep(total * 2 + 8, a);
    const value = heap.keep(total + 4, a);
    eachSlice((at, n, first) => {
      exports.packPixels(at, n, width, starts + first * 4, index, value);
    });
    const set = { width, count, starts, index, value };
    byWidth.set(width, set);
    return set;
  }

  /** matMulPixels for rows of a set of images, read packed and in place. */
  function pixelRowsProduct(
    a: Uint8Array,
    rows: Uint32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
  ): Float32Array {
    const width = transA ? m : k;
    const set = packedSet(a, width);
    // The largest row, found without a branch per row.
    let largest = 0;
    for (let i = 0; i < rows.length; i++) largest = Math.max(largest, rows[i]);
    if (largest >= set.count) {
      throw new RangeError(
        `matMulPixels: expected rows below ${set.count} but found ${largest}`,
      );
    }
    const out = floats(m * n, false);
    if (out.length === 0) return out;
    return scoped(() => {
      const rowsAt = heap.place(rows);
      const bAt = heap.place(b);
      const cAt = target(out);
      const parts = m * k * n >= MIN_PARALLEL_WORK ? Math.min(threads, m) : 1;
      const ranges = split(m, parts);
      // Each thread expands one image's entries at a time: an offset and a
      // value each, for a whole row or its share of rows of C.
      const most = transA ? Math.ceil(m / parts) : width;
      const workBytes = Math.ceil((8 * (most + 4)) / 64) * 64;
      const work = heap.take(ranges.length * workBytes);
      const { starts, index, value } = set;
      run(
        transA ? 'matMulTransAPixelRows' : 'matMulPixelRows',
        ranges.map(([start, end], t) => [
          starts,
          index,
          value,
          rowsAt,
          width,
          ...(transA ? [k] : []),
          bAt,
          cAt,
          n,
          start,
          end,
          work + t * workBytes,
        ]),
      );
      deliver(out, cAt);
      return out;
    });
  }

  function preparePixels(images: Uint8Array, width: number): void {
    if (width > 0 && width < MAX_PACKED_WIDTH) packedSet(images, width);
  }

  function matMulPixels(
    a: Uint8Array,
    rows: Uint32Array | null,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
  ): Float32Array {
    if (rows === null) return product(a, b, m, k, n, transA, false);
    const width = transA ? m : k;
    if (width < MAX_PACKED_WIDTH) {
      return pixelRowsProduct(a, rows, b, m, k, n, transA);
    }
    return product(gatherRows(a, rows, width), b, m, k, n, transA, false);
  }

  function sgd(
    weights: Float32Array,
    dWeights: Float32Array,
    learningRate: number,
    decay: number,
  ): void {
    scoped(() => {
      const wAt = heap.place(weights);
      const dAt = heap.place(dWeights);
      exports.sgd(wAt, dAt, weights.length, learningRate, decay);
      deliver(weights, wAt);
    });
  }

  function binary(
    op: BinaryOp,
    a: Float32Array,
    aShape: Shape,
    b: Float32Array,
    bShape: Shape,
    outShape: Shape,
  ): Float32Array {
    const columns = aShape[1];
    if (
      op !== 'add' ||
      aShape.length !== 2 ||
      !sameShape(aShape, outShape) ||
      b.length !== columns ||
      bShape[bShape.length - 1] !== columns
    ) {
      return cpuKernels.binary(op, a, aShape, b, bShape, outShape);
    }
    // A bias added to each row.
    return written(floats(a.length, false), (outAt) =>
      exports.addRows(heap.place(a), heap.place(b), outAt, aShape[0], columns),
    );
  }

  function reduceToShape(
    x: Float32Array,
    xShape: Shape,
    shape: Shape,
  ): Float32Array {
    const columns = xShape[1];
    if (
      xShape.length !== 2 ||
      sizeOf(shape) !== columns ||
      shape[shape.length - 1] !== columns ||
      xShape[0] === 0
    ) {
      return cpuKernels.reduceToShape(x, xShape, shape);
    }
    // A bias's gradient: the rows summed in order.
    return written(floats(columns, false), (outAt) =>
      exports.sumRows(heap.place(x), outAt, xShape[0], columns),
    );
  }

  function softmax(
    x: Float32Array,
    outer: number,
    dim: number,
    inner: number,
  ): Float32Array {
    if (inner !== 1) return cpuKernels.softmax(x, outer, dim, inner);
    return written(floats(x.length, false), (probsAt) =>
      exports.softmaxRows(heap.place(x), probsAt, outer, dim),
    );
  }

  function literalCrossEntropy(
    logits: Float32Array,
    oneHot: Float32Array,
    rows: number,
    classes: number,
  ): { loss: Float32Array; probs: Float32Array } {
    const loss = floats(1, false);
    const probs = written(floats(rows * classes, false), (probsAt) => {
      const logitsAt = heap.place(logits);
      const oneHotAt = heap.place(oneHot);
      loss[0] = exports.literalCrossEntropy(
        logitsAt,
        oneHotAt,
        probsAt,
        rows,
        classes,
      );
    });
    return { loss, probs };
  }

  function literalCrossEntropyGrad(
    probs: Float32Array,
    oneHot: Float32Array,
    dLoss: number,
    rows: number,
    classes: number,
  ): Float32Array {
    return written(floats(rows * classes, false), (dLogitsAt) => {
      const probsAt = heap.place(probs);
      const oneHotAt = heap.place(oneHot);
      exports.literalCrossEntropyGrad(
        probsAt,
        oneHotAt,
        dLoss,
        dLogitsAt,
        rows,
        classes,
      );
    });
  }

  function adam(
    weights: Float32Array,
    dWeights: Float32Array,
    m: Float32Array,
    v: Float32Array,
    { step, unbias, beta1, beta2, epsilon, decay }: AdamStep,
  ): void {
    scoped(() => {
      const [wAt, dAt, mAt, vAt] = [weights, dWeights, m, v].map((array) =>
        heap.place(array),
      );
      exports.adam(
        wAt,
        dAt,
        mAt,
        vAt,
        weights.length,
        step,
        unbias,
        beta1,
        beta2,
        epsilon,
        decay,
      );
      deliver(weights, wAt);
      deliver(m, mAt);
      deliver(v, vAt);
    });
  }

  function conv2d(
    x: Float32Array,
    filters: Float32Array,
    bias: Float32Array | null,
    g: WindowGeometry,
    outChannels: number,
  ): Float32Array {
    const rows = g.batch * g.outHeight * g.outWidth;
    const k = g.windowHeight * g.windowWidth * g.channels;
    if (rows === 0 || k === 0 || outChannels === 0) {
      return cpuKernels.conv2d(x, filters, bias, g, outChannels);
    }
    const out = floats(rows * outChannels, false);
    return scoped(() => {
      const vectors = Math.ceil(outChannels / 4);
      const width = vectors * 4;
      const gAt = geometry(g, outChannels);
      const xAt = heap.place(x);
      const wAt = padded(heap.place(filters), k, outChannels, width);
      const biasAt = zeros(width * 4);
      if (bias !== null) heap.floats(biasAt, outChannels).set(bias);
      const outAt = target(out);
      const convAt =
        width === outChannels ? outAt : heap.take(rows * width * 4);
      const parts = partsFor(
        rows * k * outChannels,
        MIN_PARALLEL_WORK,
        g.batch,
      );
      const images = split(g.batch, parts);

      if (scatters(g)) {
        run(
          'conv2dScatterImages',
          images.map(([start, end]) => [
            gAt,
            xAt,
            wAt,
            biasAt,
            convAt,
            vectors,
            start,
            end,
          ]),
        );
      } else {
        const pixels = g.outHeight * g.outWidth;
        const workBytes = 32 * (k + width);
        const work = heap.take(parts * workBytes);
        run(
          'conv2dRows',
          images.map(([start, end], t) => [
            gAt,
            xAt,
            wAt,
            biasAt,
            convAt,
            vectors,
            start * pixels,
            end * pixels,
            work + t * workBytes,
          ]),
        );
      }
      if (width !== outChannels) {
        exports.cropColumns(convAt, rows, width, outAt, outChannels);
      }
      deliver(out, outAt);
      return out;
    });
  }

  function conv2dGrad(
    x: Float32Array,
    filters: Float32Array,
    dOut: Float32Array,
    g: WindowGeometry,
    outChannels: number,
    needs: ConvGradNeeds,
  ): ConvGrads {
    const f = outChannels;
    const pixels = g.outHeight * g.outWidth;
    const rows = g.batch * pixels;
    const k = g.windowHeight * g.windowWidth * g.channels;
    if (rows === 0 || k === 0 || f === 0) {
      return cpuKernels.conv2dGrad(x, filters, dOut, g, f, needs);
    }
    const dX = needs.x ? floats(x.length) : null;
    const dFilters = needs.filters ? floats(k * f) : null;
    const dBias = needs.bias ? floats(f) : null;
    scoped(() => {
      const vectors = Math.ceil(f / 4);
      const width = vectors * 4;
      const kVectors = Math.ceil(k / 4);
      const kWidth = kVectors * 4;
      const scatter = scatters(g);
      const gAt = geometry(g, f);
      const xAt = needs.filters ? heap.place(x) : 0;
      let wTAt = 0;
      if (needs.x) {
        wTAt = heap.take(f * kWidth * 4);
        exports.transpose(heap.place(filters), k, f, wTAt, kWidth);
      }
      const dOutAt = padded(heap.place(dOut), rows, f, width);
      // conv2dGradRows adds onto dX: zeroed above, or zeros here.
      const dXAt =
        dX === null ? 0 : (heap.offsetOf(dX) ?? zeros(dX.byteLength));

      // Each thread sums its own share of dFilters and dBias, in slices
      // zeroed here; dX is split by images, which no window crosses. The
      // window walk keeps dFilters transposed, the input walk does not.
      const parts = partsFor(rows * k * f, MIN_PARALLEL_WORK, g.batch);
      const workBytes = 16 * kVectors;
      const dWBytes = needs.filters
        ? (scatter ? k * width : f * kWidth) * 4
        : 0;
      const dBiasBytes = needs.bias ? width * 4 : 0;
      const sliceBytes = workBytes + dWBytes + dBiasBytes;
      const slices = zeros(parts * sliceBytes);
      const images = split(g.batch, parts).map(([start, end], t) => {
        const work = slices + t * sliceBytes;
        const dWAt = dWBytes > 0 ? work + workBytes : 0;
        const dBiasAt = dBiasBytes > 0 ? work + workBytes + dWBytes : 0;
        return { start, end, work, dWAt, dBiasAt };
      });
      if (scatter && (needs.filters || needs.bias)) {
        run(
          'conv2dFilterGradScatterImages',
          images.map(({ start, end, dWAt, dBiasAt }) => [
            gAt,
            xAt,
            dOutAt,
            dWAt,
            dBiasAt,
            vectors,
            start,
            end,
          ]),
        );
      }
      if (!scatter || needs.x) {
        run(
          'conv2dGradRows',
          images.map(({ start, end, work, dWAt, dBiasAt }) => [
            gAt,
            xAt,
            wTAt,
            dOutAt,
            vectors,
            kVectors,
            start * pixels,
            end * pixels,
            work,
            scatter ? 0 : dWAt,
            scatter ? 0 : dBiasAt,
            dXAt,
          ]),
        );
      }

      for (const { dWAt, dBiasAt } of images) {
        if (dFilters !== null) {
          const dW = heap.floats(dWAt, dWBytes / 4);
          for (let p = 0; p < k; p++) {
            for (let j = 0; j < f; j++) {
              dFilters[p * f + j] += scatter
                ? dW[p * width + j]
                : dW[j * kWidth + p];
            }
          }
        }
        if (dBias !== null) {
          const partial = heap.floats(dBiasAt, f);
          for (let j = 0; j < f; j++) dBias[j] += partial[j];
        }
      }
      if (dX !== null) deliver(dX, dXAt);
    });
    return { dX, dFilters, dBias };
  }

  function maxPool(
    x: Float32Array,
    g: WindowGeometry,
  ): { out: Float32Array; argMax: Int32Array } {
    const rows = g.batch * g.outHeight * g.outWidth;
    const size = rows * g.channels;
    if (size === 0) return cpuKernels.maxPool(x, g);
    const out = floats(size, false);
    const argMax = ints(size, false);
    scoped(() => {
      const gAt = geometry(g);
      const xAt = heap.place(x);
      const outAt = target(out);
      const argMaxAt = target(argMax);
      const parts = partsFor(x.length, MIN_PARALLEL_ELEMENTS, rows);
      run(
        'maxPoolRows',
        split(rows, parts).map(([start, end]) => [
          gAt,
          xAt,
          outAt,
          argMaxAt,
          start,
          end,
        ]),
      );
      deliver(out, outAt);
      deliver(argMax, argMaxAt);
    });
    return { out, argMax };
  }

  function maxPoolGrad(
    dOut: Float32Array,
    argMax: Int32Array,
    g: WindowGeometry,
  ): Float32Array {
    const size = g.batch * g.inHeight * g.inWidth * g.channels;
    if (size === 0) return cpuKernels.maxPoolGrad(dOut, argMax, g);
    return written(floats(size, false), (dXAt) => {
      const gAt = geometry(g);
      const dOutAt = heap.place(dOut);
      const argMaxAt = heap.place(argMax);
      const parts = partsFor(size, MIN_PARALLEL_ELEMENTS, g.batch);
      run(
        'maxPoolGradImages',
        split(g.batch, parts).map(([start, end]) => [
          gAt,
          dOutAt,
          argMaxAt,
          dXAt,
          start,
          end,
        ]),
      );
    });
  }

  function unary(op: UnaryOp, x: Float32Array): Float32Array {
    if (op !== 'relu' || x.length < MIN_WASM_ELEMENTS) {
      return cpuKernels.unary(op, x);
    }
    return written(floats(x.length, false), (outAt) => {
      const xAt = heap.place(x);
      const parts = partsFor(x.length, MIN_PARALLEL_ELEMENTS, x.length);
      run(
        'reluRange',
        split(x.length, parts).map(([start, end]) => [xAt, outAt, start, end]),
      );
    });
  }

  function unaryGrad(
    op: ResultGradOp,
    y: Float32Array,
    dY: Float32Array,
  ): Float32Array {
    if (op !== 'relu' || y.length < MIN_WASM_ELEMENTS) {
      return cpuKernels.unaryGrad(op, y, dY);
    }
    return written(floats(y.length, false), (dXAt) => {
      const yAt = heap.place(y);
      const dYAt = heap.place(dY);
      const parts = partsFor(y.length, MIN_PARALLEL_ELEMENTS, y.length);
      run(
        'reluGradRange',
        split(y.length, parts).map(([start, end]) => [
          yAt,
          dYAt,
          dXAt,
          start,
          end,
        ]),
      );
    });
  }

  return {
    ...cpuKernels,
    adam,
    name: team ? `wasm-${threads}` : 'wasm',
    matMul: product,
    matMulPixels,
    preparePixels,
    binary,
    reduceToShape,
    softmax,
    literalCrossEntropy,
    literalCrossEntropyGrad,
    sgd,
    conv2d,
    conv2dGrad,
    maxPool,
    maxPoolGrad,
    unary,
    unaryGrad,
  };
}
