// The lab's model: softmax regression, hypothesis = softmax(X·W + b), with
// the lab's own cost formula. Deeper models come with the layer API.

import { randomNormal, variable, zeros } from '../tensor/creation.js';
import { add, literalCrossEntropy, matMul, softmax } from '../tensor/ops.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Random } from '../util/random.js';

/** How W and b start: N(0, 1) as in the lab, or all zeros. */
export type SoftmaxInit = 'normal' | 'zeros';

export class SoftmaxRegression {
  /** [inputSize, numClasses] */
  readonly weights: Tensor;
  /** [numClasses] */
  readonly bias: Tensor;

  constructor(
    inputSize: number,
    numClasses: number,
    init: SoftmaxInit,
    random: Random,
  ) {
    const start = (shape: number[]) =>
      init === 'normal' ? randomNormal(shape, random) : zeros(shape);
    this.weights = variable(start([inputSize, numClasses]));
    this.bias = variable(start([numClasses]));
  }

  /** images [n, inputSize] -> logits [n, numClasses] */
  logits(images: Tensor): Tensor {
    return add(matMul(images, this.weights), this.bias);
  }

  /** The lab's hypothesis: class probabilities [n, numClasses]. */
  probs(images: Tensor): Tensor {
    return softmax(this.logits(images));
  }

  /**
   * The lab's cost, mean(-sum(Y * log(hypothesis), 1)), kept literal: it
   * is infinite when a true class's probability underflows to 0, which
   * is how the lab shows a learning rate that is far too high. One fused
   * op computes it exactly as that chain of ops would.
   */
  cost(images: Tensor, oneHot: Tensor): Tensor {
    return literalCrossEntropy(this.logits(images), oneHot);
  }
}
