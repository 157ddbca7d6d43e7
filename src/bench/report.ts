// What one bench run reports, and the data every runner reads: the lab's
// split, with nothing held out evaluated while training.

import { DataSet } from '../data/dataset.js';
import { readDataSets, type DataSets } from '../data/mnist.js';
import { VALIDATION_SIZE } from './configs.js';

/** One run's figures, as a child prints them in its JSON line. */
export interface RunReport {
  /** Who ran, with its version: `mnistlab 0.1.0`, `tfjs 4.22.0 wasm`. */
  runner: string;
  /** Wall time of the training loop alone. */
  trainSeconds: number;
  /** Accuracy on the 10,000 test images. */
  testAccuracy: number;
  /** Wall time of predicting the test images; null where not measured. */
  inferSeconds: number | null;
  /** Peak resident memory of the process, MiB; null where not measured. */
  peakRssMb: number | null;
  /** Threads the runner computed on, where it says. */
  threads: number | null;
}

/** The process's peak resident memory so far, in MiB. */
export function peakRssMb(): number {
  // maxRSS is in KiB.
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * MNIST in `dir` split as the lab splits it, but with an empty validation
 * set: the timed loop then trains and does nothing else, as the peer's.
 */
export function readBenchData(dir: string): DataSets {
  const data = readDataSets(dir, {
    oneHot: true,
    validationSize: VALIDATION_SIZE,
  });
  const { imageSize } = data.train;
  const none = new DataSet(new Uint8Array(0), new Uint8Array(0), imageSize, {
    oneHot: true,
    seed: 0,
  });
  return { ...data, validation: none };
}
