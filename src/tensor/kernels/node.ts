// Loads the WebAssembly kernel set in Node: the module from beside this
// file, the engine heap's shared memory, and worker threads for the team.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

import { engineHeap } from './heap.js';
import type { Kernels } from './kernels.js';
import { createTeam } from './team.js';
import { kernelImports, wasmKernels, type WasmExports } from './wasm.js';

const MODULE_URL = new URL('./wasm/kernels.wasm', import.meta.url);
// Each thread is a worker with its own V8 heap; past this many they cost
// far more than they can give.
const MAX_THREADS = 256;

let compiled: WebAssembly.Module | undefined;

/** The compiled kernels.wasm, read once. */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(MODULE_URL));
  return compiled;
}

/** An instance of `module` on `memory`. */
export function instantiate(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
) {
  const instance = new WebAssembly.Instance(module, kernelImports(memory));
  return instance.exports as unknown as WasmExports;
}

/**
 * The WebAssembly kernels with `threads` threads in all (default: one per
 * core), made once per count and then shared; 1 runs everything on the
 * calling thread. Every set works on the
 * one engine heap, so arrays made under one are in place for the others.
 */
export function nodeWasmKernels(threads = availableParallelism()): Kernels {
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(
      `nodeWasmKernels: expected a thread count from 1 to ${MAX_THREADS} ` +
        `but found ${threads}`,
    );
  }
  const known = sets.get(threads);
  if (known !== undefined) return known;
  const module = kernelModule();
  const heap = engineHeap();
  const exports = instantiate(module, heap.memory);
  const team =
    threads > 1 ? createTeam(module, heap.memory, exports, threads) : undefined;
  const set = wasmKernels(exports, heap, team);
  sets.set(threads, set);
  return set;
}

// One kernel set (and one team of threads) per thread count.
const sets = new Map<number, Kernels>();
