// Result arrays for the kernels and ops, recycled between training steps.
// Fresh typed arrays cost a page fault per 4 KiB on first touch, more than
// most kernels take to fill them; a step allocates the same sizes as the
// last, so inside withWorkspace() each size is handed out again.

type Buffers = Map<number, ArrayBuffer[]>;

let depth = 0;
// Buffers free for this workspace, by byte length, and those lent in it.
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

/**
 * A Float32Array of `length`, zeroed unless `zeroed` is false (then its
 * contents are arbitrary and the caller must write every element).
 */
export function floats(length: number, zeroed = true): Float32Array {
  return new Float32Array(buffer(length * 4, zeroed), 0, length);
}

/** An Int32Array of `length`, zeroed unless `zeroed` is false. */
export function ints(length: number, zeroed = true): Int32Array {
  return new Int32Array(buffer(length * 4, zeroed), 0, length);
}

/**
 * Runs fn, recycling the arrays floats() and ints() hand out in it for the
 * next workspace. NOTE: those arrays, and so the data and gradients of the
 * tensors made in fn, must not be used after fn returns; a training step
 * keeps only its loss value. Nested calls join the outermost one.
 */
export function withWorkspace<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    if (--depth === 0) {
      // Sizes this workspace did not ask for are dropped, so that the
      // pool never holds more than one workspace's arrays.
      free = lent;
      lent = new Map();
    }
  }
}
