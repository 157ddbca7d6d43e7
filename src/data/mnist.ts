// Loads MNIST from a folder into train, validation and test DataSets, like
// TF1's read_data_sets. Reads local files only; views share the file bytes.

import { UserError } from '../util/errors.js';
import { Random } from '../util/random.js';
import { DataSet } from './dataset.js';
import { findMnistFiles } from './files.js';
import {
  readIdxImages,
  readIdxLabels,
  type IdxImages,
  type IdxLabels,
} from './idx.js';

/** Settings of readDataSets; the defaults are TF1's. */
export interface ReadDataSetsOptions {
  /** Labels as [n, 10] one-hot rows rather than [n] classes; default false. */
  oneHot?: boolean;
  /** Leading training examples held out for validation; default 5000. */
  validationSize?: number;
  /** Seed of the three sets' shuffles; default 777. */
  seed?: number;
}

/** MNIST split three ways. */
export interface DataSets {
  /** Training examples after the first validationSize (55,000 by default). */
  train: DataSet;
  /** The first validationSize training examples. */
  validation: DataSet;
  /** The 10,000 test examples in file order. */
  test: DataSet;
  /** [rows, cols] of every image: [28, 28] for MNIST. */
  imageShape: [rows: number, cols: number];
}

// Random.stream purpose of the data sets' shuffle seeds.
const SHUFFLE_PURPOSE = 0xda7a;

/**
 * Reads the four MNIST files in `dir` (raw or gzip, see findMnistFiles) and
 * splits the training files into train and validation without copying.
 */
export function readDataSets(
  dir: string,
  options: ReadDataSetsOptions = {},
): DataSets {
  const { oneHot = false, validationSize = 5000, seed = 777 } = options;
  const files = findMnistFiles(dir);
  const trainImages = readIdxImages(files.trainImages);
  const trainLabels = readIdxLabels(files.trainLabels);
  const testImages = readIdxImages(files.testImages);
  const testLabels = readIdxLabels(files.testLabels);

  checkPair(trainImages, trainLabels);
  checkPair(testImages, testLabels);
  for (const images of [trainImages, testImages]) {
    if (images.count === 0 || images.rows === 0 || images.cols === 0) {
      throw new UserError(
        `${images.path}: expected at least one image of at least 1x1 ` +
          `but found ${images.count} images of ${images.rows}x${images.cols}`,
      );
    }
  }
  const { rows, cols } = trainImages;
  if (testImages.rows !== rows || testImages.cols !== cols) {
    throw new UserError(
      `${testImages.path}: expected images of ${rows}x${cols} like ` +
        `${trainImages.path} but found ${testImages.rows}x${testImages.cols}`,
    );
  }
  const trainCount = trainImages.count;
  const valid =
    Number.isInteger(validationSize) &&
    validationSize >= 0 &&
    validationSize < trainCount;
  if (!valid) {
    throw new UserError(
      `expected a validation size from 0 to ${trainCount - 1} (there are ` +
        `${trainCount} training images) but found ${validationSize}`,
      2,
    );
  }

  const imageSize = rows * cols;
  const split = validationSize * imageSize;
  const pixels = trainImages.pixels;
  const labels = trainLabels.labels;
  const seeds = Random.stream(seed, SHUFFLE_PURPOSE);
  const makeSet = (setImages: Uint8Array, setLabels: Uint8Array) =>
    new DataSet(setImages, setLabels, imageSize, {
      oneHot,
      seed: seeds.nextUint32(),
    });
  // Made in this order, each set takes the next seed of the stream.
  const train = makeSet(
    pixels.subarray(split),
    labels.subarray(validationSize),
  );
  const validation = makeSet(
    pixels.subarray(0, split),
    labels.subarray(0, validationSize),
  );
  const test = makeSet(testImages.pixels, testLabels.labels);
  return { train, validation, test, imageShape: [rows, cols] };
}

function checkPair(images: IdxImages, labels: IdxLabels): void {
  if (images.count !== labels.count) {
    throw new UserError(
      `${labels.path}: expected ${images.count} labels, one per image in ` +
        `${images.path}, but found ${labels.count}`,
    );
  }
}
