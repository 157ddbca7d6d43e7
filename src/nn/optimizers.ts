// Optimizers in the style of TF1: minimize(lossFn) runs the loss, takes
// its gradients and updates every variable it reaches. Leaves out gradient
// clipping, decoupled (AdamW) decay and centered RMSProp.

import { kernels } from '../tensor/kernels/index.js';
import { lastingFloats } from '../tensor/kernels/workspace.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LearningRateSchedule } from './schedules.js';

/** Options every optimizer takes besides its learning rate. */
export interface WeightDecayOptions {
  /**
   * Classic coupled L2 decay: dw + weightDecay * w replaces dw in the
   * update, as if the loss had weightDecay / 2 * sum(w²) added. Default 0.
   */
  weightDecay?: number;
  /**
   * Which variables decay. Default: those of rank >= 2 (weight matrices),
   * so biases and other vectors are left alone.
   */
  shouldDecay?: (variable: Tensor) => boolean;
}

/** Options of an optimizer whose learning rate has no default. */
export interface OptimizerOptions extends WeightDecayOptions {
  /** A positive step size, or a schedule of it over `iterations`. */
  learningRate: number | LearningRateSchedule;
}

const COMMON_OPTIONS = ['learningRate', 'weightDecay', 'shouldDecay'];

/** What an optimizer keeps of one variable between steps. */
export interface VariableSlots {
  /** Its state arrays (velocity, moments), each the variable's size. */
  arrays: Float32Array[];
  /** Updates it has had, where the optimizer counts them (Adam's t). */
  count: number;
}

/** An optimizer's state, for a checkpoint: see Optimizer.state(). */
export interface OptimizerState {
  iterations: number;
  /** One entry per variable, in the order state() was given them. */
  slots: VariableSlots[];
}

/** Base of the optimizers: counts steps, resolves rates, adds decay. */
export abstract class Optimizer {
  /** The step size, or the schedule that gives it. */
  readonly learningRate: number | LearningRateSchedule;
  readonly weightDecay: number;
  private readonly shouldDecay: (variable: Tensor) => boolean;
  private readonly name: string;
  private steps = 0;

