// Learning-rate schedules: functions from the number of updates made so far
// to a learning rate. Leaves out warm-up, restarts and piecewise schedules.

/**
 * Gives the learning rate for an update; `step` counts the updates made
 * before it, from 0 (an optimizer's `iterations`).
 */
export type LearningRateSchedule = (step: number) => number;

/** The same learning rate at every step. */
export function constantLr(learningRate: number): LearningRateSchedule {
  checkPositive('constantLr', 'learningRate', learningRate);

  return (step) => {
    checkStep('constantLr', step);
    return learningRate;
  };
}

/**
 * Exponential decay, as tf.keras ExponentialDecay:
 * initial * decayRate^(step / decaySteps), with the exponent floored
 * (decay in steps) when `staircase`.
 */
export function stepDecay({
  initial,
  decayRate,
  decaySteps,
  staircase = true,
}: {
  initial: number;
  decayRate: number;
  decaySteps: number;
  staircase?: boolean;
}): LearningRateSchedule {
  checkPositive('stepDecay', 'initial', initial);
  checkPositive('stepDecay', 'decayRate', decayRate);
  checkPositive('stepDecay', 'decaySteps', decaySteps);
  checkBoolean('stepDecay', 'staircase', staircase);

  return (step) => {
    checkStep('stepDecay', step);
    const exponent = step / decaySteps;
    return initial * decayRate ** (staircase ? Math.floor(exponent) : exponent);
  };
}

/**
 * Cosine decay, as tf.keras CosineDecay without warm-up: from `initial` at
 * step 0 down to alpha * initial at `decaySteps`, then held there.
 */
export function cosineDecay({
  initial,
  decaySteps,
  alpha = 0,
}: {
  initial: number;
  decaySteps: number;
  alpha?: number;
}): LearningRateSchedule {
  checkPositive('cosineDecay', 'initial', initial);
  checkPositive('cosineDecay', 'decaySteps', decaySteps);
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new RangeError(
      `cosineDecay: expected alpha in [0, 1] but found ${show(alpha)}`,
    );
  }

  return (step) => {
    checkStep('cosineDecay', step);
    const progress = Math.min(step, decaySteps) / decaySteps;
    const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
    return initial * ((1 - alpha) * cosine + alpha);
  };
}

function checkPositive(name: string, option: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `${name}: expected ${option} > 0 but found ${show(value)}`,
    );
  }
}

function checkBoolean(name: string, option: string, value: boolean): void {
  if (typeof value !== 'boolean') {
    throw new TypeError(
      `${name}: expected ${option} to be true or false but found ` +
        show(value),
    );
  }
}

function checkStep(name: string, step: number): void {
  if (!(step >= 0) || !Number.isFinite(step)) {
    throw new RangeError(
      `${name}: expected a step >= 0 but found ${show(step)}`,
    );
  }
}

/** Numbers as JavaScript prints them, strings quoted, else the type. */
function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}
