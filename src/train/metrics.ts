// Measures of a trained model on a data set, computed in file order
// without recording gradients.

import type { DataSet } from '../data/dataset.js';
import { pixelTensor, tensor } from '../tensor/creation.js';
import { withWorkspace } from '../tensor/kernels/workspace.js';
import { argMax } from '../tensor/ops.js';
import { noGrad, type Tensor } from '../tensor/tensor.js';

/** Maps images [n, imageSize] to class scores [n, numClasses]. */
export type Predictor = (images: Tensor) => Tensor;

/** Predicted class of each example, in file order: [numExamples]. */
export function predictClasses(
  predict: Predictor,
  set: DataSet,
  chunkSize = 2000,
): Uint8Array {
  const classes = new Uint8Array(set.numExamples);
  inChunks(predict, set, chunkSize, (scores, start) => {
    classes.set(argMax(scores, 1).data, start);
  });
  return classes;
}

/**
 * Calls `use` with the model's scores for each chunk of `set`, in file
 * order. Each chunk's arrays are recycled for the next, so `use` keeps
 * only what it copies out.
 */
function inChunks(
  predict: Predictor,
  set: DataSet,
  chunkSize: number,
  use: (scores: Tensor, start: number, count: number) => void,
): void {
  noGrad(() => {
    for (let start = 0; start < set.numExamples; start += chunkSize) {
      const count = Math.min(chunkSize, set.numExamples - start);
      const { rows } = set.gather(start, count);
      withWorkspace(() => {
        const images = pixelTensor(set.images, [count, set.imageSize], rows);
        use(predict(images), start, count);
      });
    }
  });
}

/** Fraction of predicted classes equal to the labels, both [n]. */
export function accuracyOf(predicted: Uint8Array, labels: Uint8Array): number {
  if (predicted.length !== labels.length) {
    throw new Error(
      `accuracyOf: expected ${labels.length} predictions ` +
        `but found ${predicted.length}`,
    );
  }
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    if (predicted[i] === labels[i]) correct++;
  }
  return labels.length === 0 ? 0 : correct / labels.length;
}

/** Fraction of the set's examples whose predicted class is their label. */
export function accuracy(predict: Predictor, set: DataSet): number {
  return accuracyOf(predictClasses(predict, set), set.labels);
}

/** What evaluateClasses finds: loss, accuracy and where the errors fall. */
export interface ClassReport {
  /** Mean cross-entropy, -log of each label's probability. */
  loss: number;
  accuracy: number;
  /** confusion[label][predicted]: how many examples. */
  confusion: number[][];
  /** Per class: precision, recall, F1 (0 where undefined) and support. */
  perClass: {
    precision: number;
    recall: number;
    f1: number;
    support: number;
  }[];
  /** Label and prediction pairs that differ, most frequent first. */
  confusions: { label: number; predicted: number; count: number }[];
  /** Predicted class of each example, in file order. */
  predicted: Uint8Array;
  /** The probability of each example's label, in file order. */
  labelProbability: Float32Array;
}

/** The model's probabilities over `set`, summed up per class. */
export function evaluateClasses(
  predict: Predictor,
  set: DataSet,
  classes: number,
  chunkSize = 2000,
): ClassReport {
  const n = set.numExamples;
  const predicted = new Uint8Array(n);
  const labelProbability = new Float32Array(n);
  const confusion = Array.from({ length: classes }, () =>
    new Array<number>(classes).fill(0),
  );
  let lossTotal = 0;
  inChunks(predict, set, chunkSize, (probs, start, count) => {
    if (probs.shape[1] !== classes) {
      throw new Error(
        `evaluateClasses: expected ${classes} classes but the model ` +
          `gives ${probs.shape[1]}`,
      );
    }
    const best = argMax(probs, 1).data;
    const p = probs.data;
    for (let i = 0; i < count; i++) {
      const label = set.labels[start + i];
      const guess = best[i];
      predicted[start + i] = guess;
      confusion[label][guess]++;
      const probability = p[i * classes + label];
      labelProbability[start + i] = probability;
      lossTotal -= Math.log(probability);
    }
  });
  const correct = confusion.reduce((sum, row, c) => sum + row[c], 0);
  const perClass = confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    const claimed = confusion.reduce((sum, other) => sum + other[c], 0);
    const precision = claimed === 0 ? 0 : row[c] / claimed;
    const recall = support === 0 ? 0 : row[c] / support;
    const f1 =
      precision + recall === 0
        ? 0
        : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
  const confusions = confusion
    .flatMap((row, label) =>
      row.map((count, guess) => ({ label, predicted: guess, count })),
    )
    .filter(
      ({ label, predicted: guess, count }) => label !== guess && count > 0,
    )
    .sort((a, b) => b.count - a.count || a.label - b.label);
  return {
    loss: n === 0 ? 0 : lossTotal / n,
    accuracy: n === 0 ? 0 : correct / n,
    confusion,
    perClass,
    confusions,
    predicted,
    labelProbability,
  };
}
