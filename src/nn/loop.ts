// Where a training loop stands between two steps, and running a loop that
// yields there to its end. Loops yield after every step so that a caller
// can checkpoint, pause for the event loop, or leave.

/** A loop's place after a step: with its objects' states, a checkpoint. */
export interface LoopPosition<Report> {
  /** The epoch under way, from 1. */
  epoch: number;
  /** Its steps done so far. */
  step: number;
  /** The running sum the epoch's cost is made from, exactly as kept. */
  lossSum: number;
  /** The reports of the epochs finished. */
  history: Report[];
}

/**
 * Steps in an epoch of `examples` in batches of `batchSize`: as the lab,
 * int(examples / batch), but at least one.
 */
export function stepsPerEpochOf(examples: number, batchSize: number): number {
  return Math.max(1, Math.floor(examples / batchSize));
}

/** Runs `steps` to the end; its result. */
export function drain<Result>(steps: Generator<unknown, Result>): Result {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * Checks that `position` fits a run of `epochs` epochs of `stepsPerEpoch`
 * steps; `where` starts the message.
 */
export function checkPosition(
  where: string,
  position: LoopPosition<unknown>,
  epochs: number,
  stepsPerEpoch: number,
): void {
  const { epoch, step, lossSum, history } = position;
  const fits =
    Number.isSafeInteger(epoch) &&
    epoch >= 1 &&
    epoch <= epochs &&
    Number.isSafeInteger(step) &&
    step >= 0 &&
    step <= stepsPerEpoch &&
    Number.isFinite(lossSum) &&
    Array.isArray(history) &&
    history.length === epoch - 1;
  if (!fits) {
    throw new RangeError(
      `${where}: expected a place in ${epochs} epochs of ${stepsPerEpoch} ` +
        `steps but found epoch ${epoch}, step ${step} with ` +
        `${Array.isArray(history) ? history.length : 'no'} epochs behind`,
    );
  }
}
