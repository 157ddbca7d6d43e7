// `mnistlab train --save DIR`'s safety net: a checkpoint every so often and
// on Ctrl-C or SIGTERM, written atomically beside the model, so that
// `--resume DIR` goes on and ends as the uninterrupted run would. A second
// Ctrl-C leaves at once; what is on disk is whole either way.

import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  CHECKPOINT_FILE,
  loadCheckpoint,
  saveCheckpoint,
} from '../io/checkpoint-file.js';
import { firstNonFinite, TrainingDivergedError } from '../nn/diverged.js';
import type { Checkpoint, TrainingRun } from '../train/checkpoint.js';
import { UserError, USAGE_EXIT } from '../util/errors.js';
import { isRunning } from '../util/process.js';

/** Exit status after an interruption, as a shell reports a SIGINT. */
export const INTERRUPTED_EXIT = 130;
// Between these the loop lets signals in.
const YIELD_MS = 50;

/** What the command line notes of a run to resume it as it was. */
export interface RunNotes {
  /** softmax, mlp, cnn or layers. */
  model: string;
  dataDir: string;
  /** --data as it was given, which --json repeats; null without one. */
  dataGiven?: string | null;
  validationSize: number;
  kernels: 'wasm' | 'cpu';
  threads: number | null;
}

export interface CheckpointTarget {
  dir: string;
  everySeconds: number;
  notes: RunNotes;
}

function placeOf(checkpoint: Checkpoint, stepsPerEpoch: number): string {
  const { epoch, step } = checkpoint.position;
  return `epoch ${epoch}, step ${step} of ${stepsPerEpoch}`;
}

/**
 * Runs `run` to its end, checkpointing into `target.dir`; on a signal,
 * checkpoints and throws a UserError that says how to go on.
 */
export async function runWithCheckpoints<Result>(
  run: TrainingRun<Result>,
  target: CheckpointTarget,
  stepsPerEpoch: number,
): Promise<Result> {
  let signal: NodeJS.Signals | null = null;
  const onSignal = (received: NodeJS.Signals) => {
    // The second one is not waited on: every write is whole already.
    if (signal !== null) process.exit(INTERRUPTED_EXIT);
    signal = received;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A checkpoint of weights gone NaN would be no checkpoint: the last
  // good one is kept, and the run stops on them at its next step.
  let saved: Checkpoint | null = null;
  const save = () => {
    const checkpoint = run.checkpoint();
    if (!isFinite(checkpoint)) return saved;
    saveCheckpoint(target.dir, checkpoint, { ...target.notes });
    saved = checkpoint;
    return checkpoint;
  };
  try {
    let lastYield = performance.now();
    let lastSave = lastYield;
    for (;;) {
      // The last step also tests the model, in one go that lets no signal
      // in: the run is checkpointed before it and a signal ends it at once.
      if (run.lastTrainingStepDone) {
        save();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const result = run.step();
      if (run.done) return result as Result;
      if (signal !== null) {
        const checkpoint = save();
        if (checkpoint === null) {
          throw new UserError(
            `interrupted (${signal}) with weights no longer finite, and no ` +
              'checkpoint before them to keep',
            INTERRUPTED_EXIT,
          );
        }
        throw new UserError(
          `interrupted (${signal}) at ${placeOf(checkpoint, stepsPerEpoch)}; ` +
            `the run is saved in ${target.dir}: go on with mnistlab train ` +
            `--resume ${target.dir}`,
          INTERRUPTED_EXIT,
        );
      }
      const now = performance.now();
      if (now - lastSave >= target.everySeconds * 1000) {
        save();
        lastSave = now;
      }
      if (now - lastYield >= YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  } catch (error) {
    if (!(error instanceof TrainingDivergedError) || saved === null) {
      throw error;
    }
    throw new UserError(
      `${error.message} The last good checkpoint, at ` +
        `${placeOf(saved, stepsPerEpoch)}, is intact in ${target.dir} ` +
        '(resumed, it diverges again: its settings are kept).',
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function isFinite(checkpoint: Checkpoint): boolean {
  const arrays = checkpoint.tensors.map((t) => t.data);
  if (checkpoint.model === 'layers') {
    for (const slot of checkpoint.optimizer.slots) arrays.push(...slot.arrays);
  }
  return arrays.every((values) => firstNonFinite(values) === null);
}

/**
 * Refuses to start a run over an interrupted one in `dir`: it would be
 * replaced by the first checkpoint of the new one.
 */
export function checkNoInterruptedRun(dir: string): void {
  if (!fs.existsSync(path.join(dir, CHECKPOINT_FILE))) return;
  throw new UserError(
    `--save ${dir} holds an interrupted run: go on with it with mnistlab ` +
      `train --resume ${dir}, or remove ${path.join(dir, CHECKPOINT_FILE)} ` +
      'to start afresh',
    USAGE_EXIT,
  );
}

const LOCK_FILE = 'train.lock';

/**
 * Takes `dir` for this process's run until it exits: a second run into
 * the same folder would remove the first one's files as leftovers. A lock
 * whose process is gone (killed) is taken over.
 */
export function lockSaveFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      process.on('exit', () => fs.rmSync(lock, { force: true }));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UserError(
          `--save ${dir}: could not take the folder: ${(error as Error).message}`,
        );
      }
    }
    const pid = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
    if (Number.isSafeInteger(pid) && pid > 0 && isRunning(pid)) {
      throw new UserError(
        `--save ${dir} is in use by another mnistlab train (process ${pid}); ` +
          'wait for it, or save elsewhere',
        USAGE_EXIT,
      );
    }
    fs.rmSync(lock, { force: true });
  }
  throw new UserError(`--save ${dir}: could not take the folder`);
}

// Flags that set up a run: a resumed run keeps its own.
const RUN_FLAGS = [
  'model',
  'layers',
  'optimizer',
  'lrSchedule',
  'epochs',
  'batchSize',
  'learningRate',
  'init',
  'dropout',
  'seed',
  'data',
  'validationSize',
  'kernels',
  'threads',
  'save',
];

/** The checkpoint `--resume dir` names, refusing flags that would change it. */
export function readResume(
  dir: string,
  command: Command,
): { checkpoint: Checkpoint; notes: RunNotes } {
  const given = RUN_FLAGS.filter(
    (flag) => command.getOptionValueSource(flag) === 'cli',
  );
  if (given.length > 0) {
    const flags = given.map(
      (flag) => `--${flag.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`,
    );
    throw new UserError(
      `--resume goes on with the run's own settings; drop ${flags.join(', ')}`,
      USAGE_EXIT,
    );
  }
  if (!fs.existsSync(dir)) {
    throw new UserError(`${dir}: no such folder, so no run to resume`);
  }
  const saved = loadCheckpoint(dir);
  if (saved === null) {
    throw new UserError(
      `${dir}: no checkpoint to resume (a run that ends removes its ` +
        'checkpoint; its model is in model.json)',
    );
  }
  const { model, dataDir, validationSize, kernels, threads } = saved.run;
  const fits =
    typeof model === 'string' &&
    typeof dataDir === 'string' &&
    Number.isSafeInteger(validationSize) &&
    (kernels === 'wasm' || kernels === 'cpu') &&
    (threads === null ||
      (Number.isSafeInteger(threads) &&
        (threads as number) >= 1 &&
        (threads as number) <= 256));
  if (!fits) {
    throw new UserError(
      `${dir}: the checkpoint does not say how its run was started`,
    );
  }
  return {
    checkpoint: saved.checkpoint,
    notes: saved.run as unknown as RunNotes,
  };
}
