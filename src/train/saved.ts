// Trained models to and from their saved form (io/model-file.ts): the lab's
// softmax regression and any Sequential stack, weights and running
// statistics included, so that a loaded model predicts exactly as the one
// saved.

import type { ModelDescription, SavedModel } from '../io/model-format.js';
import { zeros, type Initializer } from '../nn/initializers.js';
import { BatchNorm } from '../nn/layers.js';
import { Sequential } from '../nn/sequential.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import { parseLayers } from '../nn/spec.js';
import { noGrad, type Tensor } from '../tensor/tensor.js';
import { UserError } from '../util/errors.js';
import { Random } from '../util/random.js';

/** A model ready to predict: class probabilities [n, classes] of images. */
export interface LoadedModel {
  description: ModelDescription;
  model: SoftmaxRegression | Sequential;
  predict(images: Tensor): Tensor;
}

type Description = Omit<ModelDescription, 'kind' | 'layers' | 'inputShape'>;

/** The lab's model as it is saved. */
export function savedSoftmax(
  model: SoftmaxRegression,
  description: Description,
): SavedModel {
  const [inputs] = model.weights.shape;
  return {
    kind: 'softmax',
    layers: null,
    inputShape: [inputs],
    ...description,
    tensors: softmaxTensors(model),
  };
}

/** A layer model as it is saved. */
export function savedLayers(
  model: Sequential,
  description: Description,
): SavedModel {
  return {
    kind: 'layers',
    layers: model.layers.map((layer) => layer.spec).join(','),
    inputShape: [...model.inputShape],
    ...description,
    tensors: layerTensors(model),
  };
}

/** Rebuilds a saved model with its weights. */
export function restoreModel(saved: SavedModel): LoadedModel {
  const { tensors, ...description } = saved;
  // The weights the file holds bound what the layers may make, so that a
  // model.json edited to huge layers is refused before it allocates: twice
  // as many, and a million, so that an edit of a few units gets the finer
  // message of assignTensors() below.
  const held = tensors.reduce((sum, t) => sum + t.data.length, 0);
  let budget = 2 * held + 2 ** 20;
  const spend = (shape: readonly number[]) => {
    budget -= shape.reduce((a, b) => a * b, 1);
    if (budget < 0) {
      throw new UserError(
        "the saved model's layers need more weights than its weights " +
          'file holds',
      );
    }
  };
  if (saved.kind === 'softmax') {
    if (saved.inputShape.length !== 1) {
      throw new UserError(
        "expected the saved softmax model's inputShape to be [inputs] but " +
          `found [${saved.inputShape.join(', ')}]`,
      );
    }
    const [inputs] = saved.inputShape;
    const classes = tensors[1]?.shape[0] ?? 0;
    spend([inputs, classes]);
    const model = new SoftmaxRegression(
      inputs,
      classes,
      'zeros',
      new Random(0),
    );
    assignTensors(softmaxTensors(model), tensors);
    return {
      description,
      model,
      predict: (images) => noGrad(() => model.probs(images)),
    };
  }
  let model: Sequential;
  try {
    const init: Initializer = (shape, random) => {
      spend(shape);
      return zeros(shape, random);
    };
    const layers = parseLayers(saved.layers ?? '', { init, dropout: 0 });
    // A batch norm makes its four arrays of features with no initializer.
    for (const layer of layers) {
      if (!(layer instanceof BatchNorm)) continue;
      const build = layer.build.bind(layer);
      layer.build = (shape) => {
        spend([4, shape[shape.length - 1] ?? 1]);
        return build(shape);
      };
    }
    model = new Sequential(layers, { inputShape: saved.inputShape });
  } catch (error) {
    // Over the budget: said as it is, not as layers that do not build.
    if (budget < 0) throw error;
    throw new UserError(
      `the saved model's layers '${saved.layers}' do not build: ` +
        (error as Error).message,
    );
  }
  assignTensors(layerTensors(model), tensors);
  return { description, model, predict: (images) => model.predict(images) };
}

/** A model's tensors as its saved form names them, by reference. */
export function modelTensors(
  model: SoftmaxRegression | Sequential,
): SavedModel['tensors'] {
  return model instanceof Sequential
    ? layerTensors(model)
    : softmaxTensors(model);
}

/** Copies of `tensors`' values, for a checkpoint that outlives them. */
export function copyTensors(
  tensors: SavedModel['tensors'],
): SavedModel['tensors'] {
  return tensors.map(({ name, shape, data }) => ({
    name,
    shape: [...shape],
    data: Float32Array.from(data),
  }));
}

/**
 * Refuses a model that does not read rows x cols images into `classes`
 * classes: one saved for other data, or whose model.json was edited.
 * `where` names it in the message (--model DIR).
 */
export function checkModelFits(
  loaded: LoadedModel,
  shape: { rows: number; cols: number; classes: number },
  where: string,
): void {
  const { rows, cols, classes } = shape;
  const { inputShape } = loaded.description;
  const inputs = inputShape.reduce((a, b) => a * b, 1);
  const { model } = loaded;
  const outputs =
    model instanceof Sequential ? model.outputShape[0] : model.bias.shape[0];
  if (inputs !== rows * cols || outputs !== classes) {
    throw new UserError(
      `${where}: expected a model of ${rows * cols} inputs (${rows}x${cols} ` +
        `images) and ${classes} outputs but found inputShape ` +
        `[${inputShape.join(', ')}] and ${outputs} outputs`,
    );
  }
}

/** The softmax model's weights and bias, by reference. */
function softmaxTensors(model: SoftmaxRegression): SavedModel['tensors'] {
  const { weights, bias } = model;
  return [
    { name: 'weights', shape: [...weights.shape], data: weights.data },
    { name: 'bias', shape: [...bias.shape], data: bias.data },
  ];
}

/** Each layer's variables, then a batch norm's running statistics. */
function layerTensors(model: Sequential): SavedModel['tensors'] {
  return model.layers.flatMap((layer, i) => {
    const name = (part: string) => `${i + 1}:${layer.spec}:${part}`;
    const own = layer.variables.map((v, j) => ({
      name: name(`variable${j}`),
      shape: [...v.shape],
      data: v.data,
    }));
    if (!(layer instanceof BatchNorm)) return own;
    const features = layer.movingMean.length;
    return [
      ...own,
      { name: name('movingMean'), shape: [features], data: layer.movingMean },
      {
        name: name('movingVariance'),
        shape: [features],
        data: layer.movingVariance,
      },
    ];
  });
}

/** Copies `from` into `to`, which must match it name for name. */
export function assignTensors(
  to: SavedModel['tensors'],
  from: SavedModel['tensors'],
): void {
  if (to.length !== from.length) {
    throw new UserError(
      `the saved model has ${from.length} tensors but its layers take ` +
        to.length,
    );
  }
  to.forEach((target, i) => {
    const source = from[i];
    const same =
      source.name === target.name &&
      source.shape.length === target.shape.length &&
      source.shape.every((dim, d) => dim === target.shape[d]);
    if (!same) {
      throw new UserError(
        `the saved model's tensor ${i + 1} is ${source.name} ` +
          `[${source.shape.join(', ')}] but its layers take ${target.name} ` +
          `[${target.shape.join(', ')}]`,
      );
    }
    target.data.set(source.data);
  });
}
