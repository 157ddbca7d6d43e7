// Layers for Sequential models: each builds its weights for an input shape
// and maps a batch forward; gradients come from the ops it is made of.
// Shapes exclude the batch axis; images are NHWC, as in TensorFlow.

import { tensor, variable } from '../tensor/creation.js';
import { floats } from '../tensor/kernels/workspace.js';
import {
  add,
  avgPool2d,
  conv2d,
  div,
  matMul,
  maxPool2d,
  mean,
  mul,
  relu,
  reshape,
  sigmoid,
  softmax,
  sqrt,
  sub,
  tanh,
} from '../tensor/index.js';
import {
  formatShape,
  sizeOf,
  windowGeometry,
  type Padding,
  type Shape,
} from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Random } from '../util/random.js';
import { glorotUniform, zeros, type Initializer } from './initializers.js';

export type { Padding };

/** What a layer's forward pass may use besides its input. */
export interface ForwardContext {
  /** True while fitting: dropout drops, batch norm uses batch statistics. */
  training: boolean;
  random: Random;
}

export interface Layer {
  /** The layer as written in a --layers spec, e.g. `dense:10`. */
  readonly spec: string;
  /** Makes the weights for `inputShape`; returns the output shape. */
  build(inputShape: Shape, random: Random): Shape;
  /** x is [batch, ...inputShape]. */
  forward(x: Tensor, context: ForwardContext): Tensor;
  /** The variables an optimizer trains. */
  readonly variables: readonly Tensor[];
}

function checkPositiveInt(layer: string, name: string, value: number) {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `${layer}: expected ${name} to be a positive integer but found ${value}`,
    );
  }
}

function unbuilt(layer: string): never {
  throw new Error(`${layer}: forward before build`);
}

/** x · W + b over the last axis of a [batch, features] input. */
export class Dense implements Layer {
  weights: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(
    readonly units: number,
    private readonly init: Initializer = glorotUniform,
  ) {
    checkPositiveInt('dense', 'units', units);
  }

  get spec(): string {
    return `dense:${this.units}`;
  }

  build(inputShape: Shape, random: Random): Shape {
    if (inputShape.length !== 1) {
      throw new Error(
        `dense: expected a flat input but found ${formatShape(inputShape)}; ` +
          'add flatten before it',
      );
    }
    this.weights = variable(this.init([inputShape[0], this.units], random));
    this.bias = variable(zeros([this.units], random));
    return [this.units];
  }

  forward(x: Tensor): Tensor {
    if (this.weights === null || this.bias === null) unbuilt(this.spec);
    return add(matMul(x, this.weights), this.bias);
  }

  get variables(): Tensor[] {
    return this.weights && this.bias ? [this.weights, this.bias] : [];
  }
}

/** 2-D convolution of NHWC images with `filters` kernels and a bias. */
export class Conv2D implements Layer {
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(
    readonly filters: number,
    readonly kernelSize: number,
    readonly options: {
      strides?: number;
      padding?: Padding;
      init?: Initializer;
    } = {},
  ) {
    checkPositiveInt('conv', 'filters', filters);
    checkPositiveInt('conv', 'kernelSize', kernelSize);
    checkPositiveInt('conv', 'strides', options.strides ?? 1);
  }

  get spec(): string {
    const { strides = 1, padding = 'same' } = this.options;
    return `conv:${this.filters}:${this.kernelSize}:${strides}:${padding}`;
  }

  build(inputShape: Shape, random: Random): Shape {
    if (inputShape.length !== 3) {
      throw new Error(
        `conv: expected [height, width, channels] images but found ` +
          formatShape(inputShape),
      );
    }
    const channels = inputShape[2];
    const {
      strides = 1,
      padding = 'same',
      init = glorotUniform,
    } = this.options;
    const k = this.kernelSize;
    this.kernel = variable(init([k, k, channels, this.filters], random));
    this.bias = variable(zeros([this.filters], random));
    const [outHeight, outWidth] = slidOver(
      'conv',
      inputShape,
      k,
      strides,
      padding,
    );
    return [outHeight, outWidth, this.filters];
  }

  forward(x: Tensor): Tensor {
    if (this.kernel === null || this.bias === null) unbuilt(this.spec);
    const { strides = 1, padding = 'same' } = this.options;
    return conv2d(x, this.kernel, { strides, padding, bias: this.bias });
  }

  get variables(): Tensor[] {
    return this.kernel && this.bias ? [this.kernel, this.bias] : [];
  }
}

/** [height, width] after a window slides over images of `inputShape`. */
function slidOver(
  op: string,
  inputShape: Shape,
  window: number,
  strides: number,
  padding: Padding,
): [number, number] {
  const [h, w, channels] = inputShape;
  const geometry = windowGeometry(
    op,
    [1, h, w, channels],
    [window, window],
    strides,
    padding,
  );
  return [geometry.outHeight, geometry.outWidth];
}

/** Max or average pooling over size x size windows of NHWC images. */
export class Pool2D implements Layer {
  readonly variables: readonly Tensor[] = [];

  constructor(
    readonly kind: 'max' | 'avg',
    readonly size: number,
    readonly options: { strides?: number; padding?: Padding } = {},
  ) {
    if (kind !== 'max' && kind !== 'avg') {
      throw new RangeError(`pool: expected 'max' or 'avg' but found ${kind}`);
    }
    checkPositiveInt(`${kind}pool`, 'size', size);
    checkPositiveInt(`${kind}pool`, 'strides', options.strides ?? size);
  }

