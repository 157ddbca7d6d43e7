// Training the layer models (MLP, CNN, any --layers stack) on MNIST: the
// presets behind `--model mlp|cnn`, and one run from settings to results.

import type { DataSets } from '../data/mnist.js';
import { NUM_CLASSES } from '../data/dataset.js';
import { INITIALIZERS, type Initializer } from '../nn/initializers.js';
import { Conv2D, Dense, type Layer } from '../nn/layers.js';
import {
  AdamOptimizer,
  GradientDescentOptimizer,
  MomentumOptimizer,
  RMSPropOptimizer,
  type Optimizer,
} from '../nn/optimizers.js';
import {
  Sequential,
  type FitEpochReport,
  type FitStepReport,
} from '../nn/sequential.js';
import { cosineDecay, type LearningRateSchedule } from '../nn/schedules.js';
import { parseLayers } from '../nn/spec.js';
import {
  checkPosition,
  stepsPerEpochOf,
  type LoopPosition,
} from '../nn/loop.js';
import { kernels } from '../tensor/kernels/index.js';
import { formatShape, sizeOf, type Shape } from '../tensor/shape.js';
import { UserError, USAGE_EXIT } from '../util/errors.js';
import { Random } from '../util/random.js';
import { foundCheckpoint, TrainingRun, type Checkpoint } from './checkpoint.js';
import type { SampleDigit } from './lab.js';
import { assignTensors, copyTensors, modelTensors } from './saved.js';

