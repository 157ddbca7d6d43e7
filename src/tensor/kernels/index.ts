// The kernel set every op calls through; swap it to change backends.

import { cpuKernels } from './cpu.js';
import type { Kernels } from './kernels.js';

export type {
  AdamStep,
  BinaryOp,
  ConvGradNeeds,
  ConvGrads,
  Kernels,
  ResultGradOp,
  UnaryOp,
} from './kernels.js';
export { cpuKernels } from './cpu.js';

let active: Kernels = cpuKernels;

/** The kernel set ops run on now. */
export function kernels(): Kernels {
  return active;
}

/** Makes `next` the kernel set for all later ops; returns the previous. */
export function setKernels(next: Kernels): Kernels {
  const previous = active;
  active = next;
  return previous;
}
