// The lab's training run: softmax regression by gradient descent, epoch
// after epoch of shuffled batches, then test accuracy and one random test
// digit. Reports through callbacks; prints nothing.

import type { DataSets } from '../data/mnist.js';
import { TrainingDivergedError } from '../nn/diverged.js';
import { GradientDescentOptimizer } from '../nn/optimizers.js';
import {
  SoftmaxRegression,
  type SoftmaxInit,
} from '../nn/softmax-regression.js';
import { pixelTensor, tensor } from '../tensor/creation.js';
import { kernels } from '../tensor/kernels/index.js';
import { withWorkspace } from '../tensor/kernels/workspace.js';
import type { Tensor } from '../tensor/tensor.js';
import { Random } from '../util/random.js';
import { accuracy, accuracyOf, predictClasses } from './metrics.js';

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
  checkConfig(config);
  const { train, test } = data;
  if (!train.oneHot) {
    throw new Error('runLab: expected one-hot training labels');
  }
  // One generator draws W, then b, then the sampled digit, in the order
  // of examples/lab-07-softmax.ts, so that both print the same run.
  const random = new Random(config.seed);
  const model = new SoftmaxRegression(
    train.imageSize,
    train.numClasses,
    config.init,
    random,
  );
  const optimizer = new GradientDescentOptimizer(config.learningRate);
  // As the lab: int(examples / batch), but at least one step.
  const stepsPerEpoch = Math.max(
    1,
    Math.floor(train.numExamples / config.batchSize),
  );

  // Readied for the kernels before the clock starts, as the peers turn
  // their pixels into floats before theirs (see Kernels.preparePixels).
  kernels().preparePixels(train.images, train.imageSize);
  const started = performance.now();
  const costs: number[] = [];
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    let cost = 0;
    for (let step = 1; step <= stepsPerEpoch; step++) {
      // Nothing of the step outlives it but the loss value, so its arrays,
      // the batch's among them, are recycled for the next one.
      const loss = withWorkspace(() => {
        const { size, rows, labels } = train.nextBatch(config.batchSize);
        const shape = [size, train.imageSize];
        const images = pixelTensor(train.images, shape, rows);
        const oneHot = tensor(labels, [size, train.numClasses]);
        return optimizer.minimize(() => model.cost(images, oneHot));
      });
      if (!Number.isFinite(loss)) {
        throw new TrainingDivergedError(epoch, step, loss, config.learningRate);
      }
      cost += loss / stepsPerEpoch;
      callbacks.onStep?.({ epoch, step, stepsPerEpoch, loss });
    }
    // Each loss is taken before its update, so the last update of the
    // epoch is checked here, on the weights themselves.
    if (!allFinite(model.weights) || !allFinite(model.bias)) {
      throw new TrainingDivergedError(
        epoch,
        stepsPerEpoch,
        null,
        config.learningRate,
      );
    }
    costs.push(cost);
    callbacks.onEpochEnd?.({ epoch, cost });
  }
  const trainSeconds = (performance.now() - started) / 1000;

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

function allFinite(t: Tensor): boolean {
  return t.data.every(Number.isFinite);
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
