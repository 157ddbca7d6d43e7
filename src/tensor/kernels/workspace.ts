// Result arrays for the kernels and ops, recycled between training steps.
// Fresh typed arrays cost a page fault per 4 KiB on first touch, more than
// most kernels take to fill them; a step allocates the same sizes as the
// last, so inside withWorkspace() the same memory is handed out again:
// from the engine heap's arena once the WebAssembly kernels have made it
// (so the kernels read and write those arrays in place), else from a pool
// of ArrayBuffers by size.

import { currentHeap } from './heap.js';

type Buffers = Map<number, ArrayBuffer[]>;

let depth = 0;
// Without a heap: buffers free for this workspace, by byte length, and
// those lent in it.
let free: Buffers = new Map();
let lent: Buffers = new Map();

function buffer(bytes: number, zeroed: boolean): ArrayBuffer {
  if (depth === 0) return new ArrayBuffer(bytes);
  const reused = free.get(bytes)?.pop();
  const taken = reused ?? new ArrayBuffer(bytes);
  if (reused !== undefined && zeroed) new Uint8Array(reused).fill(0);
  const list = lent.get(bytes);
  if (list === undefined) lent.set(bytes, [taken]);
  else list.push(taken);
  return taken;
}

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(
      `workspace: expected an array length that is a whole number, 0 or ` +
        `more, but found ${length}`,
    );
  }
}

/** The heap to take from: inside a workspace, when there is one. */
function arena() {
  return depth > 0 ? currentHeap() : null;
}

/**
 * A Float32Array of `length`, zeroed unless `zeroed` is false (then its
 * contents are arbitrary and the caller must write every element).
 */
export function floats(length: number, zeroed = true): Float32Array {
  checkLength(length);
  const heap = arena();
  if (heap !== null) return heap.stepFloats(length, zeroed);
  return new Float32Array(buffer(length * 4, zeroed), 0, length);
}

/** An Int32Array of `length`, zeroed unless `zeroed` is false. */
export function ints(length: number, zeroed = true): Int32Array {
  checkLength(length);
  const heap = arena();
  if (heap !== null) return heap.stepInts(length, zeroed);
  return new Int32Array(buffer(length * 4, zeroed), 0, length);
}

/** A Uint8Array of `length`, zeroed unless `zeroed` is false. */
export function bytes(length: number, zeroed = true): Uint8Array {
  checkLength(length);
  const heap = arena();
  if (heap !== null) return heap.stepBytes(length, zeroed);
  return new Uint8Array(buffer(length, zeroed), 0, length);
}

/**
 * A zeroed Float32Array that outlives every workspace, for variables and
 * optimizer state: in the engine heap when there is one, so that the
 * kernels update it in place. NOTE: keep the array itself, not only a
 * subarray of it (see Heap.lastingFloats).
 */
export function lastingFloats(length: number): Float32Array {
  return currentHeap()?.lastingFloats(length) ?? new Float32Array(length);
}

/** True inside withWorkspace: arrays made now are recycled after it. */
export function inWorkspace(): boolean {
  return depth > 0;
}

/**
 * Runs fn, recycling the arrays floats(), ints() and bytes() hand out in
 * it for the next workspace. NOTE: those arrays, and so the data and
 * gradients of the tensors made in fn, must not be used after fn returns;
 * a training step keeps only its loss value. Nested calls join the
 * outermost one.
 */
export function withWorkspace<T>(fn: () => T): T {
  depth++;
  try {
    const result = fn();
    if (result instanceof Promise) {
      // Its arrays would be recycled at its first await, while in use.
      throw new TypeError(
        'withWorkspace: expected a function that returns when its work is ' +
          'done, not an async one (a Promise)',
      );
    }
    return result;
  } finally {
    if (--depth === 0) {
      currentHeap()?.reset();
      // Sizes this workspace did not ask for are dropped, so that the
      // pool never holds more than one workspace's arrays.
      free = lent;
      lent = new Map();
    }
  }
}
