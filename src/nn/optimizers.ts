// Optimizers in the style of TF1: minimize(lossFn) runs the loss, takes
// its gradients and updates every variable it reaches.

import type { Tensor } from '../tensor/tensor.js';

export abstract class Optimizer {
  /**
   * Computes lossFn() (a scalar), updates the variables it depends on
   * (or only `variables`, when given) and returns the loss value.
   */
  minimize(lossFn: () => Tensor, variables?: readonly Tensor[]): number {
    const loss = lossFn();
    const reached = loss.backward();
    const targets = variables ?? reached;
    this.applyGradients(targets.filter((v) => v.grad !== null));
    for (const v of targets) v.grad = null;
    return loss.item();
  }

  /** Updates each variable's data in place from its grad. */
  protected abstract applyGradients(variables: readonly Tensor[]): void;
}

/** Plain gradient descent: w -= learningRate * dw. */
export class GradientDescentOptimizer extends Optimizer {
  constructor(readonly learningRate: number) {
    super();
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new RangeError(
        `GradientDescentOptimizer: expected a positive learning rate ` +
          `but found ${learningRate}`,
      );
    }
  }

  protected applyGradients(variables: readonly Tensor[]): void {
    const rate = this.learningRate;
    for (const v of variables) {
      const data = v.data;
      const grad = v.grad as Float32Array;
      for (let i = 0; i < data.length; i++) data[i] -= rate * grad[i];
    }
  }
}
