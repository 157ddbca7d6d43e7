// Our side of the bench: the lab's softmax run, and the MLP and CNN as
// --layers stacks, each trained as `mnistlab train` trains it.

import { availableParallelism } from 'node:os';

import type { DataSets } from '../data/mnist.js';
import { setKernels } from '../tensor/kernels/index.js';
import { nodeWasmKernels } from '../tensor/kernels/node.js';
import { LAB_DEFAULTS, runLab } from '../train/lab.js';
import { trainNetwork, type NetworkConfig } from '../train/networks.js';
import { BENCH_LAYERS, CONFIG_SETTINGS, type BenchConfig } from './configs.js';
import { peakRssMb, type RunReport } from './report.js';

/**
 * Puts the engine on the WebAssembly kernels with `threads` threads (by
 * default one per core), as `mnistlab train` runs, and returns how many.
 */
export function useEngineThreads(threads = availableParallelism()): number {
  setKernels(nodeWasmKernels(threads));
  return threads;
}

/** Our settings of a layer model; `he` suits the ReLU stacks. */
export function networkConfig(config: 'mlp' | 'cnn'): NetworkConfig {
  const { epochs, batchSize, learningRate, optimizer } =
    CONFIG_SETTINGS[config];
  return {
    layers: BENCH_LAYERS[config],
    epochs,
    batchSize,
    learningRate,
    optimizer,
    schedule: 'constant',
    init: 'he',
    dropout: 0,
    seed: LAB_DEFAULTS.seed,
  };
}

/** Trains and tests `config` with our engine; `data` from readBenchData. */
export function runOurs(
  config: BenchConfig,
  data: DataSets,
  runner: string,
  threads?: number,
): RunReport {
  const usedThreads = useEngineThreads(threads);
  const result =
    config === 'softmax'
      ? runLab(data, LAB_DEFAULTS)
      : trainNetwork(data, networkConfig(config));
  return {
    runner,
    trainSeconds: result.trainSeconds,
    testAccuracy: result.testAccuracy,
    inferSeconds: result.testSeconds,
    peakRssMb: peakRssMb(),
    threads: usedThreads,
  };
}
