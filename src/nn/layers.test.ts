import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { randomNormal, tensor } from '../tensor/creation.js';
import { gradCheck } from '../tensor/gradcheck.js';
import type { Tensor } from '../tensor/tensor.js';
import { Random } from '../util/random.js';
import { normal } from './initializers.js';
import {
  Activation,
  BatchNorm,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  Pool2D,
  type Layer,
} from './layers.js';

// Float32 central differences with eps 1e-2 agree to about 1e-3.
const TOLERANCE = 5e-3;

const random = new Random(3);
const input = (...shape: number[]) => randomNormal(shape, random);
/**
 * Distinct values 0.1 apart around 0 but never 0, so no max is within eps
 * of another and no value sits on relu's kink.
 */
const separated = (...shape: number[]) => {
  const size = input(...shape).size;
  const order = random.shuffle(
    Float32Array.from({ length: size }, (_, i) => i),
  );
  return tensor(
    order.map((i) => 0.1 * (i - size / 2) + 0.05),
    shape,
  );
};

/**
 * Checks the gradients of `layer` (built for x's shape without the batch)
 * with respect to x and to each of its variables. Each forward pass gets
 * the same generator state, so dropout draws the same mask.
 */
function assertLayerGradients(layer: Layer, x: Tensor, training = false) {
  layer.build(x.shape.slice(1), new Random(1));
  const forward = (xVar: Tensor) =>
    layer.forward(xVar, { training, random: new Random(9) });
  const params = [...layer.variables];
  const { maxError, worst } = gradCheck(forward, [x], { params });
  assert.ok(maxError < TOLERANCE, `${maxError} ${JSON.stringify(worst)}`);
}

describe('layer gradients match finite differences', () => {
  it('dense', () => {
    assertLayerGradients(new Dense(3, normal(0.5)), input(4, 5));
  });

  it('conv, same and valid padding, stride 1 and 2', () => {
    for (const padding of ['same', 'valid'] as const) {
      for (const strides of [1, 2]) {
        const layer = new Conv2D(2, 3, { strides, padding, init: normal(0.5) });
        assertLayerGradients(layer, input(2, 5, 5, 2));
      }
    }
  });

  it('max and average pooling', () => {
    assertLayerGradients(new Pool2D('max', 2), separated(2, 4, 4, 2));
    assertLayerGradients(
      new Pool2D('avg', 3, { strides: 2, padding: 'same' }),
      input(1, 5, 5, 1),
    );
  });

  it('flatten and activations', () => {
    assertLayerGradients(new Flatten(), input(2, 3, 2, 1));
    for (const name of ['relu', 'sigmoid', 'tanh', 'softmax'] as const) {
      assertLayerGradients(new Activation(name), separated(3, 4));
    }
  });

  it('dropout, in training (a fixed mask) and off in evaluation', () => {
    assertLayerGradients(new Dropout(0.5), input(3, 4), true);
    const x = input(2, 3);
    assert.equal(new Dropout(0.5).forward(x, { training: false, random }), x);
  });

  it('batch norm in training mode and in evaluation mode', () => {
    assertLayerGradients(new BatchNorm(), input(6, 3), true);
    assertLayerGradients(new BatchNorm(), input(2, 3, 3, 2), true);
    assertLayerGradients(new BatchNorm(), input(4, 3), false);
  });

  it('refuses sizes and kinds that make no layer', () => {
    assert.throws(() => new Dense(0), {
      message: 'dense: expected units to be a positive integer but found 0',
    });
    assert.throws(() => new Conv2D(2, 3, { strides: 0 }), {
      message: 'conv: expected strides to be a positive integer but found 0',
    });
    assert.throws(() => new Pool2D('min' as 'max', 2), {
      message: "pool: expected 'max' or 'avg' but found min",
    });
    assert.throws(() => new Activation('gelu' as 'relu'), {
      message:
        'activation: expected one of relu, sigmoid, tanh, softmax but found gelu',
    });
  });
});
