// mnistlab's library: MNIST data, the tensor engine, models, training.
// The command line (src/cli) is a thin client of what is exported here.

import { setKernels } from './tensor/kernels/index.js';
import { nodeWasmKernels } from './tensor/kernels/node.js';

// In Node the library runs on the WebAssembly kernels, one thread per core;
// setKernels(cpuKernels) or setKernels(nodeWasmKernels(1)) changes that.
setKernels(nodeWasmKernels());

export { nodeWasmKernels };
export * from './data/index.js';
export * from './tensor/index.js';
export * from './nn/optimizers.js';
export * from './nn/schedules.js';
export * as initializers from './nn/initializers.js';
export * from './nn/layers.js';
export * from './nn/sequential.js';
export { parseLayers, LAYER_GRAMMAR } from './nn/spec.js';
export { TrainingDivergedError } from './nn/diverged.js';
export {
  SoftmaxRegression,
  type SoftmaxInit,
} from './nn/softmax-regression.js';
export * from './train/lab.js';
export * from './train/networks.js';
export * from './train/metrics.js';
export { TrainingRun, type Checkpoint } from './train/checkpoint.js';
export type { LoopPosition } from './nn/loop.js';
export {
  loadCheckpoint,
  removeCheckpoint,
  saveCheckpoint,
  type SavedCheckpoint,
} from './io/checkpoint-file.js';
export { digitArt } from './io/digit-art.js';
export { readImageFile } from './io/image-file.js';
export { DIGIT_SIDE, prepareDigit, type RgbaImage } from './data/prepare.js';
export {
  loadModel,
  saveModel,
  MODEL_FORMAT_VERSION,
  type ModelDescription,
  type NamedTensor,
  type SavedModel,
} from './io/model-file.js';
export {
  restoreModel,
  savedLayers,
  savedSoftmax,
  type LoadedModel,
} from './train/saved.js';
export { digitPng, writeDigitPng } from './io/png.js';
export { Random, type RandomState } from './util/random.js';
export { UserError } from './util/errors.js';
export { float32ToString } from './util/format.js';
