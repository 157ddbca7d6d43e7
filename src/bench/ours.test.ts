import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { INITIALIZERS } from '../nn/initializers.js';
import { Sequential } from '../nn/sequential.js';
import { parseLayers } from '../nn/spec.js';
import { LAB_DEFAULTS } from '../train/lab.js';
import { CONFIG_SETTINGS } from './configs.js';
import { networkConfig } from './ours.js';

describe('our side of the bench', () => {
  it("trains softmax with the lab's settings, the peer's", () => {
    const { epochs, batchSize, learningRate } = CONFIG_SETTINGS.softmax;
    assert.deepEqual(
      { epochs, batchSize, learningRate, init: 'normal' },
      {
        epochs: LAB_DEFAULTS.epochs,
        batchSize: LAB_DEFAULTS.batchSize,
        learningRate: LAB_DEFAULTS.learningRate,
        init: LAB_DEFAULTS.init,
      },
    );
  });

  it('builds the MLP as 784-256-256-10 with Adam 0.001, one epoch', () => {
    const config = networkConfig('mlp');
    assert.equal(config.optimizer, 'adam');
    assert.equal(config.learningRate, 0.001);
    assert.equal(config.epochs, 1);
    assert.equal(config.batchSize, 100);
    assert.equal(config.schedule, 'constant');
    const layers = parseLayers(config.layers, {
      init: INITIALIZERS[config.init],
      dropout: config.dropout,
    });
    const model = new Sequential(layers, { inputShape: [784] });
    assert.deepEqual(model.shapes, [[256], [256], [256], [256], [10]]);
  });

  it("builds the CNN with valid padding to the peer's 400 features", () => {
    const config = networkConfig('cnn');
    assert.equal(config.batchSize, 64);
    const layers = parseLayers(config.layers, {
      init: INITIALIZERS[config.init],
      dropout: config.dropout,
    });
    const model = new Sequential(layers, { inputShape: [28, 28, 1] });
    assert.deepEqual(model.shapes, [
      [26, 26, 8],
      [26, 26, 8],
      [13, 13, 8],
      [11, 11, 16],
      [11, 11, 16],
      [5, 5, 16],
      [400],
      [10],
    ]);
  });
});
