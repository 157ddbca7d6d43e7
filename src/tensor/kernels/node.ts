// Loads the WebAssembly kernel set in Node: the module from beside this
// file, one shared memory, and worker threads for the team.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

import type { Kernels } from './kernels.js';
import { createTeam } from './team.js';
import { wasmKernels, type WasmExports } from './wasm.js';

const MODULE_URL = new URL('./wasm/kernels.wasm', import.meta.url);
// The module declares up to 65536 pages (4 GiB) of shared memory.
const MAX_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;

/** The compiled kernels.wasm, read once. */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(MODULE_URL));
  return compiled;
}

/** An instance of `module` on `memory` (a fresh shared one if omitted). */
export function instantiate(
  module: WebAssembly.Module,
  memory = new WebAssembly.Memory({
    initial: 32,
    maximum: MAX_PAGES,
    shared: true,
  }),
) {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { exports: instance.exports as unknown as WasmExports, memory };
}

/**
 * The WebAssembly kernels with `threads` threads in all (default: one per
 * core); 1 runs everything on the calling thread.
 */
export function nodeWasmKernels(threads = availableParallelism()): Kernels {
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new RangeError(
      `nodeWasmKernels: expected a positive integer thread count but ` +
        `found ${threads}`,
    );
  }
  const module = kernelModule();
  const { exports, memory } = instantiate(module);
  const team =
    threads > 1 ? createTeam(module, memory, exports, threads) : undefined;
  return wasmKernels(exports, memory, team);
}
