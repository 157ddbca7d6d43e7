// The WebAssembly kernel set: matrix products in 128-bit SIMD over one
// shared linear memory, split across threads when a Team is given. The
// ops it does not speed up fall through to the plain TypeScript set.
// Works wherever WebAssembly SIMD does; loading the module is left to the
// caller (node.ts in Node, a fetch in a page).

import { cpuKernels } from './cpu.js';
import type { Kernels } from './kernels.js';

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

  constructor(readonly memory: WebAssembly.Memory) {}

  /** Forgets every region; the next take() starts at the bottom again. */
  reset(): void {
    this.top = BASE;
  }

  /** A region of `bytes`, 16-byte aligned. */
  take(bytes: number): number {
    const at = this.top;
    this.top = (at + bytes + 15) & ~15;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      this.memory.grow(Math.ceil((this.top - have) / PAGE));
    }
    return at;
  }

  /** A fresh view: growing replaces the buffer. */
  floats(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
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

  function run(name: keyof WasmExports, argLists: number[][]): void {
    if (argLists.length <= 1 || team === undefined) {
      for (const args of argLists) {
        (exports[name] as (...args: number[]) => void)(...args);
      }
    } else {
      team.run(name, argLists);
    }
  }

  function matMul(
    a: Float32Array,
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
    const aAt = scratch.take(a.length * 4);
    const bAt = scratch.take(b.length * 4);
    const bPacked = transB || padded !== n ? scratch.take(k * padded * 4) : bAt;
    const cAt = scratch.take(m * padded * 4);
    const parts = m * k * n >= MIN_PARALLEL_WORK ? Math.min(threads, m) : 1;
    // Each thread packs rows of A (k long) or columns of Aᵀ (m at most).
    const workBytes = 8 * (transA ? m : k);
    const work = scratch.take(parts * workBytes);
    const cOut = padded !== n ? scratch.take(m * n * 4) : cAt;
    scratch.floats(aAt, a.length).set(a);
    scratch.floats(bAt, b.length).set(b);

    if (transB) exports.transpose(bAt, n, k, bPacked, padded);
    else if (padded !== n) exports.padColumns(bAt, k, n, bPacked, padded);
    run(
      transA ? 'matMulTransA' : 'matMulRows',
      split(m, parts).map(([start, end], t) => {
        const w = work + t * workBytes;
        return transA
          ? [aAt, bPacked, cAt, k, m, vectors, start, end, w]
          : [aAt, bPacked, cAt, k, vectors, start, end, w];
      }),
    );
    if (padded !== n) exports.cropColumns(cAt, m, padded, cOut, n);
    return scratch.floats(cOut, m * n).slice();
  }

  return { ...cpuKernels, name: team ? `wasm-${threads}` : 'wasm', matMul };
}
