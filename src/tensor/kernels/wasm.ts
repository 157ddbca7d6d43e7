// The WebAssembly kernel set: matrix products, convolution, max pooling
// and ReLU in 128-bit SIMD over one shared linear memory, split across
// threads when a Team is given. Operands are copied in and results out on
// every call. The ops it does not speed up fall through to the plain
// TypeScript set.
// Works wherever WebAssembly SIMD does; loading the module is left to the
// caller (node.ts in Node, a fetch in a page).

import { cpuKernels } from './cpu.js';
import type {
  AdamStep,
  ConvGradNeeds,
  ConvGrads,
  Kernels,
  ResultGradOp,
  UnaryOp,
} from './kernels.js';
import type { WindowGeometry } from '../shape.js';
import { floats, ints } from './workspace.js';

/** The functions kernels.wasm exports; pointers are byte offsets. */
export interface WasmExports {
  matMulRows(
    a: number,
    b: number,
    c: number,
    k: number,
    vectors: number,
    rowStart: number,
    rowEnd: number,
    work: number,
  ): void;
  matMulRowsBytes(
    a: number,
    b: number,
    c: number,
    k: number,
    vectors: number,
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
    vectors: number,
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
    vectors: number,
    rowStart: number,
    rowEnd: number,
    work: number,
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

// Bytes below this stay unused (AssemblyScript's null page and statics).
const BASE = 65536;
const PAGE = 65536;
// Products smaller than this many multiply-adds are not worth a hand-off.
const MIN_PARALLEL_WORK = 1 << 21;
// Nor elementwise and pooling kernels over fewer elements than this.
const MIN_PARALLEL_ELEMENTS = 1 << 17;
// Below this many elements, ReLU stays in TypeScript: the copies in and
// out would cost more than the branches they save.
const MIN_WASM_ELEMENTS = 1 << 12;

/** Memory the kernels work in, grown on demand and reused call to call. */
class Scratch {
  private top = BASE;
  // Views of the whole memory, remade when it grows.
  f32: Float32Array;
  u8: Uint8Array;

  constructor(readonly memory: WebAssembly.Memory) {
    this.f32 = new Float32Array(memory.buffer);
    this.u8 = new Uint8Array(memory.buffer);
  }

  /** Forgets every region; the next take() starts at the bottom again. */
  reset(): void {
    this.top = BASE;
  }

  /** A region of `bytes`, 16-byte aligned. */
  take(bytes: number): number {
    const at = this.top;
    this.top = (at + bytes + 15) & ~15;
    if (this.top > this.u8.length) {
      this.memory.grow(Math.ceil((this.top - this.u8.length) / PAGE));
      this.f32 = new Float32Array(this.memory.buffer);
      this.u8 = new Uint8Array(this.memory.buffer);
    }
    return at;
  }

  /** `length` floats at byte offset `at`. */
  floats(at: number, length: number): Float32Array {
    return this.f32.subarray(at >> 2, (at >> 2) + length);
  }

  ints(at: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, length);
  }

  /** A region holding a copy of `values`. */
  put(values: Float32Array | Int32Array): number {
    const at = this.take(values.length * 4);
    if (values instanceof Float32Array) {
      this.floats(at, values.length).set(values);
    } else {
      this.ints(at, values.length).set(values);
    }
    return at;
  }

  /** A region of `bytes` of zeros. */
  zeros(bytes: number): number {
    const at = this.take(bytes);
    this.u8.fill(0, at, at + bytes);
    return at;
  }

  /** g as the i32 words the window kernels read, then `filters`. */
  putGeometry(g: WindowGeometry, filters = 0): number {
    return this.put(
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
}

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
 * Kernels running on `exports`, an instance of kernels.wasm over `memory`;
 * with a team, large products are split across its threads.
 */
export function wasmKernels(
  exports: WasmExports,
  memory: WebAssembly.Memory,
  team?: Team,
): Kernels {
  const scratch = new Scratch(memory);
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
    const vectors = Math.ceil(n / 4);
    const padded = vectors * 4;
    scratch.reset();
    const aAt = scratch.take(a.byteLength);
    const bAt = scratch.take(b.length * 4);
    const bPacked = transB || padded !== n ? scratch.take(k * padded * 4) : bAt;
    const cAt = scratch.take(m * padded * 4);
    const parts = m * k * n >= MIN_PARALLEL_WORK ? Math.min(threads, m) : 1;
    // Each thread packs rows of A (k long) or columns of Aᵀ (m at most),
    // in whole groups of 4: an offset and a value per entry.
    const workBytes = 8 * 4 * Math.ceil((transA ? m : k) / 4);
    const work = scratch.take(parts * workBytes);
    const cOut = padded !== n ? scratch.take(m * n * 4) : cAt;
    const bytes = a instanceof Uint8Array;
    if (bytes) scratch.u8.set(a, aAt);
    else scratch.f32.set(a, aAt >> 2);
    scratch.f32.set(b, bAt >> 2);

    if (transB) exports.transpose(bAt, n, k, bPacked, padded);
    else if (padded !== n) exports.padColumns(bAt, k, n, bPacked, padded);
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
          ? [aAt, bPacked, cAt, k, m, vectors, start, end, w]
          : [aAt, bPacked, cAt, k, vectors, start, end, w];
      }),
    );
    if (padded !== n) exports.cropColumns(cAt, m, padded, cOut, n);
    return result(cOut, m * n);
  }

  function adam(
    weights: Float32Array,
    dWeights: Float32Array,
    m: Float32Array,
    v: Float32Array,
    { step, unbias, beta1, beta2, epsilon, decay }: AdamStep,
  ): void {
    const n = weights.length;
    scratch.reset();
    const at = [weights, dWeights, m, v].map((array) => {
      const region = scratch.take(n * 4);
      scratch.f32.set(array, region >> 2);
      return region;
    });
    exports.adam(
      at[0],
      at[1],
      at[2],
      at[3],
      n,
      step,
      unbias,
      beta1,
      beta2,
      epsilon,
      decay,
    );
    const { f32 } = scratch;
    weights.set(f32.subarray(at[0] >> 2, (at[0] >> 2) + n));
    m.set(f32.subarray(at[2] >> 2, (at[2] >> 2) + n));
    v.set(f32.subarray(at[3] >> 2, (at[3] >> 2) + n));
  }

  /** Threads worth using on `work` units, at least `minimum` per thread. */
  function partsFor(work: number, minimum: number, most: number): number {
    return Math.max(1, Math.min(threads, most, Math.floor(work / minimum)));
  }

  /** The first `length` floats at `at`, copied into a result array. */
  function result(at: number, length: number): Float32Array {
    const out = floats(length, false);
    out.set(scratch.floats(at, length));
    return out;
  }

  /** [rows, columns] floats at `at`, padded to `padded` columns. */
  function padded(at: number, rows: number, columns: number, to: number) {
    if (to === columns) return at;
    const paddedAt = scratch.take(rows * to * 4);
    exports.padColumns(at, rows, columns, paddedAt, to);
    return paddedAt;
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
    const vectors = Math.ceil(outChannels / 4);
    const width = vectors * 4;
    scratch.reset();
    const gAt = scratch.putGeometry(g, outChannels);
    const xAt = scratch.put(x);
    const wAt = padded(scratch.put(filters), k, outChannels, width);
    const biasAt = scratch.zeros(width * 4);
    if (bias !== null) scratch.floats(biasAt, outChannels).set(bias);
    const outAt = scratch.take(rows * width * 4);
    const parts = partsFor(rows * k * outChannels, MIN_PARALLEL_WORK, g.batch);
    const images = split(g.batch, parts);

    if (scatters(g)) {
      run(
        'conv2dScatterImages',
        images.map(([start, end]) => [
          gAt,
          xAt,
          wAt,
          biasAt,
          outAt,
          vectors,
          start,
          end,
        ]),
      );
    } else {
      const pixels = g.outHeight * g.outWidth;
      const workBytes = 32 * (k + width);
      const work = scratch.take(parts * workBytes);
      run(
        'conv2dRows',
        images.map(([start, end], t) => [
          gAt,
          xAt,
          wAt,
          biasAt,
          outAt,
          vectors,
          start * pixels,
          end * pixels,
          work + t * workBytes,
        ]),
      );
    }
    if (width === outChannels) return result(outAt, rows * outChannels);
    const croppedAt = scratch.take(rows * outChannels * 4);
    exports.cropColumns(outAt, rows, width, croppedAt, outChannels);
    return result(croppedAt, rows * outChannels);
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
    const vectors = Math.ceil(f / 4);
    const width = vectors * 4;
    const kVectors = Math.ceil(k / 4);
    const kWidth = kVectors * 4;
    const scatter = scatters(g);
    scratch.reset();
    const gAt = scratch.putGeometry(g, f);
    const xAt = needs.filters ? scratch.put(x) : 0;
    let wTAt = 0;
    if (needs.x) {
      const wAt = scratch.put(filters);
      wTAt = scratch.take(f * kWidth * 4);
      exports.transpose(wAt, k, f, wTAt, kWidth);
    }
    const dOutAt = padded(scratch.put(dOut), rows, f, width);
    const dXAt = needs.x ? scratch.zeros(x.length * 4) : 0;

    // Each thread sums its own share of dFilters and dBias, in slices
    // zeroed here; dX is split by images, which no window crosses. The
    // window walk keeps dFilters transposed, the input walk does not.
    const parts = partsFor(rows * k * f, MIN_PARALLEL_WORK, g.batch);
    const workBytes = 16 * kVectors;
    const dWBytes = needs.filters ? (scatter ? k * width : f * kWidth) * 4 : 0;
    const dBiasBytes = needs.bias ? width * 4 : 0;
    const sliceBytes = workBytes + dWBytes + dBiasBytes;
    const slices = scratch.take(parts * sliceBytes);
    const images = split(g.batch, parts).map(([start, end], t) => {
      const work = slices + t * sliceBytes;
      const dWAt = dWBytes > 0 ? work + workBytes : 0;
      const dBiasAt = dBiasBytes > 0 ? work + workBytes + dWBytes : 0;
      scratch.floats(work + workBytes, (dWBytes + dBiasBytes) / 4).fill(0);
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

    let dFilters = null;
    if (needs.filters) {
      dFilters = floats(k * f);
      for (const { dWAt } of images) {
        const dW = scratch.floats(dWAt, dWBytes / 4);
        for (let p = 0; p < k; p++) {
          for (let j = 0; j < f; j++) {
            dFilters[p * f + j] += scatter
              ? dW[p * width + j]
              : dW[j * kWidth + p];
          }
        }
      }
    }
    let dBias = null;
    if (needs.bias) {
      dBias = floats(f);
      for (const { dBiasAt } of images) {
        const partial = scratch.floats(dBiasAt, f);
        for (let j = 0; j < f; j++) dBias[j] += partial[j];
      }
    }
    const dX = needs.x ? result(dXAt, x.length) : null;
    return { dX, dFilters, dBias };
  }

  function maxPool(
    x: Float32Array,
    g: WindowGeometry,
  ): { out: Float32Array; argMax: Int32Array } {
    const rows = g.batch * g.outHeight * g.outWidth;
    const size = rows * g.channels;
    if (size === 0) return cpuKernels.maxPool(x, g);
    scratch.reset();
    const gAt = scratch.putGeometry(g);
    const xAt = scratch.put(x);
    const outAt = scratch.take(size * 4);
    const argMaxAt = scratch.take(size * 4);
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
    const argMax = ints(size, false);
    argMax.set(scratch.ints(argMaxAt, size));
    return { out: result(outAt, size), argMax };
  }

  function maxPoolGrad(
    dOut: Float32Array,
    argMax: Int32Array,
    g: WindowGeometry,
  ): Float32Array {
    const size = g.batch * g.inHeight * g.inWidth * g.channels;
    if (size === 0) return cpuKernels.maxPoolGrad(dOut, argMax, g);
    scratch.reset();
    const gAt = scratch.putGeometry(g);
    const dOutAt = scratch.put(dOut);
    const argMaxAt = scratch.put(argMax);
    const dXAt = scratch.take(size * 4);
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
    return result(dXAt, size);
  }

  function unary(op: UnaryOp, x: Float32Array): Float32Array {
    if (op !== 'relu' || x.length < MIN_WASM_ELEMENTS) {
      return cpuKernels.unary(op, x);
    }
    scratch.reset();
    const xAt = scratch.put(x);
    const outAt = scratch.take(x.length * 4);
    const parts = partsFor(x.length, MIN_PARALLEL_ELEMENTS, x.length);
    run(
      'reluRange',
      split(x.length, parts).map(([start, end]) => [xAt, outAt, start, end]),
    );
    return result(outAt, x.length);
  }

  function unaryGrad(
    op: ResultGradOp,
    y: Float32Array,
    dY: Float32Array,
  ): Float32Array {
    if (op !== 'relu' || y.length < MIN_WASM_ELEMENTS) {
      return cpuKernels.unaryGrad(op, y, dY);
    }
    scratch.reset();
    const yAt = scratch.put(y);
    const dYAt = scratch.put(dY);
    const dXAt = scratch.take(y.length * 4);
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
    return result(dXAt, y.length);
  }

  return {
    ...cpuKernels,
    adam,
    name: team ? `wasm-${threads}` : 'wasm',
    matMul: product,
    matMulPixels: (a, b, m, k, n, transA) =>
      product(a, b, m, k, n, transA, false),
    conv2d,
    conv2dGrad,
    maxPool,
    maxPoolGrad,
    unary,
    unaryGrad,
  };
}