  /**
   * Checks the common options and that `options` has no keys but those
   * and `ownOptions`; `name` starts every error message.
   */
  protected constructor(
    name: string,
    options: OptimizerOptions,
    ownOptions: readonly string[] = [],
  ) {
    this.name = name;
    checkKeys(name, options, [...COMMON_OPTIONS, ...ownOptions]);
    const { learningRate, weightDecay = 0, shouldDecay } = options;
    if (typeof learningRate !== 'function') {
      if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
        throw new RangeError(
          `${name}: expected a positive learning rate but found ` +
            show(learningRate),
        );
      }
    }
    if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
      throw new RangeError(
        `${name}: expected weightDecay >= 0 but found ${show(weightDecay)}`,
      );
    }
    if (shouldDecay !== undefined && typeof shouldDecay !== 'function') {
      throw new TypeError(
        `${name}: expected shouldDecay to be a function but found ` +
          show(shouldDecay),
      );
    }
    this.learningRate = learningRate;
    this.weightDecay = weightDecay;
    this.shouldDecay = shouldDecay ?? ((variable) => variable.rank >= 2);
  }

  /** Updates made so far: minimize() calls, counted from 0. */
  get iterations(): number {
    return this.steps;
  }

  /** The learning rate the next update will use. */
  currentLearningRate(): number {
    if (typeof this.learningRate === 'number') return this.learningRate;
    const rate = this.learningRate(this.steps);
    if (!(rate >= 0) || !Number.isFinite(rate)) {
      throw new RangeError(
        `${this.name}: expected the learning-rate schedule to give a ` +
          `finite rate >= 0 at step ${this.steps} but found ${show(rate)}`,
      );
    }
    return rate;
  }

  /** Copies of what it keeps between steps for `variables`, in order. */
  state(variables: readonly Tensor[]): OptimizerState {
    return {
      iterations: this.steps,
      slots: variables.map((variable) => {
        const { arrays, count } = this.slotsOf(variable);
        return { arrays: arrays.map((a) => Float32Array.from(a)), count };
      }),
    };
  }

  /** Takes up a state() of this kind of optimizer on the same variables. */
  restore(variables: readonly Tensor[], state: OptimizerState): void {
    const { iterations, slots } = state;
    const fits =
      Number.isSafeInteger(iterations) &&
      iterations >= 0 &&
      slots.length === variables.length &&
      slots.every(
        ({ arrays, count }, i) =>
          Number.isSafeInteger(count) &&
          count >= 0 &&
          arrays.every((a) => a.length === variables[i].size),
      );
    if (!fits) {
      throw new RangeError(
        `${this.name}.restore: expected a state of ${variables.length} ` +
          'variables of these sizes',
      );
    }
    slots.forEach((slot, i) => {
      const copy = (a: Float32Array) => {
        const lasting = lastingFloats(a.length);
        lasting.set(a);
        return lasting;
      };
      this.setSlots(variables[i], {
        arrays: slot.arrays.map(copy),
        count: slot.count,
      });
    });
    this.steps = iterations;
  }

  /** The variable's state arrays (none before its first update). */
  protected slotsOf(_variable: Tensor): VariableSlots {
    return { arrays: [], count: 0 };
  }

  /** Sets what slotsOf gives; `slots` comes from slotsOf of this kind. */
  protected setSlots(_variable: Tensor, slots: VariableSlots): void {
    if (slots.arrays.length > 0) {
      throw new RangeError(`${this.name}: expected no state arrays`);
    }
  }

  /**
   * Computes lossFn() (a scalar), updates the variables it depends on
   * (or only `variables`, when given) and returns the loss value. A loss
   * that is NaN or infinite is returned with nothing updated.
   */
  minimize(lossFn: () => Tensor, variables?: readonly Tensor[]): number {
    const learningRate = this.currentLearningRate();
    const loss = lossFn();
    // A loss that is not a number would only carry NaN into every
    // variable: they are left as they were, for the caller to stop on.
    const value = loss.item();
    if (!Number.isFinite(value)) return value;
    const reached = loss.backward();
    const targets = variables ?? reached;

    for (const v of targets) {
      if (v.grad === null) continue;
      const decays = this.weightDecay > 0 && this.shouldDecay(v);
      const decay = decays ? this.weightDecay : 0;
      this.updateVariable(v, v.grad, learningRate, decay);
    }
    for (const v of targets) v.grad = null;
    this.steps++;
    return value;
  }

  /**
   * Updates variable.data in place, descending along
   * dVariable + decay * variable.data (decay is 0 when it does not apply).
   */
  protected abstract updateVariable(
    variable: Tensor,
    dVariable: Float32Array,
    learningRate: number,
    decay: number,
  ): void;
}

/** Plain gradient descent: w -= learningRate * dw. */
export class GradientDescentOptimizer extends Optimizer {
  /** Takes a learning rate (or schedule) alone, or the full options. */
  constructor(options: number | LearningRateSchedule | OptimizerOptions) {
    super(
      'GradientDescentOptimizer',
      typeof options === 'object' && options !== null
        ? options
        : { learningRate: options },
    );
  }

  protected updateVariable(
    variable: Tensor,
    dVariable: Float32Array,
    learningRate: number,
    decay: number,
  ): void {
    kernels().sgd(variable.data, dVariable, learningRate, decay);
  }
}

export interface MomentumOptions extends OptimizerOptions {
  /** Fraction of the velocity kept each step, in [0, 1). Default 0.9. */
  momentum?: number;
  /** Nesterov's look-ahead step. Default false. */
  nesterov?: boolean;
}

/**
 * Gradient descent with momentum, in the Keras SGD convention:
 * v = momentum * v - lr * dw, then w += v, or with Nesterov
 * w += momentum * v - lr * dw (using the new v). For a constant learning
 * rate this is TF1's MomentumOptimizer; TF1 keeps v unscaled by lr, so the
 * two differ only when the rate changes.
 */
