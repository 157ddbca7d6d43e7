// mnistlab export --format tfjs, loaded back by TF.js itself (a
// devDependency): the same digits, probabilities to float32 rounding, for
// every layer type TF.js has and for the lab's softmax model.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { makeTempDir } from '../data/fixtures.js';
import { loadModel, saveModel, type SavedModel } from '../io/model-file.js';
import { INITIALIZERS } from '../nn/initializers.js';
import { BatchNorm } from '../nn/layers.js';
import { Sequential } from '../nn/sequential.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import { parseLayers } from '../nn/spec.js';
import { pixelTensor } from '../tensor/creation.js';
import { restoreModel, savedLayers, savedSoftmax } from '../train/saved.js';
import { Random } from '../util/random.js';
import { mnistlab } from './run.test.helper.js';

const description = {
  training: {},
  history: { costs: [], validationAccuracy: [], testAccuracy: null },
};

function convModel(): SavedModel {
  const layers = parseLayers(
    'conv:4:3:1:same,relu,maxpool:2,batchnorm,conv:6:3:2:valid,tanh,' +
      'avgpool:2:1:same,flatten,dropout:0.1,dense:16,sigmoid,dense:10',
    { init: INITIALIZERS.xavier, dropout: 0.2 },
  );
  const model = new Sequential(layers, { inputShape: [28, 28, 1], seed: 4 });
  const norm = model.layers[3] as BatchNorm;
  norm.movingMean.fill(0.2);
  norm.movingVariance.fill(1.7);
  return savedLayers(model, description);
}

async function compare(saved: SavedModel): Promise<void> {
  const dir = makeTempDir();
  const model = path.join(dir, 'model');
  const out = path.join(dir, 'tfjs');
  saveModel(model, saved);
  const run = await mnistlab(
    'export',
    '--model',
    model,
    '--format',
    'tfjs',
    '--out',
    out,
  );
  assert.equal(run.code, 0, run.stderr);

  const json = JSON.parse(
    fs.readFileSync(path.join(out, 'model.json'), 'utf8'),
  );
  const [{ paths, weights }] = json.weightsManifest;
  const shard = fs.readFileSync(path.join(out, paths[0]));
  await tf.setBackend('cpu');
  const theirs = await tf.loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: weights,
      weightData: new Uint8Array(shard).buffer,
    }),
  });

  const random = new Random(8);
  const n = 20;
  const pixels = Uint8Array.from({ length: n * 784 }, () =>
    random.uniform() < 0.7 ? 0 : random.int(256),
  );
  const ours = restoreModel(saved).predict(pixelTensor(pixels, [n, 784])).data;
  const inputShape = theirs.inputs[0].shape.slice(1) as number[];
  const input = tf.tensor(
    Float32Array.from(pixels, (b) => b / 255),
    [n, ...inputShape],
  );
  const predicted = (theirs.predict(input) as tf.Tensor).dataSync();
  assert.equal(predicted.length, ours.length);
  for (let i = 0; i < ours.length; i++) {
    assert.ok(Math.abs(predicted[i] - ours[i]) < 1e-5, `probability ${i}`);
  }
  const digits = (p: ArrayLike<number>) =>
    Array.from({ length: n }, (_, row) => {
      let best = 0;
      for (let c = 1; c < 10; c++)
        if (p[row * 10 + c] > p[row * 10 + best]) best = c;
      return best;
    });
  assert.deepEqual(digits(predicted), digits(ours));
}

describe('mnistlab export --format tfjs', () => {
  it('will not write over a saved model', async () => {
    const model = path.join(makeTempDir(), 'model');
    saveModel(model, convModel());
    const run = await mnistlab('export', '--model', model, '--out', model);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /holds a mnistlab model, whose model\.json the export would replace/,
    );
    assert.doesNotThrow(() => restoreModel(loadModel(model)));
  });

  it('loads in TF.js and predicts as we do: conv, pools, batch norm, dropout, dense', () =>
    compare(convModel()));

  it('does the same for the lab softmax model', () =>
    compare(
      savedSoftmax(
        new SoftmaxRegression(784, 10, 'normal', new Random(2)),
        description,
      ),
    ));
});
