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
  noGrad(() => {
    for (let start = 0; start < set.numExamples; start += chunkSize) {
      const count = Math.min(chunkSize, set.numExamples - start);
      const { rows } = set.gather(start, count);
      // Each chunk's arrays are recycled for the next; only the predicted
      // classes leave it.
      withWorkspace(() => {
        const images = pixelTensor(set.images, [count, set.imageSize], rows);
        classes.set(argMax(predict(images), 1).data, start);
      });
    }
  });
  return classes;
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
