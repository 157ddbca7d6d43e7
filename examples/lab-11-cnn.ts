// Lab 11: a convolutional network for MNIST, ported from the TensorFlow 1
// tutorial to mnistlab's layer API: conv, ReLU, max pool twice, then a
// dense layer. Run: npm run lab:cnn [-- DATA_DIR [EPOCHS]].
// NOTE: the lab's 32 and 64 filters are halved here, to keep an epoch
// short.

import {
  AdamOptimizer,
  Sequential,
  defaultDataDir,
  float32ToString,
  initializers,
  parseLayers,
  readDataSets,
} from '../src/index.js';

const mnist = readDataSets(process.argv[2] || defaultDataDir());

// parameters
const learningRate = 0.001;
const trainingEpochs = Number(process.argv[3] ?? 15);
const batchSize = 100;

// L1: [?, 28, 28, 1] -> conv -> [?, 28, 28, 16] -> pool -> [?, 14, 14, 16]
// L2: -> conv -> [?, 14, 14, 32] -> pool -> [?, 7, 7, 32]
// L3: flatten -> [?, 1568] -> dense -> [?, 10]
const layers = parseLayers(
  'conv:16:3,relu,maxpool:2,conv:32:3,relu,maxpool:2,flatten,dense:10',
  { init: initializers.glorotUniform, dropout: 0 },
);
const model = new Sequential(layers, { inputShape: [28, 28, 1], seed: 777 });
const optimizer = new AdamOptimizer({ learningRate });

model.fit(mnist.train, {
  epochs: trainingEpochs,
  batchSize,
  optimizer,
  validation: mnist.validation,
  onEpochEnd: ({ epoch, loss, validationAccuracy }) => {
    const number = String(epoch).padStart(4, '0');
    console.log(
      `Epoch: ${number}, Cost: ${loss.toFixed(9)}, ` +
        `Validation accuracy: ${validationAccuracy?.toFixed(4)}`,
    );
  },
});
console.log('Learning finished');

const { accuracy } = model.evaluate(mnist.test);
console.log(`Accuracy:  ${float32ToString(accuracy)}`);
