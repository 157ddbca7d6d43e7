// A training run that can be stopped between any two steps and taken up
// again with the same result: its checkpoint (the loop's place, the
// model's tensors, the optimizer's state, the training set's order and
// random states), and the run as a sequence of steps.

import type { DataSetState } from '../data/dataset.js';
import type { NamedTensor } from '../io/model-format.js';
import { drain, type LoopPosition } from '../nn/loop.js';
import type { OptimizerState } from '../nn/optimizers.js';
import type { FitEpochReport } from '../nn/sequential.js';
import type { RandomState } from '../util/random.js';
import type { LabConfig } from './lab.js';
import type { NetworkConfig } from './networks.js';

interface CheckpointBase {
  /** The model's tensors, as its saved form names them. */
  tensors: NamedTensor[];
  data: DataSetState;
  /** Training time before the checkpoint, so that the total is whole. */
  trainSeconds: number;
}

/** Everything a run needs to go on from the step after it. */
export type Checkpoint =
  | (CheckpointBase & {
      model: 'softmax';
      config: LabConfig;
      position: LoopPosition<number>;
    })
  | (CheckpointBase & {
      model: 'layers';
      config: NetworkConfig;
      position: LoopPosition<FitEpochReport>;
      optimizer: OptimizerState;
      /** The dropout generator's. */
      random: RandomState;
    });

/** What `value`, given as a checkpoint, is: for the loops' refusals. */
export function foundCheckpoint(value: unknown): string {
  const { model, checkpoint } = (value ?? {}) as Record<string, unknown>;
  if (model === 'softmax') return "one of the lab's";
  if (model === 'layers') return 'one of a layer model';
  return checkpoint === undefined
    ? 'something else'
    : 'what loadCheckpoint returns: pass its .checkpoint';
}

/** A run one step at a time; a checkpoint can be taken after any. */
export class TrainingRun<Result> {
  private readonly steps: Generator<LoopPosition<unknown>, Result>;
  private readonly capture: (position: LoopPosition<unknown>) => Checkpoint;
  private position: LoopPosition<unknown> | null = null;
  private result: { value: Result } | null = null;

  private readonly epochs: number;
  private readonly stepsPerEpoch: number;

  /** `steps` yield after each of `epochs` epochs of `stepsPerEpoch` steps. */
  constructor(
    steps: Generator<LoopPosition<unknown>, Result>,
    capture: (position: LoopPosition<unknown>) => Checkpoint,
    shape: { epochs: number; stepsPerEpoch: number },
  ) {
    this.steps = steps;
    this.capture = capture;
    this.epochs = shape.epochs;
    this.stepsPerEpoch = shape.stepsPerEpoch;
  }

  /** Whether training and testing are over. */
  get done(): boolean {
    return this.result !== null;
  }

  /** Whether every training step is done, so the next step() tests. */
  get lastTrainingStepDone(): boolean {
    const position = this.position;
    return (
      this.result === null &&
      position !== null &&
      position.epoch === this.epochs &&
      position.step === this.stepsPerEpoch
    );
  }

  /** One step (the last also tests); the result once the run is over. */
  step(): Result | undefined {
    if (this.result !== null) return this.result.value;
    const next = this.steps.next();
    if (next.done) {
      this.result = { value: next.value };
      return next.value;
    }
    this.position = next.value;
    return undefined;
  }

  /** The run as it stands after its latest step; copies, not views. */
  checkpoint(): Checkpoint {
    if (this.position === null || this.result !== null) {
      throw new Error('TrainingRun: a checkpoint is taken between steps');
    }
    const { epoch, step, lossSum, history } = this.position;
    return this.capture({ epoch, step, lossSum, history: [...history] });
  }

  /** Runs the rest; the result. */
  finish(): Result {
    if (this.result !== null) return this.result.value;
    const value = drain(this.steps);
    this.result = { value };
    return value;
  }
}
