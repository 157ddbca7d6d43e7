// The error every training loop throws when learning blows up.

import { UserError } from '../util/errors.js';

/**
 * Thrown when the cost, or the weights after an update, stop being finite
 * numbers, or the cost explodes. `loss` is that cost, or null when the
 * weights were. `advice` ends the message.
 */
export class TrainingDivergedError extends UserError {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly loss: number | null,
    readonly learningRate: number,
    advice = 'Try a lower learning rate (the lab uses 0.1).',
  ) {
    const what =
      loss === null
        ? 'the weights stopped being finite numbers'
        : `the cost became ${loss}`;
    super(
      `training diverged: ${what} at epoch ${epoch}, step ${step}, with ` +
        `learning rate ${learningRate}. ${advice}`,
    );
    this.name = 'TrainingDivergedError';
  }
}
