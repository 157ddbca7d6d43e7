// The error every training loop throws when learning blows up.

import { UserError } from '../util/errors.js';

/**
 * Thrown when the cost, or the weights after an update, stop being finite
 * numbers, or the cost explodes. `loss` is that cost, or null when the
 * weights were. `layer` says where it first shows (which layer's weights
 * or output), when known; `advice` ends the message.
 */
export class TrainingDivergedError extends UserError {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly loss: number | null,
    readonly learningRate: number,
    advice = 'Try a lower learning rate (the lab uses 0.1).',
    readonly layer: string | null = null,
  ) {
    const what =
      loss === null
        ? 'the weights stopped being finite numbers'
        : `the cost became ${loss}`;
    const where = layer === null ? '' : `; ${layer}`;
    super(
      `training diverged: ${what} at epoch ${epoch}, step ${step}, with ` +
        `learning rate ${learningRate}${where}. ${advice}`,
    );
    this.name = 'TrainingDivergedError';
  }
}

/** The first value of `values` that is not a finite number, or null. */
export function firstNonFinite(values: ArrayLike<number>): number | null {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return values[i];
  }
  return null;
}