export class MomentumOptimizer extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly velocities = new Map<Tensor, Float32Array>();

  constructor(options: MomentumOptions) {
    const name = 'MomentumOptimizer';
    super(name, checkObject(name, options), ['momentum', 'nesterov']);
    const { momentum = 0.9, nesterov = false } = options;
    checkFraction(name, 'momentum', momentum);
    if (typeof nesterov !== 'boolean') {
      throw new TypeError(
        `${name}: expected nesterov to be true or false but found ` +
          show(nesterov),
      );
    }
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  protected override slotsOf(variable: Tensor): VariableSlots {
    return slotsIn([this.velocities], variable);
  }

  protected override setSlots(variable: Tensor, slots: VariableSlots): void {
    setSlotsIn('MomentumOptimizer', [this.velocities], variable, slots);
  }

  protected updateVariable(
    variable: Tensor,
    dVariable: Float32Array,
    learningRate: number,
    decay: number,
  ): void {
    const data = variable.data;
    const velocity = slot(this.velocities, variable);
    const momentum = this.momentum;
    for (let i = 0; i < data.length; i++) {
      const g = dVariable[i] + decay * data[i];
      velocity[i] = momentum * velocity[i] - learningRate * g;
      data[i] += this.nesterov
        ? momentum * velocity[i] - learningRate * g
        : velocity[i];
    }
  }
}

export interface AdamOptions extends Partial<OptimizerOptions> {
  /** Decay of the first-moment average, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment average, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to sqrt(vHat) against division by zero. Default 1e-7. */
  epsilon?: number;
}

interface AdamState {
  m: Float32Array;
  v: Float32Array;
  /** Updates this variable has had, the t of the bias correction. */
  t: number;
}

/**
 * Adam (Kingma & Ba) with bias correction, as PyTorch writes it:
 * m = beta1 m + (1 - beta1) dw, v = beta2 v + (1 - beta2) dw²,
 * mHat = m / (1 - beta1^t), vHat = v / (1 - beta2^t),
 * w -= lr * mHat / (sqrt(vHat) + epsilon). Learning rate defaults to 0.001.
 */
export class AdamOptimizer extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly moments = new Map<Tensor, AdamState>();

  constructor(options: AdamOptions = {}) {
    const name = 'AdamOptimizer';
    const { learningRate = 0.001 } = checkObject(name, options);
    super(name, { ...options, learningRate }, ['beta1', 'beta2', 'epsilon']);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = options;
    checkFraction(name, 'beta1', beta1);
    checkFraction(name, 'beta2', beta2);
    checkEpsilon(name, epsilon);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  protected override slotsOf(variable: Tensor): VariableSlots {
    const state = this.moments.get(variable);
    return state === undefined
      ? { arrays: [], count: 0 }
      : { arrays: [state.m, state.v], count: state.t };
  }

  protected override setSlots(variable: Tensor, slots: VariableSlots): void {
    const { arrays, count } = slots;
    if (arrays.length === 0 && count === 0) {
      this.moments.delete(variable);
      return;
    }
    if (arrays.length !== 2) {
      throw new RangeError('AdamOptimizer: expected two moments a variable');
    }
    this.moments.set(variable, { m: arrays[0], v: arrays[1], t: count });
  }

  protected updateVariable(
    variable: Tensor,
    dVariable: Float32Array,
    learningRate: number,
    decay: number,
  ): void {
    const data = variable.data;
    const state = this.moments.get(variable) ?? {
      m: lastingFloats(data.length),
      v: lastingFloats(data.length),
      t: 0,
    };
    this.moments.set(variable, state);
    const { m, v } = state;
    const { beta1, beta2, epsilon } = this;

    // NOTE: t is per variable, as in PyTorch, not the global iterations of
    // Keras, so a variable left out of some steps is corrected for its own.
    state.t++;
    kernels().adam(data, dVariable, m, v, {
      step: learningRate / (1 - beta1 ** state.t),
      unbias: 1 / (1 - beta2 ** state.t),
      beta1,
      beta2,
      epsilon,
      decay,
    });
  }
}

export interface RMSPropOptions extends Partial<OptimizerOptions> {
  /** Decay of the mean square, in [0, 1). Default 0.9. */
  rho?: number;
  /** Added to the mean square inside the root. Default 1e-7. */
  epsilon?: number;
  /** Momentum on the scaled steps, in [0, 1). Default 0 (none). */
  momentum?: number;
}

/**
 * RMSProp as TF and Keras write it: ms = rho ms + (1 - rho) dw²,
 * step = lr * dw / sqrt(ms + epsilon) (epsilon inside the root, unlike
 * PyTorch), then mom = momentum * mom + step and w -= mom (or w -= step
 * without momentum). ms starts at 0, as in Keras (TF1 started it at 1).
 * Learning rate defaults to 0.001.
 */