  get spec(): string {
    const { strides = this.size, padding = 'valid' } = this.options;
    return `${this.kind}pool:${this.size}:${strides}:${padding}`;
  }

  build(inputShape: Shape): Shape {
    if (inputShape.length !== 3) {
      throw new Error(
        `${this.kind}pool: expected [height, width, channels] images but ` +
          `found ${formatShape(inputShape)}`,
      );
    }
    const { strides = this.size, padding = 'valid' } = this.options;
    const [outHeight, outWidth] = slidOver(
      `${this.kind}pool`,
      inputShape,
      this.size,
      strides,
      padding,
    );
    return [outHeight, outWidth, inputShape[2]];
  }

  forward(x: Tensor): Tensor {
    const { strides = this.size, padding = 'valid' } = this.options;
    const pool = this.kind === 'max' ? maxPool2d : avgPool2d;
    return pool(x, { size: this.size, strides, padding });
  }
}

/** [batch, ...shape] to [batch, size of shape]. */
export class Flatten implements Layer {
  readonly spec = 'flatten';
  readonly variables: readonly Tensor[] = [];
  private size = 0;

  build(inputShape: Shape): Shape {
    this.size = sizeOf(inputShape);
    return [this.size];
  }

  forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], this.size]);
  }
}

const ACTIVATIONS = { relu, sigmoid, tanh, softmax: (x: Tensor) => softmax(x) };

/** An elementwise activation, or softmax over the last axis. */
export class Activation implements Layer {
  readonly variables: readonly Tensor[] = [];

  constructor(readonly spec: keyof typeof ACTIVATIONS) {
    if (!Object.hasOwn(ACTIVATIONS, spec)) {
      throw new RangeError(
        `activation: expected one of ${Object.keys(ACTIVATIONS).join(', ')} ` +
          `but found ${spec}`,
      );
    }
  }

  build(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: Tensor): Tensor {
    return ACTIVATIONS[this.spec](x);
  }
}

/**
 * Inverted dropout: while training, zeroes each value with probability
 * `rate` and scales the rest by 1 / (1 - rate); the identity otherwise.
 */
export class Dropout implements Layer {
  readonly variables: readonly Tensor[] = [];

  constructor(readonly rate: number) {
    if (!(rate >= 0 && rate < 1)) {
      throw new RangeError(
        `dropout: expected a rate in [0, 1) but found ${rate}`,
      );
    }
  }

  get spec(): string {
    return `dropout:${this.rate}`;
  }

  build(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: Tensor, { training, random }: ForwardContext): Tensor {
    if (!training || this.rate === 0) return x;
    const keep = 1 - this.rate;
    const mask = floats(x.size, false);
    for (let i = 0; i < mask.length; i++) {
      mask[i] = random.uniform() < keep ? 1 / keep : 0;
    }
    return mul(x, tensor(mask, x.shape));
  }
}

/**
 * Batch normalisation over the last axis (features, or channels of NHWC
 * images): batch statistics while training, running ones in evaluation.
 */
export class BatchNorm implements Layer {
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  /** Running statistics, [features]; updated while training. */
  movingMean: Float32Array = new Float32Array(0);
  movingVariance: Float32Array = new Float32Array(0);

  constructor(
    readonly momentum = 0.99,
    readonly epsilon = 1e-3,
  ) {
    if (!(momentum >= 0 && momentum < 1) || !(epsilon > 0)) {
      throw new RangeError(
        `batchnorm: expected momentum in [0, 1) and epsilon > 0 but found ` +
          `${momentum} and ${epsilon}`,
      );
    }
  }

  readonly spec = 'batchnorm';

  build(inputShape: Shape): Shape {
    const features = inputShape[inputShape.length - 1];
    this.gamma = variable(tensor(new Float32Array(features).fill(1)));
    this.beta = variable(tensor(new Float32Array(features)));
    this.movingMean = new Float32Array(features);
    this.movingVariance = new Float32Array(features).fill(1);
    return inputShape;
  }

  forward(x: Tensor, { training }: ForwardContext): Tensor {
    if (this.gamma === null || this.beta === null) unbuilt(this.spec);
    const features = this.gamma.size;
    const rows = reshape(x, [x.size / features, features]);
    let normalized: Tensor;
    if (training) {
      const batchMean = mean(rows, 0, true);
      const centered = sub(rows, batchMean);
      const batchVariance = mean(mul(centered, centered), 0, true);
      this.updateMoving(batchMean.data, batchVariance.data);
      const stddev = sqrt(add(batchVariance, tensor([this.epsilon], [])));
      normalized = div(centered, stddev);
    } else {
      const moving = (values: Float32Array) => tensor(values, [1, features]);
      const stddev = this.movingVariance.map((v) =>
        Math.sqrt(v + this.epsilon),
      );
      normalized = div(sub(rows, moving(this.movingMean)), moving(stddev));
    }
    const scaled = add(mul(normalized, this.gamma), this.beta);
    return reshape(scaled, x.shape);
  }

  private updateMoving(batchMean: Float32Array, batchVariance: Float32Array) {
    const m = this.momentum;
    for (let i = 0; i < batchMean.length; i++) {
      this.movingMean[i] = m * this.movingMean[i] + (1 - m) * batchMean[i];
      this.movingVariance[i] =
        m * this.movingVariance[i] + (1 - m) * batchVariance[i];
    }
  }

  get variables(): Tensor[] {
    return this.gamma && this.beta ? [this.gamma, this.beta] : [];
  }
}
