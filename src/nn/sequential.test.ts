// Sequential models on slices of the real MNIST files.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DataSet } from '../data/dataset.js';
import { defaultDataDir } from '../data/files.js';
import { readDataSets } from '../data/mnist.js';
import { tensor } from '../tensor/creation.js';
import { glorotUniform } from './initializers.js';
import { AdamOptimizer } from './optimizers.js';
import { Sequential } from './sequential.js';
import { parseLayers } from './spec.js';

const real = readDataSets(defaultDataDir());
const firstTraining = (count: number) =>
  new DataSet(
    real.train.images.subarray(0, count * 784),
    real.train.labels.subarray(0, count),
    784,
    { oneHot: false, seed: 1 },
  );
const layers = (spec: string) =>
  parseLayers(spec, { init: glorotUniform, dropout: 0.2 });

describe('Sequential', () => {
  it('an MLP learns 5,000 digits to above 90% on 5,000 others', () => {
    const model = new Sequential(layers('dense:64,relu,dropout,dense:10'), {
      inputShape: [784],
    });
    const reports: number[] = [];
    const history = model.fit(firstTraining(5000), {
      epochs: 3,
      batchSize: 50,
      optimizer: new AdamOptimizer({ learningRate: 0.002 }),
      validation: real.validation,
      onEpochEnd: (report) => reports.push(report.epoch),
    });
    assert.deepEqual(reports, [1, 2, 3]);
    assert.ok(history[2].loss < history[0].loss);
    const { accuracy } = model.evaluate(real.validation);
    assert.equal(accuracy, history[2].validationAccuracy);
    assert.ok(accuracy > 0.9, `accuracy ${accuracy}`);
  });

  it('a small CNN learns 1,000 digits to above 80%', () => {
    const spec = 'conv:4:3,relu,maxpool:2,flatten,dense:10';
    const model = new Sequential(layers(spec), { inputShape: [28, 28, 1] });
    model.fit(firstTraining(1000), {
      epochs: 2,
      batchSize: 32,
      optimizer: new AdamOptimizer({ learningRate: 0.003 }),
    });
    const { accuracy } = model.evaluate(real.validation);
    assert.ok(accuracy > 0.8, `accuracy ${accuracy}`);
  });

  it('ends training at the step shouldStop first answers true', () => {
    const model = new Sequential(layers('dense:10'), { inputShape: [784] });
    const steps: string[] = [];
    const history = model.fit(firstTraining(1000), {
      epochs: 3,
      batchSize: 100,
      optimizer: new AdamOptimizer({ learningRate: 0.01 }),
      onStep: ({ epoch, step }) => steps.push(`${epoch}.${step}`),
      shouldStop: () => steps.length === 13,
    });
    assert.equal(steps.length, 13);
    assert.equal(steps.at(-1), '2.3');
    assert.deepEqual(
      history.map((report) => report.epoch),
      [1],
    );
  });

  it('stops on a loss that is not a number, naming the layer it shows in', () => {
    const cases: [number, RegExp][] = [
      // A weight gone NaN, as an update overflowing leaves it.
      [
        NaN,
        /layer 3 \(dense:10\) holds NaN in its weights, from the last update/,
      ],
      // Weights so large the first layer's output overflows.
      [1e37, /layer 1 \(dense:8\) first gives -?Infinity/],
    ];
    for (const [value, where] of cases) {
      const model = new Sequential(layers('dense:8,relu,dense:10'), {
        inputShape: [784],
      });
      const variable = model.layers[value > 0 ? 0 : 2].variables[0];
      variable.data.fill(value > 0 ? value : 0.01);
      if (value !== value) variable.data[5] = value;
      const before = model.variables.map((v) => Float32Array.from(v.data));
      assert.throws(
        () =>
          model.fit(firstTraining(200), {
            epochs: 1,
            batchSize: 100,
            optimizer: new AdamOptimizer({ learningRate: 0.01 }),
          }),
        (error: Error) => {
          assert.equal(error.name, 'TrainingDivergedError');
          assert.match(
            error.message,
            /^training diverged: the cost became NaN at epoch 1, step 1/,
          );
          assert.match(error.message, where);
          return true;
        },
      );
      // The failing step updated nothing.
      assert.deepEqual(
        model.variables.map((v) => v.data),
        before,
      );
    }
  });

  it('predicts probabilities, also when the stack ends in softmax', () => {
    const model = new Sequential(layers('dense:10,softmax'), {
      inputShape: [784],
    });
    const batch = real.test.gather(0, 3);
    const probs = model.predict(tensor(batch.images, [3, 784]));
    assert.deepEqual(probs.shape, [3, 10]);
    for (let row = 0; row < 3; row++) {
      const total = probs.data
        .subarray(row * 10, row * 10 + 10)
        .reduce((a, b) => a + b);
      assert.ok(Math.abs(total - 1) < 1e-5);
    }
  });

  it('refuses a stack that does not end in classes', () => {
    assert.throws(
      () => new Sequential(layers('conv:2:3'), { inputShape: [28, 28, 1] }),
      {
        message:
          'Sequential: expected a last output of [classes] but found ' +
          '[28, 28, 2]; end with flatten and dense',
      },
    );
    assert.throws(
      () => new Sequential(layers('dense:10'), { inputShape: [28, 28, 1] }),
      {
        message:
          'Sequential: layer 1 (dense:10) cannot take an input of ' +
          '[28, 28, 1]: dense: expected a flat input but found ' +
          '[28, 28, 1]; add flatten before it',
      },
    );
  });

  it('refuses fit and evaluate settings it cannot honour', () => {
    const model = new Sequential(layers('dense:10'), { inputShape: [784] });
    const optimizer = new AdamOptimizer();
    const train = firstTraining(100);
    for (const [epochs, batchSize, name, found] of [
      [NaN, 10, 'epochs', NaN],
      [1.5, 10, 'epochs', 1.5],
      [1, 0, 'batchSize', 0],
    ] as const) {
      assert.throws(() => model.fit(train, { epochs, batchSize, optimizer }), {
        message: `fit: expected ${name} to be a positive integer but found ${found}`,
      });
    }
    assert.throws(() => model.evaluate(train, 0), {
      message: 'evaluate: expected a positive integer chunkSize but found 0',
    });
  });
});
