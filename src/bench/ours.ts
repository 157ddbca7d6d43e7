// Our side of the bench: the lab's softmax run, and the MLP and CNN as
// --layers stacks, each trained as `mnistlab train` trains it.

import type { DataSets } from '../data/mnist.js';
import { LAB_DEFAULTS, runLab } from '../train/lab.js';
import { trainNetwork, type NetworkConfig } from '../train/networks.js';
import { BENCH_LAYERS, CONFIG_SETTINGS, type BenchConfig } from './configs.js';
import { peakRssMb, type RunReport } from './report.js';

/**
 * Asks the engine to compute on `threads` threads and returns how many it
 * will use. TODO: pass it on once the kernels work offers threads (and
 * `mnistlab train --threads`); until then the engine has one.
 */
export function useEngineThreads(threads: number | undefined): number {
  void threads;
  return 1;
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
