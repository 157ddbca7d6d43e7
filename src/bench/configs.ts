// The bench's three configurations and its runners. The settings are those
// of ../shared/peers/pytorch_mnist.py, the reference every runner matches.

export const BENCH_CONFIGS = ['softmax', 'mlp', 'cnn'] as const;
export type BenchConfig = (typeof BENCH_CONFIGS)[number];

/** Peers run beside ours; the tfjs ones name their backend. */
export const PEERS = ['pytorch', 'tfjs-wasm', 'tfjs-cpu'] as const;
export type PeerName = (typeof PEERS)[number];

/** Runners of our child script: our engine, or TF.js on one backend. */
export const CHILD_RUNNERS = ['mnistlab', 'tfjs-wasm', 'tfjs-cpu'] as const;
export type ChildRunner = (typeof CHILD_RUNNERS)[number];

/** What every runner trains with for one configuration. */
export interface ConfigSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'sgd' | 'adam';
}

export const CONFIG_SETTINGS: Record<BenchConfig, ConfigSettings> = {
  // The lab: softmax regression from N(0, 1) weights.
  softmax: { epochs: 15, batchSize: 100, learningRate: 0.1, optimizer: 'sgd' },
  mlp: { epochs: 1, batchSize: 100, learningRate: 0.001, optimizer: 'adam' },
  cnn: { epochs: 1, batchSize: 64, learningRate: 0.001, optimizer: 'adam' },
};

/** Our --layers specs of the two layer models. */
export const BENCH_LAYERS: Record<'mlp' | 'cnn', string> = {
  // 784-256-256-10.
  mlp: 'dense:256,relu,dense:256,relu,dense:10',
  // 28x28x1 -> 26x26x8 -> 13x13x8 -> 11x11x16 -> 5x5x16 -> 400 -> 10.
  cnn:
    'conv:8:3:1:valid,relu,maxpool:2,conv:16:3:1:valid,relu,maxpool:2,' +
    'flatten,dense:10',
};

/** Leading training images held out, as readDataSets and the peer do. */
export const VALIDATION_SIZE = 5000;

// Seconds the slow runs take on a 2-core machine, the whole process; a
// run expected to pass the limit per run is skipped, not started. Ours
// and the other peers take under a minute there, so always start.
const EXPECTED_SECONDS: Record<string, Partial<Record<BenchConfig, number>>> = {
  'tfjs-cpu': { softmax: 110, mlp: 180, cnn: 1400 },
};

/** Seconds `runner` is known to take on `config`, if long. */
export function expectedSeconds(
  runner: string,
  config: BenchConfig,
): number | undefined {
  return EXPECTED_SECONDS[runner]?.[config];
}
