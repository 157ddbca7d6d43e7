// The lab's training run: softmax regression by gradient descent, epoch
// after epoch of shuffled batches, then test accuracy and one random test
// digit. Reports through callbacks; prints nothing.

import type { DataSets } from '../data/mnist.js';
import { firstNonFinite, TrainingDivergedError } from '../nn/diverged.js';
import {
  checkPosition,
  stepsPerEpochOf,
  type LoopPosition,
} from '../nn/loop.js';
import { GradientDescentOptimizer } from '../nn/optimizers.js';
import {
  SoftmaxRegression,
  type SoftmaxInit,
} from '../nn/softmax-regression.js';
import { pixelTensor, tensor } from '../tensor/creation.js';
import { kernels } from '../tensor/kernels/index.js';
import { withWorkspace } from '../tensor/kernels/workspace.js';
import { noGrad, type Tensor } from '../tensor/tensor.js';
import { Random } from '../util/random.js';
import { foundCheckpoint, TrainingRun, type Checkpoint } from './checkpoint.js';
import { accuracy, accuracyOf, predictClasses } from './metrics.js';
import { assignTensors, copyTensors, modelTensors } from './saved.js';

export { TrainingDivergedError };

export interface LabConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  init: SoftmaxInit;
  /** Drives initialisation and the sampled test digit. */
  seed: number;
}

/** The lab's settings. */
export const LAB_DEFAULTS: LabConfig = {
  epochs: 15,
  batchSize: 100,
  learningRate: 0.1,
  init: 'normal',
  seed: 777,
};

/** One step's report; epoch and step count from 1. */
export interface StepReport {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
}

/** One epoch's report: cost is the mean of its steps' losses. */
export interface EpochReport {
  epoch: number;
  cost: number;
}

export interface LabCallbacks {
  onStep?: (report: StepReport) => void;
  onEpochEnd?: (report: EpochReport) => void;
}

/** A test digit picked at random, with what the model made of it. */
export interface SampleDigit {
  index: number;
  label: number;
  prediction: number;
  /** [imageSize] bytes of the test image. */
  pixels: Uint8Array;
}

export interface LabResult {
  model: SoftmaxRegression;
  /** Per epoch, the mean batch cost. */
  costs: number[];
  testAccuracy: number;
  /** Accuracy on data.validation; null when it is empty. */
  validationAccuracy: number | null;
  sample: SampleDigit;
  stepsPerEpoch: number;
  /**
   * Wall time of the training steps alone: readying the training images
   * for the kernels (packing them, once) comes before.
   */
  trainSeconds: number;
  /** Wall time of predicting the whole test set. */
  testSeconds: number;
}

/** Trains the lab's model on data.train and evaluates it on data.test. */
export function runLab(
  data: DataSets,
  config: LabConfig,
  callbacks: LabCallbacks = {},
): LabResult {
  return labRun(data, config, callbacks).finish();
}

/**
 * runLab as a run of steps that can be checkpointed after any of them.
 * With `resume`, a checkpoint of a run of this config on this data, it
 * goes on from there and ends exactly as the whole run would have.
 */
export function labRun(
  data: DataSets,
  config: LabConfig,
  callbacks: LabCallbacks = {},
  resume?: Checkpoint,
): TrainingRun<LabResult> {
  checkConfig(config);
  const { train } = data;
  if (!train.oneHot) {
    throw new Error('runLab: expected one-hot training labels');
  }
  if (resume !== undefined && resume.model !== 'softmax') {
    throw new RangeError(
      "labRun: expected a checkpoint of the lab's model but found " +
        foundCheckpoint(resume),
    );
  }
  // One generator draws W, then b, then the sampled digit, in the order
  // of examples/lab-07-softmax.ts, so that both print the same run. A
  // resumed run draws W and b again, then takes the checkpoint's.
  const random = new Random(config.seed);
  const model = new SoftmaxRegression(
    train.imageSize,
    train.numClasses,
    config.init,
    random,
  );
  const stepsPerEpoch = stepsPerEpochOf(train.numExamples, config.batchSize);
  const clock = { before: 0, started: performance.now() };
  if (resume !== undefined) {
    // Checked here, before any step, as well as by the loop itself.
    checkPosition('labRun', resume.position, config.epochs, stepsPerEpoch);
    assignTensors(modelTensors(model), resume.tensors);
    train.restore(resume.data);
    clock.before = resume.trainSeconds;
  }
  const steps = labSteps(data, config, callbacks, {
    model,
    random,
    clock,
    from: resume?.position,
    stepsPerEpoch,
  });
  return new TrainingRun(
    steps,
    (position) => ({
      model: 'softmax',
      config,
      position: position as LoopPosition<number>,
      tensors: copyTensors(modelTensors(model)),
      data: train.state(),
      trainSeconds: clock.before + (performance.now() - clock.started) / 1000,
    }),
    { epochs: config.epochs, stepsPerEpoch },
  );
}

