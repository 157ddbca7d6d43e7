// The lab's lesson made visible: one model per learning rate, all else the
// same (seed included), and which rates diverged, barely moved or learned.

import { TrainingDivergedError } from '../nn/diverged.js';

/** What training one model with one rate gives. */
export interface TrainedRun {
  /** Per epoch, the mean batch cost. */
  costs: number[];
  /** After the last epoch; null without a validation set. */
  validationAccuracy: number | null;
  testAccuracy: number;
}

/** Trains one model with `learningRate`, reporting each step's loss. */
export type RateTrainer = (
  learningRate: number,
  onStep: (loss: number) => void,
  onEpochEnd: (cost: number) => void,
) => TrainedRun;

export type RunStatus = 'learned' | 'barely moved' | 'diverged';

export interface SweepRun {
  learningRate: number;
  status: RunStatus;
  /** Per epoch completed; a diverged run stops early. */
  costs: number[];
  /** The first step's loss, which every run starts near. */
  firstLoss: number | null;
  validationAccuracy: number | null;
  testAccuracy: number | null;
  /** How a diverged run ended, in TrainingDivergedError's words. */
  divergence: string | null;
  /**
   * For a diverged run, the mean of the finite losses of the epoch it
   * diverged in (null if none was finite): where its curve ends.
   */
  lastCost: number | null;
}

export interface SweepCallbacks {
  onRunStart?: (learningRate: number) => void;
  onEpochEnd?: (learningRate: number, epoch: number, cost: number) => void;
  onRunEnd?: (run: SweepRun) => void;
}

// A run whose last cost is within this share of its first step's loss
// barely moved.
const BARELY = 0.05;

/** Trains with each rate in turn; a diverging one is recorded, not fatal. */
export function sweepLearningRates(
  learningRates: number[],
  train: RateTrainer,
  callbacks: SweepCallbacks = {},
): SweepRun[] {
  return learningRates.map((learningRate) => {
    callbacks.onRunStart?.(learningRate);
    let firstLoss: number | null = null;
    const costs: number[] = [];
    // The finite losses of the epoch under way.
    let partial = 0;
    let partialSteps = 0;
    let run: SweepRun;
    try {
      const trained = train(
        learningRate,
        (loss) => {
          firstLoss ??= loss;
          if (Number.isFinite(loss)) {
            partial += loss;
            partialSteps++;
          }
        },
        (cost) => {
          costs.push(cost);
          partial = 0;
          partialSteps = 0;
          callbacks.onEpochEnd?.(learningRate, costs.length, cost);
        },
      );
      const last = costs[costs.length - 1];
      const moved =
        firstLoss !== null && last !== undefined
          ? (firstLoss - last) / Math.abs(firstLoss)
          : 0;
      run = {
        learningRate,
        status: moved < BARELY ? 'barely moved' : 'learned',
        costs,
        firstLoss,
        validationAccuracy: trained.validationAccuracy,
        testAccuracy: trained.testAccuracy,
        divergence: null,
        lastCost: null,
      };
    } catch (error) {
      if (!(error instanceof TrainingDivergedError)) throw error;
      run = {
        learningRate,
        status: 'diverged',
        costs,
        firstLoss,
        validationAccuracy: null,
        testAccuracy: null,
        divergence: error.message,
        lastCost: partialSteps > 0 ? partial / partialSteps : null,
      };
    }
    callbacks.onRunEnd?.(run);
    return run;
  });
}
