// Writes tiny, deterministic IDX files and MNIST folders for tests (ours and
// the CLI's). Not for real data: everything is held in memory.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  defaultDataDir,
  findMnistFiles,
  mnistFileNames,
  type MnistFiles,
} from './files.js';
import {
  IMAGES_MAGIC,
  LABELS_MAGIC,
  readIdxImages,
  readIdxLabels,
} from './idx.js';

/** Whether to gzip what is written. */
export interface WriteOptions {
  gzip?: boolean;
}

/** Options of writeMnistFolder; images are 28x28 unless given. */
export interface MnistFolderOptions extends WriteOptions {
  train: number;
  test: number;
  rows?: number;
  cols?: number;
  /** `-`: train-images-idx3-ubyte; `.`: train-images.idx3-ubyte. */
  spelling?: '-' | '.';
}

/** An IDX file's bytes: big-endian magic, one uint32 per dim, then body. */
export function encodeIdx(
  magic: number,
  dims: number[],
  body: Uint8Array,
): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + body.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic);
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim));
  bytes.set(body, 4 + 4 * dims.length);
  return bytes;
}

/** Writes `bytes` to `file`, gzipped if asked. */
export function writeBytes(
  file: string,
  bytes: Uint8Array,
  options: WriteOptions = {},
): void {
  fs.writeFileSync(file, options.gzip ? gzipSync(bytes) : bytes);
}

/** Writes an IDX images file; `pixels` is [count, rows * cols] bytes. */
export function writeIdxImages(
  file: string,
  pixels: Uint8Array,
  count: number,
  rows: number,
  cols: number,
  options: WriteOptions = {},
): void {
  const bytes = encodeIdx(IMAGES_MAGIC, [count, rows, cols], pixels);
  writeBytes(file, bytes, options);
}

/** Writes an IDX labels file; `labels` is [count] class indices. */
export function writeIdxLabels(
  file: string,
  labels: Uint8Array,
  options: WriteOptions = {},
): void {
  writeBytes(file, encodeIdx(LABELS_MAGIC, [labels.length], labels), options);
}

/**
 * Label of example `index` of a fixture split (0 train, 1 test): a fixed
 * pattern that visits every class.
 */
export function fixtureLabel(split: 0 | 1, index: number): number {
  return (index * 7 + split * 3) % 10;
}

/**
 * Pixels of a fixture split, [count, rows * cols] bytes. Each image says
 * what it is: pixel 0 is its label, pixels 1 and 2 its index (low byte,
 * high byte), pixel 3 its split; the rest is a fixed pattern.
 */
export function fixturePixels(
  split: 0 | 1,
  count: number,
  rows: number,
  cols: number,
): Uint8Array {
  const size = rows * cols;
  if (size < 4) {
    throw new RangeError(`fixtures: expected images of 4+ pixels, not ${size}`);
  }
  const pixels = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) {
    const image = pixels.subarray(i * size, (i + 1) * size);
    for (let j = 4; j < size; j++) image[j] = (i * 31 + j * 17) & 255;
    image.set([fixtureLabel(split, i), i & 255, (i >> 8) & 255, split]);
  }
  return pixels;
}

/**
 * Writes the four MNIST files of `train` and `test` fixture examples into
 * `dir` (which must exist) and returns their paths.
 */
export function writeMnistFolder(
  dir: string,
  options: MnistFolderOptions,
): MnistFiles {
  const { rows = 28, cols = 28, spelling = '-', gzip = false } = options;
  // mnistFileNames lists `-`, `.`, then both again with .gz.
  const variant = (spelling === '.' ? 1 : 0) + (gzip ? 2 : 0);
  const pick = (file: keyof MnistFiles) =>
    path.join(dir, mnistFileNames(file)[variant]);
  const files: MnistFiles = {
    trainImages: pick('trainImages'),
    trainLabels: pick('trainLabels'),
    testImages: pick('testImages'),
    testLabels: pick('testLabels'),
  };
  const splits = [
    [0, options.train, files.trainImages, files.trainLabels],
    [1, options.test, files.testImages, files.testLabels],
  ] as const;
  for (const [split, count, imagesFile, labelsFile] of splits) {
    const pixels = fixturePixels(split, count, rows, cols);
    const labels = new Uint8Array(count).map((_, i) => fixtureLabel(split, i));
    writeIdxImages(imagesFile, pixels, count, rows, cols, { gzip });
    writeIdxLabels(labelsFile, labels, { gzip });
  }
  return files;
}

/**
 * A fresh folder holding the first `train` and `test` digits of the real
 * MNIST files, under the usual names (with .gz when gzipped).
 */
export function writeMnistSubset(
  counts: { train: number; test: number },
  options: WriteOptions = {},
): string {
  const real = findMnistFiles(defaultDataDir());
  const dir = makeTempDir();
  const to = (file: string) =>
    path.join(dir, path.basename(file) + (options.gzip ? '.gz' : ''));
  const copy = (imagesFile: string, labelsFile: string, count: number) => {
    const images = readIdxImages(imagesFile);
    const labels = readIdxLabels(labelsFile).labels.subarray(0, count);
    const { rows, cols } = images;
    const pixels = images.pixels.subarray(0, count * rows * cols);
    writeIdxImages(to(imagesFile), pixels, count, rows, cols, options);
    writeIdxLabels(to(labelsFile), labels, options);
  };
  copy(real.trainImages, real.trainLabels, counts.train);
  copy(real.testImages, real.testLabels, counts.test);
  return dir;
}

/** A fresh empty folder under the system's temporary folder. */
export function makeTempDir(prefix = 'mnistlab-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
