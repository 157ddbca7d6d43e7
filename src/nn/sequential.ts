// A stack of layers trained as one classifier: fit, evaluate, predict.
// Reports progress through callbacks and never prints.

import type { DataSet } from '../data/dataset.js';
import { oneHot, pixelTensor, tensor } from '../tensor/creation.js';
import {
  argMax,
  mean,
  reshape,
  softmax,
  softmaxCrossEntropy,
} from '../tensor/ops.js';
import { formatShape, sizeOf, type Shape } from '../tensor/shape.js';
import { withWorkspace } from '../tensor/kernels/workspace.js';
import { noGrad, type Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { Random } from '../util/random.js';
import { firstNonFinite, TrainingDivergedError } from './diverged.js';
import {
  checkPosition,
  drain,
  stepsPerEpochOf,
  type LoopPosition,
} from './loop.js';
import { Activation, type Layer } from './layers.js';
import { Optimizer } from './optimizers.js';

// A 10-class cross-entropy starts near 2.3; a batch mean above this means
// logits thousands apart, learning blown up though still finite.
const MAX_HEALTHY_LOSS = 1e4;
const ADVICE = 'Try a lower learning rate.';

export interface FitStepReport {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
}

export interface FitEpochReport {
  epoch: number;
  /** Mean of the epoch's batch losses. */
  loss: number;
  /** Accuracy on the validation set after the epoch; null without one. */
  validationAccuracy: number | null;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  validation?: DataSet;
  onStep?: (report: FitStepReport) => void;
  onEpochEnd?: (report: FitEpochReport) => void;
  /**
   * Asked after every step; true ends training there, before the epoch's
   * end, which is then left out of the history.
   */
  shouldStop?: () => boolean;
}

export interface Evaluation {
  /** Mean cross-entropy. */
  loss: number;
  accuracy: number;
  /** Predicted class of each example, in file order. */
  predicted: Uint8Array;
}

export class Sequential {
  readonly layers: readonly Layer[];
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Each layer's output shape, batch excluded. */
  readonly shapes: readonly Shape[];
  /** Drives dropout; weights are drawn from the seed when built. */
  readonly random: Random;
  // Layers up to the logits: a final softmax is left to the loss.
  private readonly body: readonly Layer[];

  /** Builds every layer for images of `inputShape` (batch excluded). */
  constructor(
    layers: Layer[],
    { inputShape, seed = 777 }: { inputShape: Shape; seed?: number },
  ) {
    if (layers.length === 0) {
      throw new Error('Sequential: expected layers but found none');
    }
    this.layers = layers;
    this.inputShape = inputShape;
    this.random = new Random(seed);
    let shape = inputShape;
    const shapes: Shape[] = [];
    layers.forEach((layer, i) => {
      try {
        shape = layer.build(shape, this.random);
      } catch (error) {
        // A refusal of the user's own making passes through as it is.
        if (error instanceof UserError) throw error;
        throw new Error(
          `Sequential: layer ${i + 1} (${layer.spec}) cannot take an input ` +
            `of ${formatShape(shape)}: ${(error as Error).message}`,
        );
      }
      shapes.push(shape);
    });
    this.shapes = shapes;
    this.outputShape = shape;
    if (shape.length !== 1) {
      throw new Error(
        `Sequential: expected a last output of [classes] but found ` +
          `${formatShape(shape)}; end with flatten and dense`,
      );
    }
    const last = layers[layers.length - 1];
    const endsInSoftmax = last instanceof Activation && last.spec === 'softmax';
    this.body = endsInSoftmax ? layers.slice(0, -1) : layers;
  }

  get variables(): Tensor[] {
    return this.layers.flatMap((layer) => [...layer.variables]);
  }

  /** images [n, size of inputShape] (flat rows are fine) -> logits [n, classes]. */
  logits(images: Tensor, training = false): Tensor {
    const n = images.shape[0];
    let x = reshape(images, [n, ...this.inputShape]);
    const context = { training, random: this.random };
    for (const layer of this.body) x = layer.forward(x, context);
    return x;
  }

  /** Class probabilities [n, classes]. */
  predict(images: Tensor): Tensor {
    return noGrad(() => softmax(this.logits(images)));
  }

  /** Trains on `train` epoch after epoch; returns each epoch's report. */
  fit(train: DataSet, options: FitOptions): FitEpochReport[] {
    return drain(this.fitSteps(train, options));
  }

  /**
   * fit, yielding where it stands after every step. `from`, such a place,
   * goes on from there, the model, optimizer and set restored to it.
   */
  *fitSteps(
    train: DataSet,
    options: FitOptions,
    from?: LoopPosition<FitEpochReport>,
  ): Generator<LoopPosition<FitEpochReport>, FitEpochReport[]> {
    const { epochs, batchSize, optimizer, validation } = options;
    for (const [name, value] of [
      ['epochs', epochs],
      ['batchSize', batchSize],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(
          `fit: expected ${name} to be a positive integer but found ${value}`,
        );
      }
    }
    if (!(optimizer instanceof Optimizer)) {
      throw new TypeError(
        'fit: expected an optimizer but found ' + String(optimizer),
      );
    }
    const stepsPerEpoch = stepsPerEpochOf(train.numExamples, batchSize);
    if (from !== undefined) {
      checkPosition('fit', from, epochs, stepsPerEpoch);
    }
    const outputs = sizeOf(this.outputShape);
    const history: FitEpochReport[] = from ? [...from.history] : [];
    for (let epoch = from?.epoch ?? 1; epoch <= epochs; epoch++) {
      const resumed = from !== undefined && epoch === from.epoch;
      let total = resumed ? from.lossSum : 0;
      const first = (resumed ? from.step : 0) + 1;
      for (let step = first; step <= stepsPerEpoch; step++) {
        // The rate this step uses; a schedule moves on after it.
        const rate = optimizer.currentLearningRate();
        // Nothing of the step outlives it but the loss value, so its
        // arrays, the batch's among them, are recycled for the next one.
        let layer: string | null = null;
        const loss = withWorkspace(() => {
          const { size, rows, classes } = train.nextBatch(batchSize);
          const shape = [size, train.imageSize];
          const images = pixelTensor(train.images, shape, rows);
          const labels = oneHot(classes, outputs);
          const loss = optimizer.minimize(() =>
            mean(softmaxCrossEntropy(this.logits(images, true), labels)),
          );
          if (!Number.isFinite(loss)) layer = this.whereNonFinite(images);
          return loss;
        });
        if (!(loss <= MAX_HEALTHY_LOSS)) {
          throw new TrainingDivergedError(
            epoch,
            step,
            loss,
            rate,
            ADVICE,
            layer,
          );
        }
        total += loss;
        options.onStep?.({ epoch, step, stepsPerEpoch, loss });
        if (options.shouldStop?.()) return history;
        yield { epoch, step, lossSum: total, history };
      }
      const layer = this.whereNonFinite();
      if (layer !== null) {
        const rate = optimizer.currentLearningRate();
        throw new TrainingDivergedError(
          epoch,
          stepsPerEpoch,
          null,
          rate,
          ADVICE,
          layer,
        );
      }
      const report: FitEpochReport = {
        epoch,
        loss: total / stepsPerEpoch,
        validationAccuracy:
          validation && validation.numExamples > 0
            ? this.evaluate(validation).accuracy
            : null,
      };
      history.push(report);
      options.onEpochEnd?.(report);
    }
    return history;
  }

  /**
   * Where values stop being finite numbers: the first layer whose weights
   * hold one, else the first whose output on `images` is one; null when
   * neither (or no images to look at).
   */
  whereNonFinite(images?: Tensor): string | null {
    const name = (i: number) => `layer ${i + 1} (${this.layers[i].spec})`;
    for (const [i, layer] of this.layers.entries()) {
      for (const variable of layer.variables) {
        const bad = firstNonFinite(variable.data);
        // With images, the loss is looking: the last update made it.
        const when = images === undefined ? '' : ', from the last update';
        if (bad !== null)
          return `${name(i)} holds ${bad} in its weights${when}`;
      }
    }
    if (images === undefined) return null;
    return noGrad(() => {
      let x = reshape(images, [images.shape[0], ...this.inputShape]);
      const context = { training: false, random: this.random };
      for (const [i, layer] of this.body.entries()) {
        x = layer.forward(x, context);
        const bad = firstNonFinite(x.data);
        if (bad !== null) return `${name(i)} first gives ${bad}`;
      }
      return null;
    });
  }

  /** Loss and accuracy on a whole set, in file order, in chunks. */
  evaluate(set: DataSet, chunkSize = 1000): Evaluation {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(
        `evaluate: expected a positive integer chunkSize but found ${chunkSize}`,
      );
    }
    const predicted = new Uint8Array(set.numExamples);
    let lossTotal = 0;
    let correct = 0;
    noGrad(() => {
      for (let start = 0; start < set.numExamples; start += chunkSize) {
        const count = Math.min(chunkSize, set.numExamples - start);
        // Each chunk's arrays are recycled for the next; only sums and
        // predictions leave it.
        withWorkspace(() => {
          const batch = set.gather(start, count);
          const shape = [count, set.imageSize];
          const images = pixelTensor(set.images, shape, batch.rows);
          const logits = this.logits(images);
          const labels = oneHot(batch.classes, logits.shape[1]);
          const losses = softmaxCrossEntropy(logits, labels).data;
          const classes = argMax(logits, 1).data;
          for (let i = 0; i < count; i++) {
            lossTotal += losses[i];
            predicted[start + i] = classes[i];
            if (classes[i] === batch.classes[i]) correct++;
          }
        });
      }
    });
    const n = Math.max(1, set.numExamples);
    return { loss: lossTotal / n, accuracy: correct / n, predicted };
  }
}
