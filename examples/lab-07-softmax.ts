// Lab 7: learning rate and evaluation, ported line by line from the
// TensorFlow 1 tutorial to mnistlab's public API. Run: npm run lab
// (optionally followed by a folder of MNIST files). Where TF builds a graph
// and feeds it, this engine is eager: the model is a function of its input.

import {
  GradientDescentOptimizer,
  Random,
  add,
  argMax,
  defaultDataDir,
  digitArt,
  equal,
  float32ToString,
  log,
  matMul,
  mean,
  mul,
  neg,
  noGrad,
  randomNormal,
  readDataSets,
  softmax,
  sum,
  tensor,
  variable,
  UserError,
  type DataSets,
  type Tensor,
} from '../src/index.js';

// tf.set_random_seed(777), for reproducibility
const random = new Random(777);

const mnist = readMnist(process.argv[2] ?? defaultDataDir());

const nbClasses = 10;

// MNIST data image of shape 28 * 28 = 784; X is fed [n, 784], Y [n, 10].
const W = variable(randomNormal([784, nbClasses], random));
const b = variable(randomNormal([nbClasses], random));

// Hypothesis (using softmax)
const hypothesis = (X: Tensor) => softmax(add(matMul(X, W), b));

const cost = (X: Tensor, Y: Tensor) =>
  mean(neg(sum(mul(Y, log(hypothesis(X))), 1)));
const optimizer = new GradientDescentOptimizer(0.1);

// Test model
const isCorrect = (X: Tensor, Y: Tensor) =>
  equal(argMax(hypothesis(X), 1), argMax(Y, 1));
// Calculate accuracy
const accuracy = (X: Tensor, Y: Tensor) => mean(isCorrect(X, Y));

// parameters
const numEpochs = 15;
const batchSize = 100;
const numIterations = Math.floor(mnist.train.numExamples / batchSize);

// Training cycle
for (let epoch = 0; epoch < numEpochs; epoch++) {
  let avgCost = 0;

  for (let i = 0; i < numIterations; i++) {
    const batch = mnist.train.nextBatch(batchSize);
    const batchXs = tensor(batch.images, [batch.size, 784]);
    const batchYs = tensor(batch.labels, [batch.size, nbClasses]);
    const costVal = optimizer.minimize(() => cost(batchXs, batchYs));
    avgCost += costVal / numIterations;
  }

  const number = String(epoch + 1).padStart(4, '0');
  console.log(`Epoch: ${number}, Cost: ${avgCost.toFixed(9)}`);
}

console.log('Learning finished');

// Test the model using test sets
const testSet = mnist.test.gather(0, mnist.test.numExamples);
const testImages = tensor(testSet.images, [testSet.size, 784]);
const testLabels = tensor(testSet.labels, [testSet.size, nbClasses]);
noGrad(() => {
  const testAccuracy = accuracy(testImages, testLabels).item();
  console.log(`Accuracy:  ${float32ToString(testAccuracy)}`);

  // Get one and predict
  const r = random.int(mnist.test.numExamples);
  const one = mnist.test.gather(r, 1);
  const label = argMax(tensor(one.labels, [1, nbClasses]), 1);
  console.log(`Label:  [${label.data}]`);
  const prediction = argMax(hypothesis(tensor(one.images, [1, 784])), 1);
  console.log(`Prediction:  [${prediction.data}]`);

  // plt.imshow(..., cmap='Greys'), drawn in the terminal instead
  const pixels = mnist.test.images.subarray(r * 784, (r + 1) * 784);
  console.log(digitArt(pixels, 28, 28).join('\n'));
});

/** input_data.read_data_sets(dir, one_hot=True), with a readable failure. */
function readMnist(dir: string): DataSets {
  try {
    return readDataSets(dir, { oneHot: true });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
}