export class RMSPropOptimizer extends Optimizer {
  readonly rho: number;
  readonly epsilon: number;
  readonly momentum: number;
  private readonly meanSquares = new Map<Tensor, Float32Array>();
  private readonly velocities = new Map<Tensor, Float32Array>();

  constructor(options: RMSPropOptions = {}) {
    const name = 'RMSPropOptimizer';
    const { learningRate = 0.001 } = checkObject(name, options);
    super(name, { ...options, learningRate }, ['rho', 'epsilon', 'momentum']);
    const { rho = 0.9, epsilon = 1e-7, momentum = 0 } = options;
    checkFraction(name, 'rho', rho);
    checkEpsilon(name, epsilon);
    checkFraction(name, 'momentum', momentum);
    this.rho = rho;
    this.epsilon = epsilon;
    this.momentum = momentum;
  }

  protected override slotsOf(variable: Tensor): VariableSlots {
    return slotsIn([this.meanSquares, this.velocities], variable);
  }

  protected override setSlots(variable: Tensor, slots: VariableSlots): void {
    const maps = [this.meanSquares, this.velocities];
    setSlotsIn('RMSPropOptimizer', maps, variable, slots);
  }

  protected updateVariable(
    variable: Tensor,
    dVariable: Float32Array,
    learningRate: number,
    decay: number,
  ): void {
    const data = variable.data;
    const meanSquare = slot(this.meanSquares, variable);
    const velocity = this.momentum > 0 ? slot(this.velocities, variable) : null;
    const { rho, epsilon, momentum } = this;
    for (let i = 0; i < data.length; i++) {
      const g = dVariable[i] + decay * data[i];
      meanSquare[i] = rho * meanSquare[i] + (1 - rho) * g * g;
      const step = (learningRate * g) / Math.sqrt(meanSquare[i] + epsilon);
      if (velocity === null) {
        data[i] -= step;
      } else {
        velocity[i] = momentum * velocity[i] + step;
        data[i] -= velocity[i];
      }
    }
  }
}

/** The variable's arrays in `maps`, up to the first it has none in. */
function slotsIn(
  maps: Map<Tensor, Float32Array>[],
  variable: Tensor,
): VariableSlots {
  const arrays: Float32Array[] = [];
  for (const map of maps) {
    const values = map.get(variable);
    if (values === undefined) break;
    arrays.push(values);
  }
  return { arrays, count: 0 };
}

/** Puts slotsIn's arrays back in their maps. */
function setSlotsIn(
  name: string,
  maps: Map<Tensor, Float32Array>[],
  variable: Tensor,
  { arrays, count }: VariableSlots,
): void {
  if (arrays.length > maps.length || count !== 0) {
    throw new RangeError(`${name}: expected at most ${maps.length} arrays`);
  }
  maps.forEach((map, i) => {
    if (i < arrays.length) map.set(variable, arrays[i]);
    else map.delete(variable);
  });
}

/** The variable's zero-initialised state array, made on first use. */
function slot(slots: Map<Tensor, Float32Array>, variable: Tensor) {
  let values = slots.get(variable);
  if (values === undefined) {
    values = lastingFloats(variable.size);
    slots.set(variable, values);
  }
  return values;
}

function checkObject<T>(name: string, options: T): T {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `${name}: expected an options object but found ${show(options)}`,
    );
  }
  return options;
}

function checkKeys(
  name: string,
  options: object,
  known: readonly string[],
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${name}: expected options among ${known.join(', ')} but found ` +
          JSON.stringify(key),
      );
    }
  }
}

function checkFraction(name: string, option: string, value: number): void {
  if (!(value >= 0 && value < 1)) {
    throw new RangeError(
      `${name}: expected ${option} in [0, 1) but found ${show(value)}`,
    );
  }
}

function checkEpsilon(name: string, epsilon: number): void {
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) {
    throw new RangeError(
      `${name}: expected epsilon > 0 but found ${show(epsilon)}`,
    );
  }
}

/** Numbers as JavaScript prints them, strings quoted, else the type. */
function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}