interface LabParts {
  model: SoftmaxRegression;
  random: Random;
  /** Seconds trained before this process, and when this one started. */
  clock: { before: number; started: number };
  /** Where a resumed run goes on from, checked by labRun. */
  from: LoopPosition<number> | undefined;
  stepsPerEpoch: number;
}

function* labSteps(
  data: DataSets,
  config: LabConfig,
  callbacks: LabCallbacks,
  { model, random, clock, from, stepsPerEpoch }: LabParts,
): Generator<LoopPosition<number>, LabResult> {
  const { train, test } = data;
  const optimizer = new GradientDescentOptimizer(config.learningRate);

  // Readied for the kernels before the clock starts, as the peers turn
  // their pixels into floats before theirs (see Kernels.preparePixels).
  kernels().preparePixels(train.images, train.imageSize);
  clock.started = performance.now();
  const costs: number[] = from === undefined ? [] : [...from.history];
  for (let epoch = from?.epoch ?? 1; epoch <= config.epochs; epoch++) {
    const resumed = from !== undefined && epoch === from.epoch;
    let cost = resumed ? from.lossSum : 0;
    for (
      let step = (resumed ? from.step : 0) + 1;
      step <= stepsPerEpoch;
      step++
    ) {
      // Nothing of the step outlives it but the loss value, so its arrays,
      // the batch's among them, are recycled for the next one.
      let layer: string | null = null;
      const loss = withWorkspace(() => {
        const { size, rows, labels } = train.nextBatch(config.batchSize);
        const shape = [size, train.imageSize];
        const images = pixelTensor(train.images, shape, rows);
        const oneHot = tensor(labels, [size, train.numClasses]);
        const loss = optimizer.minimize(() => model.cost(images, oneHot));
        if (!Number.isFinite(loss)) layer = whereNonFinite(model, images);
        return loss;
      });
      if (!Number.isFinite(loss)) {
        const rate = config.learningRate;
        throw new TrainingDivergedError(
          epoch,
          step,
          loss,
          rate,
          undefined,
          layer,
        );
      }
      cost += loss / stepsPerEpoch;
      callbacks.onStep?.({ epoch, step, stepsPerEpoch, loss });
      yield { epoch, step, lossSum: cost, history: costs };
    }
    // Each loss is taken before its update, so the last update of the
    // epoch is checked here, on the weights themselves.
    const layer = whereNonFinite(model);
    if (layer !== null) {
      throw new TrainingDivergedError(
        epoch,
        stepsPerEpoch,
        null,
        config.learningRate,
        undefined,
        layer,
      );
    }
    costs.push(cost);
    callbacks.onEpochEnd?.({ epoch, cost });
  }
  const trainSeconds =
    clock.before + (performance.now() - clock.started) / 1000;

  const predict = (images: Tensor) => model.probs(images);
  const testStarted = performance.now();
  const predicted = predictClasses(predict, test);
  const testSeconds = (performance.now() - testStarted) / 1000;
  const testAccuracy = accuracyOf(predicted, test.labels);
  const { validation } = data;
  const validationAccuracy =
    validation.numExamples > 0 ? accuracy(predict, validation) : null;
  const index = random.int(test.numExamples);
  const { imageSize } = test;
  const sample: SampleDigit = {
    index,
    label: test.labels[index],
    prediction: predicted[index],
    pixels: test.images.subarray(index * imageSize, (index + 1) * imageSize),
  };
  return {
    model,
    costs,
    testAccuracy,
    validationAccuracy,
    sample,
    stepsPerEpoch,
    trainSeconds,
    testSeconds,
  };
}

/** Where the lab's model stops being finite: W, b, or the logits. */
function whereNonFinite(
  model: SoftmaxRegression,
  images?: Tensor,
): string | null {
  for (const [name, t] of [
    ['weights W', model.weights],
    ['bias b', model.bias],
  ] as const) {
    const bad = firstNonFinite(t.data);
    if (bad !== null) return `the ${name} hold ${bad}`;
  }
  if (images === undefined) return null;
  const logits = noGrad(() => model.logits(images)).data;
  const bad = firstNonFinite(logits);
  if (bad !== null) return `the logits hold ${bad}`;
  // Finite logits far apart: probabilities round to 0, log(0) * 0 is NaN.
  const reach = logits.reduce((most, x) => Math.max(most, Math.abs(x)), 0);
  return `the logits reach ${reach.toExponential(2)}, so probabilities round to 0`;
}

function checkConfig(config: LabConfig): void {
  const fail = (setting: string, expected: string, found: unknown) => {
    throw new RangeError(
      `runLab: expected ${setting} to be ${expected} but found ` +
        (typeof found === 'string' ? JSON.stringify(found) : String(found)),
    );
  };
  const { epochs, batchSize, init, seed } = config;
  if (!Number.isSafeInteger(epochs) || epochs < 1) {
    fail('epochs', 'a positive integer', epochs);
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    fail('batchSize', 'a positive integer', batchSize);
  }
  if (init !== 'normal' && init !== 'zeros') {
    fail('init', "'normal' or 'zeros'", init);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    fail('seed', 'an integer from 0 to 4294967295', seed);
  }
}
