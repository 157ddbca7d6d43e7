// A helper thread of the kernel team (team.ts): instantiates kernels.wasm
// on the shared memory, then runs the calls posted to its slot forever.

import { workerData } from 'node:worker_threads';

import { instantiate } from './node.js';
import { CALLS, SLOT, SPIN_MS, type HelperData } from './team.js';

const { module, memory, control } = workerData as HelperData;
const exports = instantiate(module, memory);
const calls = CALLS.map((name) => exports[name] as (...args: number[]) => void);

let seen = 0;
for (;;) {
  // Spin briefly before sleeping: calls come in bursts, a step's products
  // microseconds apart, and waking a sleeping thread costs more.
  const spinUntil = performance.now() + SPIN_MS;
  while (
    Atomics.load(control, SLOT.posted) === seen &&
    performance.now() < spinUntil
  );
  Atomics.wait(control, SLOT.posted, seen);
  seen = Atomics.load(control, SLOT.posted);
  const count = control[SLOT.argCount];
  const args = Array.from(control.subarray(SLOT.args, SLOT.args + count));
  try {
    calls[control[SLOT.call]](...args);
  } catch {
    // The caller throws; this thread stays ready for the next call.
    control[SLOT.failed] = 1;
  }
  Atomics.store(control, SLOT.done, seen);
  Atomics.notify(control, SLOT.done);
}
