// The WebAssembly kernel set: matrix products in 128-bit SIMD over one
// shared linear memory, split across threads when a Team is given. The
// ops it does not speed up fall through to the plain TypeScript set.
// Works wherever WebAssembly SIMD does; loading the module is left to the
// caller (node.ts in Node, a fetch in a page).

import { cpuKernels } from './cpu.js';
import type { AdamStep, Kernels } from './kernels.js';

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

  function call(name: keyof WasmExports, args: number[]): void {
    (exports[name] as (...args: number[]) => void)(...args);
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
    const ranges = split(m, parts);
    const argLists = ranges.map(([start, end], t) => {
      const w = work + t * workBytes;
      return transA
        ? [aAt, bPacked, cAt, k, m, vectors, start, end, w]
        : [aAt, bPacked, cAt, k, vectors, start, end, w];
    });
    if (argLists.length > 1 && team !== undefined) team.run(name, argLists);
    else if (argLists.length === 1) call(name, argLists[0]);
    if (padded !== n) exports.cropColumns(cAt, m, padded, cOut, n);
    return scratch.f32.slice(cOut >> 2, (cOut >> 2) + m * n);
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

  return {
    ...cpuKernels,
    adam,
    name: team ? `wasm-${threads}` : 'wasm',
    matMul: product,
    matMulPixels: (a, b, m, k, n, transA) =>
      product(a, b, m, k, n, transA, false),
  };
}
