// The TF.js peers: the bench's three configurations in TF.js on its cpu
// or wasm backend, trained as the PyTorch peer trains them (a fresh
// permutation each epoch, whole batches only). TF.js is a devDependency,
// loaded only here; tfjs-node, with its native binary, is left out.

import type * as tfjs from '@tensorflow/tfjs';
import { createRequire } from 'node:module';

import type { DataSet } from '../data/dataset.js';
import type { DataSets } from '../data/mnist.js';
import { CONFIG_SETTINGS, type BenchConfig } from './configs.js';
import { peakRssMb, type RunReport } from './report.js';

type Tf = typeof tfjs;
export type TfjsBackend = 'cpu' | 'wasm';

const TFJS = '@tensorflow/tfjs';
const WASM = '@tensorflow/tfjs-backend-wasm';

/**
 * Why the TF.js peer on `backend` cannot run here, or null if it can.
 * `resolve` finds a package (throwing if missing), for tests.
 */
export function tfjsMissing(
  backend: TfjsBackend,
  resolve: (id: string) => string = createRequire(import.meta.url).resolve,
): string | null {
  const needed = backend === 'wasm' ? [TFJS, WASM] : [TFJS];
  const missing = needed.filter((id) => {
    try {
      resolve(id);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return null;
  return (
    `expected ${missing.join(' and ')} installed but found ` +
    `${missing.length === 1 ? 'it' : 'them'} missing (devDependencies: ` +
    'npm install without --omit=dev)'
  );
}

async function loadTf(backend: TfjsBackend): Promise<Tf> {
  const tf: Tf = await import(TFJS);
  if (backend === 'wasm') await import(WASM);
  if (!(await tf.setBackend(backend))) {
    throw new Error(
      `expected the TF.js ${backend} backend to start but it did not`,
    );
  }
  // Checks off, and no advice to install tfjs-node on standard error.
  tf.enableProdMode();
  return tf;
}

/** The model's forward pass, images [n, 784] -> logits [n, 10]. */
type Forward = (images: tfjs.Tensor2D) => tfjs.Tensor2D;

function buildModel(tf: Tf, config: BenchConfig): Forward {
  if (config === 'softmax') {
    const weights = tf.variable(tf.randomNormal([784, 10]));
    const bias = tf.variable(tf.randomNormal([10]));
    return (images) => tf.add(tf.matMul(images, weights), bias);
  }
  const { layers } = tf;
  if (config === 'mlp') {
    const model = tf.sequential({
      layers: [
        layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
        layers.dense({ units: 256, activation: 'relu' }),
        layers.dense({ units: 10 }),
      ],
    });
    return (images) => model.apply(images) as tfjs.Tensor2D;
  }
  const conv = (filters: number) =>
    layers.conv2d({ filters, kernelSize: 3, padding: 'valid' });
  const model = tf.sequential({
    layers: [
      layers.inputLayer({ inputShape: [28, 28, 1] }),
      conv(8),
      layers.reLU(),
      layers.maxPooling2d({ poolSize: 2 }),
      conv(16),
      layers.reLU(),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 10 }),
    ],
  });
  return (images) =>
    model.apply(images.reshape([-1, 28, 28, 1])) as tfjs.Tensor2D;
}

/** A whole set as tensors: images [n, 784] in [0, 1], classes [n]. */
function tensorsOf(tf: Tf, set: DataSet) {
  const all = set.gather(0, set.numExamples);
  return {
    images: tf.tensor2d(all.images, [all.size, set.imageSize]),
    classes: tf.tensor1d(Int32Array.from(all.classes), 'int32'),
  };
}

/** Trains and tests `config` on TF.js; `data` from readBenchData. */
export async function runTfjs(
  backend: TfjsBackend,
  config: BenchConfig,
  data: DataSets,
): Promise<RunReport> {
  const tf = await loadTf(backend);
  const { epochs, batchSize, learningRate, optimizer } =
    CONFIG_SETTINGS[config];
  const train = tensorsOf(tf, data.train);
  const trainOneHot = tf.oneHot(train.classes, 10);
  const forward = buildModel(tf, config);
  const step =
    optimizer === 'sgd'
      ? tf.train.sgd(learningRate)
      : tf.train.adam(learningRate);
  const n = data.train.numExamples;

  const started = performance.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = Int32Array.from(tf.util.createShuffledIndices(n));
    for (let start = 0; start + batchSize <= n; start += batchSize) {
      tf.tidy(() => {
        const batch = tf.tensor1d(order.subarray(start, start + batchSize));
        const images = tf.gather(train.images, batch) as tfjs.Tensor2D;
        const oneHot = tf.gather(trainOneHot, batch);
        step.minimize(() =>
          tf.losses.softmaxCrossEntropy(oneHot, forward(images)),
        );
      });
    }
  }
  const trainSeconds = (performance.now() - started) / 1000;

  const test = tensorsOf(tf, data.test);
  const predicted = tf.tidy(() => forward(test.images).argMax(1));
  const correct = tf.tidy(() => predicted.equal(test.classes).sum());
  const testAccuracy = (await correct.data())[0] / data.test.numExamples;
  return {
    runner: `tfjs ${tf.version.tfjs} ${backend}`,
    trainSeconds,
    testAccuracy,
    inferSeconds: null,
    peakRssMb: peakRssMb(),
    threads: null,
  };
}
