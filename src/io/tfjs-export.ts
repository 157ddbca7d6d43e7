// A saved model in TF.js's layers format: model.json (a Keras Sequential
// topology and a weights manifest) and one binary shard of float32
// little-endian weights, which `tf.loadLayersModel` loads. Our layouts are
// TF's: dense kernels [in, out], conv kernels [kh, kw, in, out], NHWC.

import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  Activation,
  BatchNorm,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  Pool2D,
  type Layer,
} from '../nn/layers.js';
import { Sequential } from '../nn/sequential.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import type { LoadedModel } from '../train/saved.js';
import { UserError } from '../util/errors.js';

const SHARD = 'group1-shard1of1.bin';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** model.json's content and the shard's bytes for `loaded`. */
export function tfjsModel(
  loaded: LoadedModel,
  generatedBy: string,
): { modelJson: Record<string, unknown>; shard: Buffer } {
  const { model } = loaded;
  const layers: Record<string, unknown>[] = [];
  const specs: WeightSpec[] = [];
  const arrays: Float32Array[] = [];
  const counts = new Map<string, number>();
  const nameOf = (kind: string) => {
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    return `${kind}_${n}`;
  };
  const weight = (
    layer: string,
    part: string,
    data: Float32Array,
    shape: readonly number[],
  ) => {
    specs.push({
      name: `${layer}/${part}`,
      shape: [...shape],
      dtype: 'float32',
    });
    arrays.push(data);
  };

  if (model instanceof SoftmaxRegression) {
    const name = nameOf('dense');
    const [inputs, classes] = model.weights.shape;
    layers.push({
      class_name: 'Dense',
      config: {
        ...weightedConfig(name, 'softmax'),
        units: classes,
        batch_input_shape: [null, inputs],
      },
    });
    weight(name, 'kernel', model.weights.data, model.weights.shape);
    weight(name, 'bias', model.bias.data, model.bias.shape);
  } else {
    const sequential = model as Sequential;
    sequential.layers.forEach((layer, i) => {
      const entry = keras(layer, nameOf, weight);
      if (i === 0) {
        (entry.config as Record<string, unknown>).batch_input_shape = [
          null,
          ...sequential.inputShape,
        ];
      }
      layers.push(entry);
    });
    // Probabilities out, as our predict gives them, where the stack ends
    // in logits (the loss applied the softmax).
    const last = sequential.layers[sequential.layers.length - 1];
    if (!(last instanceof Activation && last.spec === 'softmax')) {
      layers.push(activationEntry(nameOf('activation'), 'softmax'));
    }
  }

  const total = arrays.reduce((sum, a) => sum + a.length, 0);
  const shard = Buffer.alloc(total * 4);
  let offset = 0;
  for (const data of arrays) {
    for (let i = 0; i < data.length; i++, offset += 4) {
      shard.writeFloatLE(data[i], offset);
    }
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy,
      convertedBy: null,
      modelTopology: {
        class_name: 'Sequential',
        config: { name: 'sequential_1', layers },
        keras_version: 'tfjs-layers 4.22.0',
        backend: 'tensor_flow.js',
      },
      weightsManifest: [{ paths: [SHARD], weights: specs }],
    },
    shard,
  };
}

/** Writes model.json and the shard into `dir` (made if missing). */
export function writeTfjsModel(
  dir: string,
  loaded: LoadedModel,
  generatedBy: string,
): void {
  const { modelJson, shard } = tfjsModel(loaded, generatedBy);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, SHARD), shard);
  fs.writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify(modelJson, null, 2) + '\n',
  );
}

function activationEntry(name: string, activation: string) {
  return {
    class_name: 'Activation',
    config: { name, trainable: true, dtype: 'float32', activation },
  };
}

/** What Dense and Conv2D configs share; units is Dense's. */
function weightedConfig(name: string, activation: string) {
  return {
    name,
    trainable: true,
    dtype: 'float32',
    activation,
    use_bias: true,
    kernel_initializer: { class_name: 'Zeros', config: {} },
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

/** One of our layers as a Keras layer entry, its weights recorded. */
function keras(
  layer: Layer,
  nameOf: (kind: string) => string,
  weight: (
    layer: string,
    part: string,
    data: Float32Array,
    shape: readonly number[],
  ) => void,
): Record<string, unknown> {
  if (layer instanceof Dense) {
    const name = nameOf('dense');
    const { weights, bias } = layer;
    weight(name, 'kernel', weights!.data, weights!.shape);
    weight(name, 'bias', bias!.data, bias!.shape);
    return {
      class_name: 'Dense',
      config: { ...weightedConfig(name, 'linear'), units: bias!.size },
    };
  }
  if (layer instanceof Conv2D) {
    const name = nameOf('conv2d');
    const { kernel, bias } = layer;
    weight(name, 'kernel', kernel!.data, kernel!.shape);
    weight(name, 'bias', bias!.data, bias!.shape);
    const { strides = 1, padding = 'same' } = layer.options;
    const k = layer.kernelSize;
    return {
      class_name: 'Conv2D',
      config: {
        ...weightedConfig(name, 'linear'),
        filters: layer.filters,
        kernel_size: [k, k],
        strides: [strides, strides],
        padding,
        data_format: 'channels_last',
        dilation_rate: [1, 1],
      },
    };
  }
  if (layer instanceof Pool2D) {
    const kind = layer.kind === 'max' ? 'max_pooling2d' : 'average_pooling2d';
    const { strides = layer.size, padding = 'valid' } = layer.options;
    return {
      class_name: layer.kind === 'max' ? 'MaxPooling2D' : 'AveragePooling2D',
      config: {
        name: nameOf(kind),
        trainable: true,
        dtype: 'float32',
        pool_size: [layer.size, layer.size],
        strides: [strides, strides],
        padding,
        data_format: 'channels_last',
      },
    };
  }
  if (layer instanceof Flatten) {
    return {
      class_name: 'Flatten',
      config: { name: nameOf('flatten'), trainable: true, dtype: 'float32' },
    };
  }
  if (layer instanceof Activation) {
    return activationEntry(nameOf('activation'), layer.spec);
  }
  if (layer instanceof Dropout) {
    return {
      class_name: 'Dropout',
      config: {
        name: nameOf('dropout'),
        trainable: true,
        dtype: 'float32',
        rate: layer.rate,
      },
    };
  }
  if (layer instanceof BatchNorm) {
    const name = nameOf('batch_normalization');
    const { gamma, beta } = layer;
    weight(name, 'gamma', gamma!.data, gamma!.shape);
    weight(name, 'beta', beta!.data, beta!.shape);
    const features = [layer.movingMean.length];
    weight(name, 'moving_mean', layer.movingMean, features);
    weight(name, 'moving_variance', layer.movingVariance, features);
    return {
      class_name: 'BatchNormalization',
      config: {
        name,
        trainable: true,
        dtype: 'float32',
        axis: -1,
        momentum: layer.momentum,
        epsilon: layer.epsilon,
        center: true,
        scale: true,
      },
    };
  }
  throw new UserError(`export: no TF.js layer for ${layer.spec}`);
}
