// The checkpointing loop of `train --save`, on stand-in runs: checkpoints
// only of finite weights, the last good one kept when training diverges,
// and a signal turned into a checkpoint and a message.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { makeTempDir } from '../data/fixtures.js';
import { loadCheckpoint } from '../io/checkpoint-file.js';
import type { LoopPosition } from '../nn/loop.js';
import { TrainingDivergedError } from '../nn/diverged.js';
import { TrainingRun, type Checkpoint } from '../train/checkpoint.js';
import { Random } from '../util/random.js';
import { runWithCheckpoints, type CheckpointTarget } from './checkpointing.js';

/**
 * A run of `steps` steps whose weight is its step count, NaN from step
 * `nanFrom` on; step `divergeAt` throws as training does.
 */
function standIn(steps: number, nanFrom: number, divergeAt: number) {
  let weight = 0;
  function* loop(): Generator<LoopPosition<number>, string> {
    for (let step = 1; step <= steps; step++) {
      if (step === divergeAt)
        throw new TrainingDivergedError(1, step, NaN, 0.1);
      weight = step >= nanFrom ? NaN : step;
      yield { epoch: 1, step, lossSum: step, history: [] };
    }
    return 'done';
  }
  return new TrainingRun(
    loop(),
    (position) =>
      ({
        model: 'softmax',
        config: {
          epochs: 1,
          batchSize: 1,
          learningRate: 0.1,
          init: 'zeros',
          seed: 1,
        },
        position: position as LoopPosition<number>,
        tensors: [
          { name: 'weights', shape: [1], data: Float32Array.of(weight) },
        ],
        data: {
          order: Uint32Array.of(0),
          indexInEpoch: 0,
          epochsCompleted: 0,
          random: new Random(1).state(),
        },
        trainSeconds: 0,
      }) as Checkpoint,
    { epochs: 1, stepsPerEpoch: steps },
  );
}

function target(dir: string): CheckpointTarget {
  const notes = {
    model: 'softmax',
    dataDir: '/data',
    validationSize: 0,
    kernels: 'cpu' as const,
    threads: null,
  };
  return { dir, everySeconds: 0, notes };
}

describe('runWithCheckpoints', () => {
  it('keeps the last finite checkpoint when training diverges', async () => {
    const dir = makeTempDir();
    await assert.rejects(
      runWithCheckpoints(standIn(10, 6, 8), target(dir), 10),
      {
        message:
          'training diverged: the cost became NaN at epoch 1, step 8, with ' +
          'learning rate 0.1. Try a lower learning rate (the lab uses 0.1). ' +
          `The last good checkpoint, at epoch 1, step 5 of 10, is intact in ${dir} ` +
          '(resumed, it diverges again: its settings are kept).',
      },
    );
    const { checkpoint } = loadCheckpoint(dir)!;
    assert.equal(checkpoint.position.step, 5);
    assert.deepEqual(checkpoint.tensors[0].data, Float32Array.of(5));
  });

  it('checkpoints on SIGTERM and says how to go on', async () => {
    const dir = makeTempDir();
    const run = standIn(1e9, Infinity, Infinity);
    setTimeout(() => process.emit('SIGTERM', 'SIGTERM'), 20);
    await assert.rejects(runWithCheckpoints(run, target(dir), 10), (error) => {
      assert.match(
        (error as Error).message,
        new RegExp(
          String.raw`^interrupted \(SIGTERM\) at epoch 1, step (\d+) of 10; the ` +
            `run is saved in ${dir}: go on with mnistlab train --resume ${dir}$`,
        ),
      );
      assert.equal((error as { exitCode: number }).exitCode, 130);
      return true;
    });
    const { checkpoint } = loadCheckpoint(dir)!;
    assert.ok(checkpoint.position.step > 0);
    assert.equal(process.listenerCount('SIGTERM'), 0);
  });
});
