// A team of worker threads sharing the kernels' WebAssembly memory: each
// helper owns a slot of a shared Int32Array where the caller posts one
// export and its arguments, and waits for the helper to mark it done.

import { Worker } from 'node:worker_threads';

import type { Team, WasmExports } from './wasm.js';

/** What a helper is given: the module, the memory and its slot. */
export interface HelperData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
}

/** The exports a helper can run, by index. */
export const CALLS: (keyof WasmExports)[] = [
  'matMulRows',
  'matMulTransA',
  'matMulRowsBytes',
  'matMulTransABytes',
  'matMulPixelRows',
  'matMulTransAPixelRows',
  'conv2dRows',
  'conv2dGradRows',
  'conv2dScatterImages',
  'conv2dFilterGradScatterImages',
  'maxPoolRows',
  'maxPoolGradImages',
  'reluRange',
  'reluGradRange',
];

/** Offsets within a helper's slot. */
export const SLOT = {
  posted: 0,
  done: 1,
  failed: 2,
  call: 3,
  argCount: 4,
  args: 5,
};
const SLOT_INTS = 32;
/** How long an idle helper spins before sleeping. */
export const SPIN_MS = 0.2;

/**
 * A team of `size` threads, this one and size - 1 workers, each running
 * `module` on `memory`; `exports` is this thread's instance.
 */
export function createTeam(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  exports: WasmExports,
  size: number,
): Team {
  // Started now, so that they boot on their own cores while this thread
  // goes on (loading data, say): a helper started at its first call
  // keeps that call waiting for tens of milliseconds.
  const start = () =>
    Array.from({ length: size - 1 }, () => {
      const control = new Int32Array(
        new SharedArrayBuffer(SLOT_INTS * Int32Array.BYTES_PER_ELEMENT),
      );
      const workerData: HelperData = { module, memory, control };
      const worker = new Worker(new URL('./team-worker.js', import.meta.url), {
        workerData,
      });
      // Idle helpers must not keep the process alive.
      worker.unref();
      return { control, worker, posted: 0 };
    });
  let helpers: ReturnType<typeof start> | undefined = start();

  function run(name: keyof WasmExports, argLists: number[][]): void {
    const call = CALLS.indexOf(name);
    helpers ??= start();
    const busy = helpers.slice(0, argLists.length - 1);
    busy.forEach((helper, t) => {
      const { control } = helper;
      const args = argLists[t + 1];
      control[SLOT.call] = call;
      control[SLOT.failed] = 0;
      control[SLOT.argCount] = args.length;
      control.set(args, SLOT.args);
      Atomics.store(control, SLOT.posted, ++helper.posted);
      Atomics.notify(control, SLOT.posted);
    });
    (exports[name] as (...args: number[]) => void)(...argLists[0]);
    let failed = false;
    for (const { control, posted } of busy) {
      let done = Atomics.load(control, SLOT.done);
      while (done !== posted) {
        Atomics.wait(control, SLOT.done, done);
        done = Atomics.load(control, SLOT.done);
      }
      failed ||= control[SLOT.failed] !== 0;
    }
    if (failed) {
      throw new Error(`kernel team: ${name} failed on a helper thread`);
    }
  }

  return { size, run };
}
