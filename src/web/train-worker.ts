// A worker thread of `mnistlab serve`: trains one model for the page, or
// finds the test digits a loaded model misreads, so that the server's own
// thread stays free to answer. It reads the data itself and posts what it
// has to the server (WorkerMessage); a shared flag asks it to stop.

import { parentPort, workerData } from 'node:worker_threads';

import { readDataSets } from '../data/mnist.js';
import { stepsPerEpochOf } from '../nn/loop.js';
import type { SavedModel } from '../io/model-format.js';
import { setKernels } from '../tensor/kernels/index.js';
import { nodeWasmKernels } from '../tensor/kernels/node.js';
import { predictClasses } from '../train/metrics.js';
import { NETWORK_PRESETS, trainNetwork } from '../train/networks.js';
import { restoreModel, savedLayers } from '../train/saved.js';
import type { RunEvent, TrainRequest } from './protocol.js';

/** What the server hands a worker. */
export type WorkerJob =
  | { kind: 'train'; run: number; request: TrainRequest; dataDir: string }
  | { kind: 'mistakes'; model: SavedModel; dataDir: string };

export interface WorkerData {
  job: WorkerJob;
  /** [0] becomes 1 when the server asks the run to stop. */
  stop: Int32Array;
}

/** The test digits a model misreads, in file order. */
export interface Misreads {
  indices: Uint32Array;
  labels: Uint8Array;
  predictions: Uint8Array;
  /** [indices.length, 784] bytes. */
  pixels: Uint8Array;
}

export type WorkerMessage =
  | { kind: 'event'; event: RunEvent }
  | {
      kind: 'model';
      model: SavedModel;
      misreads: Misreads;
      /** Stopped before its first epoch ended. */
      early: boolean;
    }
  | { kind: 'misreads'; misreads: Misreads }
  | { kind: 'error'; message: string };

// Progress events: up to this many an epoch, none closer than the first
// interval, none further apart than the second.
const PROGRESS_PER_EPOCH = 50;
const PROGRESS_MIN_MS = 20;
const PROGRESS_MAX_MS = 1000;

/** The --layers spec of each model the page can train. */
const LAYERS = {
  softmax: 'dense:10',
  mlp: NETWORK_PRESETS.mlp.layers,
  cnn: NETWORK_PRESETS.cnn.layers,
};

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

function misreadsOf(
  predicted: Uint8Array,
  labels: Uint8Array,
  images: Uint8Array,
  imageSize: number,
): Misreads {
  const wrong: number[] = [];
  predicted.forEach((p, i) => p !== labels[i] && wrong.push(i));
  const pixels = new Uint8Array(wrong.length * imageSize);
  wrong.forEach((i, k) =>
    pixels.set(
      images.subarray(i * imageSize, (i + 1) * imageSize),
      k * imageSize,
    ),
  );
  return {
    indices: Uint32Array.from(wrong),
    labels: Uint8Array.from(wrong, (i) => labels[i]),
    predictions: Uint8Array.from(wrong, (i) => predicted[i]),
    pixels,
  };
}

function train(
  run: number,
  request: TrainRequest,
  dataDir: string,
  stop: Int32Array,
) {
  const data = readDataSets(dataDir, { oneHot: true });
  const softmax = request.model === 'softmax';
  const preset = NETWORK_PRESETS[request.model === 'cnn' ? 'cnn' : 'mlp'];
  const config = {
    ...preset,
    layers: LAYERS[request.model],
    learningRate: request.learningRate,
    epochs: request.epochs,
    batchSize: request.batchSize,
    optimizer: request.optimizer,
    // The lab starts its weights from N(0, 1).
    init: softmax ? 'normal' : preset.init,
    schedule: softmax ? ('constant' as const) : preset.schedule,
  };
  const { batchSize } = request;
  const stepsPerEpoch = stepsPerEpochOf(data.train.numExamples, batchSize);
  post({
    kind: 'event',
    event: { type: 'start', run, request, stepsPerEpoch },
  });

  // Progress: the mean loss and the speed of the steps since the last.
  const every = Math.ceil(stepsPerEpoch / PROGRESS_PER_EPOCH);
  let since = performance.now();
  let steps = 0;
  let lossSum = 0;
  let first = true;
  const started = performance.now();
  const result = trainNetwork(data, config, {
    onStep: ({ epoch, step, loss }) => {
      steps++;
      lossSum += loss;
      const now = performance.now();
      const due =
        (steps >= every && now - since >= PROGRESS_MIN_MS) ||
        now - since >= PROGRESS_MAX_MS;
      if (!first && !due) return;
      const event: RunEvent = {
        type: 'progress',
        run,
        epoch: epoch - 1 + step / stepsPerEpoch,
        loss: lossSum / steps,
        examplesPerSecond: (steps * batchSize * 1000) / (now - since),
      };
      post({ kind: 'event', event });
      first = false;
      since = now;
      steps = 0;
      lossSum = 0;
    },
    onEpochEnd: ({ epoch, loss, validationAccuracy }) => {
      const event: RunEvent = {
        type: 'epoch',
        run,
        epoch,
        loss,
        validationAccuracy,
      };
      post({ kind: 'event', event });
    },
    shouldStop: () => Atomics.load(stop, 0) !== 0,
  });
  const seconds = (performance.now() - started) / 1000;

  const { model, history, testAccuracy, testPredicted, stopped } = result;
  const saved = savedLayers(model, {
    training: { ...config, model: request.model },
    history: {
      costs: history.map((report) => report.loss),
      validationAccuracy: history.map((report) => report.validationAccuracy),
      testAccuracy,
    },
  });
  const { test } = data;
  const misreads = misreadsOf(
    testPredicted,
    test.labels,
    test.images,
    test.imageSize,
  );
  const early = stopped && history.length === 0;
  post({ kind: 'model', model: saved, misreads, early });
  // The server says whether it kept the model.
  const event: RunEvent = {
    type: 'done',
    run,
    testAccuracy,
    stopped,
    kept: true,
    seconds,
  };
  post({ kind: 'event', event });
}

function findMisreads(saved: SavedModel, dataDir: string): void {
  const { test } = readDataSets(dataDir);
  const loaded = restoreModel(saved);
  const predicted = predictClasses((images) => loaded.predict(images), test);
  post({
    kind: 'misreads',
    misreads: misreadsOf(predicted, test.labels, test.images, test.imageSize),
  });
}

function main(): void {
  const { job, stop } = workerData as WorkerData;
  setKernels(nodeWasmKernels());
  try {
    if (job.kind === 'train') train(job.run, job.request, job.dataDir, stop);
    else findMisreads(job.model, job.dataDir);
  } catch (error) {
    post({ kind: 'error', message: (error as Error).message });
  }
}

main();
