// Runs checkpointed after any step, written to disk, read back and taken
// up on freshly read data end exactly as the whole run: the lab, and layer
// models under every optimizer, with dropout and batch norm.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { makeTempDir, writeMnistSubset } from '../data/fixtures.js';
import { readDataSets } from '../data/mnist.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint-file.js';
import { Random } from '../util/random.js';
import type { TrainingRun } from './checkpoint.js';
import { LAB_DEFAULTS, labRun } from './lab.js';
import { networkRun, OPTIMIZERS, type NetworkConfig } from './networks.js';
import { modelTensors } from './saved.js';

// 500 digits to train on, 5 steps of 100 an epoch.
const dir = writeMnistSubset({ train: 1000, test: 200 });
const data = () => readDataSets(dir, { oneHot: true, validationSize: 500 });
const random = new Random(7);

/** Steps `run` `steps` times, then saves and loads its checkpoint. */
function checkpointAfter(run: TrainingRun<unknown>, steps: number) {
  for (let i = 0; i < steps; i++) run.step();
  const folder = makeTempDir();
  saveCheckpoint(folder, run.checkpoint(), { note: 'kept' });
  const saved = loadCheckpoint(folder)!;
  assert.deepEqual(saved.run, { note: 'kept' });
  return saved.checkpoint;
}

describe('checkpoints', () => {
  it("resume the lab's run to the same costs, accuracy and weights", () => {
    const config = { ...LAB_DEFAULTS, epochs: 3, batchSize: 100 };
    const whole = labRun(data(), config).finish();
    for (const steps of [1, 5, 7, 14, 15]) {
      const checkpoint = checkpointAfter(labRun(data(), config), steps);
      const resumed = labRun(data(), config, {}, checkpoint).finish();
      assert.deepEqual(resumed.costs, whole.costs, `after ${steps} steps`);
      assert.equal(resumed.testAccuracy, whole.testAccuracy);
      assert.deepEqual(resumed.sample.index, whole.sample.index);
      assert.deepEqual(modelTensors(resumed.model), modelTensors(whole.model));
    }
  });

  for (const optimizer of OPTIMIZERS) {
    it(`resume a layer model under ${optimizer} to the same end`, () => {
      const config: NetworkConfig = {
        layers: 'dense:16,batchnorm,relu,dropout,dense:10',
        epochs: 3,
        batchSize: 100,
        learningRate: optimizer === 'sgd' ? 0.1 : 0.01,
        optimizer,
        schedule: 'cosine',
        init: 'xavier',
        dropout: 0.3,
        seed: 5,
      };
      const whole = networkRun(data(), config).finish();
      const steps = 1 + random.int(14);
      const checkpoint = checkpointAfter(networkRun(data(), config), steps);
      const resumed = networkRun(data(), config, {}, checkpoint).finish();
      assert.deepEqual(resumed.history, whole.history, `after ${steps} steps`);
      assert.deepEqual(resumed.testPredicted, whole.testPredicted);
      assert.deepEqual(modelTensors(resumed.model), modelTensors(whole.model));
    });
  }

  it('of one model are refused by another', () => {
    const config = { ...LAB_DEFAULTS, epochs: 1 };
    const checkpoint = checkpointAfter(labRun(data(), config), 2);
    assert.throws(
      () =>
        networkRun(
          data(),
          { ...config, layers: 'dense:10' } as never,
          {},
          checkpoint,
        ),
      /networkRun: expected a checkpoint of a layer model but found one of the lab's/,
    );
    const saved = { checkpoint, run: {} };
    assert.throws(
      () => labRun(data(), config, {}, saved as never),
      /found what loadCheckpoint returns: pass its .checkpoint/,
    );
    const later = {
      ...checkpoint,
      position: { ...checkpoint.position, epoch: 2 },
    };
    assert.throws(
      () => labRun(data(), config, {}, later as never).finish(),
      /labRun: expected a place in 1 epochs of 5 steps but found epoch 2, step 2/,
    );
  });
});