export const OPTIMIZERS = [
  'sgd',
  'momentum',
  'nesterov',
  'adam',
  'rmsprop',
] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const SCHEDULES = ['constant', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export interface NetworkConfig {
  /** A --layers spec. */
  layers: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  /** constant, or cosine decay to 0 over the whole run. */
  schedule: ScheduleName;
  /** A key of INITIALIZERS. */
  init: string;
  /** Rate of bare `dropout` tokens. */
  dropout: number;
  seed: number;
}

/** Defaults of `--model mlp` and `--model cnn`. */
export const NETWORK_PRESETS: Record<'mlp' | 'cnn', NetworkConfig> = {
  mlp: {
    layers: 'dense:256,relu,dropout,dense:256,relu,dropout,dense:10',
    epochs: 15,
    batchSize: 100,
    learningRate: 0.001,
    optimizer: 'adam',
    schedule: 'constant',
    init: 'xavier',
    dropout: 0.2,
    seed: 777,
  },
  cnn: {
    layers:
      'conv:16:5,relu,maxpool:2,conv:32:5,relu,maxpool:2,flatten,' +
      'dense:128,relu,dropout,dense:10',
    epochs: 10,
    batchSize: 64,
    learningRate: 0.001,
    optimizer: 'adam',
    schedule: 'cosine',
    init: 'xavier',
    dropout: 0.3,
    seed: 777,
  },
};

export function makeOptimizer(
  name: OptimizerName,
  learningRate: number | LearningRateSchedule,
): Optimizer {
  switch (name) {
    case 'sgd':
      return new GradientDescentOptimizer(learningRate);
    case 'momentum':
      return new MomentumOptimizer({ learningRate });
    case 'nesterov':
      return new MomentumOptimizer({ learningRate, nesterov: true });
    case 'adam':
      return new AdamOptimizer({ learningRate });
    case 'rmsprop':
      return new RMSPropOptimizer({ learningRate });
  }
}

/** Images as the first layer wants them: 28x28x1 for conv and pooling. */
function inputShapeFor(first: Layer, [rows, cols]: [number, number]): Shape {
  const spatial = /^(conv|maxpool|avgpool)/.test(first.spec);
  return spatial ? [rows, cols, 1] : [rows * cols];
}

export interface NetworkResult {
  model: Sequential;
  history: FitEpochReport[];
  testAccuracy: number;
  testLoss: number;
  /** The predicted class of each test image, in file order. */
  testPredicted: Uint8Array;
  /** Whether shouldStop ended training before its last epoch. */
  stopped: boolean;
  sample: SampleDigit;
  stepsPerEpoch: number;
  /**
   * Wall time of fit: the training steps and any validation passes, not
   * readying the images for the kernels before them.
   */
  trainSeconds: number;
  /** Wall time of evaluating the whole test set. */
  testSeconds: number;
}

export interface NetworkCallbacks {
  onStep?: (report: FitStepReport) => void;
  onEpochEnd?: (report: FitEpochReport) => void;
  /** Asked after every step; true ends training there (see FitOptions). */
  shouldStop?: () => boolean;
}

// Limits that turn a typo (dense:3000000) into a message, not an
// exhausted machine: floats in one weight tensor, and floats a batch's
// activations, gradients and unrolled convolution inputs take.
const MAX_WEIGHTS = 2 ** 25;
const MAX_BATCH_FLOATS = 2 ** 28;

function usage(message: string): UserError {
  return new UserError(`--layers: ${message}`, USAGE_EXIT);
}

/** `init`, refusing a weight tensor too large to be meant. */
function bounded(init: Initializer): Initializer {
  return (shape, random) => {
    if (sizeOf(shape) > MAX_WEIGHTS) {
      throw usage(
        `expected layers of at most ${MAX_WEIGHTS} weights each but found ` +
          `one of ${formatShape(shape)} (${sizeOf(shape)})`,
      );
    }
    return init(shape, random);
  };
}

/** The model, or a usage error saying which layer does not fit and why. */
function buildModel(layers: Layer[], inputShape: Shape, seed: number) {
  let model: Sequential;
  try {
    model = new Sequential(layers, { inputShape, seed });
  } catch (error) {
    if (error instanceof UserError) throw error;
    const reason = (error as Error).message.replace(/^Sequential: /, '');
    const hint =
      ' (a stack sees 28x28x1 images when it starts with conv or a ' +
      'pooling layer, else 784 pixels)';
    throw usage(reason + hint);
  }
  const [outputs] = model.outputShape;
  if (outputs !== NUM_CLASSES) {
    throw usage(
      `expected the last layer to give ${NUM_CLASSES} outputs, one per ` +
        `digit, but found ${formatShape(model.outputShape)}; end with ` +
        `dense:${NUM_CLASSES}`,
    );
  }
  return model;
}

/** Refuses a batch whose working memory would not fit in 1 GiB of floats. */
function checkBatchMemory(model: Sequential, batchSize: number): void {
  let perExample = sizeOf(model.inputShape);
  model.layers.forEach((layer, i) => {
    const output = model.shapes[i];
    // Values and their gradients.
    perExample += 2 * sizeOf(output);
    if (layer instanceof Conv2D) {
      const input = i === 0 ? model.inputShape : model.shapes[i - 1];
      const unrolled = layer.kernelSize ** 2 * input[2];
      perExample += 2 * output[0] * output[1] * unrolled;
    }
  });
  if (perExample * batchSize > MAX_BATCH_FLOATS) {
    throw new UserError(
      `a batch of ${batchSize} needs about ${perExample * batchSize} floats ` +
        `of working memory for this model, more than ${MAX_BATCH_FLOATS}; ` +
        'use a smaller --batch-size or smaller layers',
      USAGE_EXIT,
    );
  }
}

// Random.stream purpose of the sampled test digit.
const SAMPLE_PURPOSE = 0x5a3e;

/** Builds the model `config` describes, trains it and tests it. */
export function trainNetwork(
  data: DataSets,
  config: NetworkConfig,
  callbacks: NetworkCallbacks = {},
): NetworkResult {
  return networkRun(data, config, callbacks).finish();
}

/**
 * trainNetwork as a run of steps that can be checkpointed after any of
 * them. With `resume`, a checkpoint of a run of this config on this data,
 * it goes on from there and ends exactly as the whole run would have.
 */
export function networkRun(
  data: DataSets,
  config: NetworkConfig,
  callbacks: NetworkCallbacks = {},
  resume?: Checkpoint,
): TrainingRun<NetworkResult> {
  if (resume !== undefined && resume.model !== 'layers') {
    throw new RangeError(
      'networkRun: expected a checkpoint of a layer model but found ' +
        foundCheckpoint(resume),
    );
  }
  const init = INITIALIZERS[config.init];
  if (init === undefined) {
    throw new RangeError(`trainNetwork: unknown initialiser '${config.init}'`);
  }
  const layers = parseLayers(config.layers, {
    init: bounded(init),
    dropout: config.dropout,
  });
  const inputShape = inputShapeFor(layers[0], data.imageShape);
  const model = buildModel(layers, inputShape, config.seed);
  checkBatchMemory(model, config.batchSize);
  const { train, validation } = data;
  const stepsPerEpoch = stepsPerEpochOf(train.numExamples, config.batchSize);
  const learningRate =
    config.schedule === 'cosine'
      ? cosineDecay({
          initial: config.learningRate,
          decaySteps: config.epochs * stepsPerEpoch,
        })
      : config.learningRate;
  const optimizer = makeOptimizer(config.optimizer, learningRate);
  const clock = { before: 0, started: performance.now() };
  if (resume !== undefined) {
    // Checked here, before any step, as well as by fit itself.
    checkPosition('networkRun', resume.position, config.epochs, stepsPerEpoch);
    assignTensors(modelTensors(model), resume.tensors);
    optimizer.restore(model.variables, resume.optimizer);
    model.random.restore(resume.random);
    train.restore(resume.data);
    clock.before = resume.trainSeconds;
  }
  const fit = model.fitSteps(
    train,
    {
      epochs: config.epochs,
      batchSize: config.batchSize,
      optimizer,
      validation,
      ...callbacks,
    },
    resume?.position,
  );
  const steps = networkSteps(data, config, model, fit, {
    clock,
    stepsPerEpoch,
  });
  return new TrainingRun(
    steps,
    (position) => ({
      model: 'layers',
      config,
      position: position as LoopPosition<FitEpochReport>,
      tensors: copyTensors(modelTensors(model)),
      optimizer: optimizer.state(model.variables),
      random: model.random.state(),
      data: train.state(),
      trainSeconds: clock.before + (performance.now() - clock.started) / 1000,
    }),
    { epochs: config.epochs, stepsPerEpoch },
  );
}

function* networkSteps(
  data: DataSets,
  config: NetworkConfig,
  model: Sequential,
  fit: Generator<LoopPosition<FitEpochReport>, FitEpochReport[]>,
  {
    clock,
    stepsPerEpoch,
  }: { clock: { before: number; started: number }; stepsPerEpoch: number },
): Generator<LoopPosition<FitEpochReport>, NetworkResult> {
  const { train, test } = data;
  // A dense first layer multiplies the images as pixel rows: readied
  // before the clock starts, as in runLab.
  if (model.layers[0] instanceof Dense) {
    kernels().preparePixels(train.images, train.imageSize);
  }
  clock.started = performance.now();
  const history = yield* fit;
  const trainSeconds =
    clock.before + (performance.now() - clock.started) / 1000;

  const testStarted = performance.now();
  const evaluation = model.evaluate(test);
  const testSeconds = (performance.now() - testStarted) / 1000;
  const index = Random.stream(config.seed, SAMPLE_PURPOSE).int(
    test.numExamples,
  );
  const { imageSize } = test;
  const sample: SampleDigit = {
    index,
    label: test.labels[index],
    prediction: evaluation.predicted[index],
    pixels: test.images.subarray(index * imageSize, (index + 1) * imageSize),
  };
  return {
    model,
    history,
    testAccuracy: evaluation.accuracy,
    testLoss: evaluation.loss,
    testPredicted: evaluation.predicted,
    stopped: history.length < config.epochs,
    sample,
    stepsPerEpoch,
    trainSeconds,
    testSeconds,
  };
}
