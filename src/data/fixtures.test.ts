// Tests that the fixtures other tests build on are deterministic and
// readable by the IDX reader.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureLabel, makeTempDir, writeMnistFolder } from './fixtures.js';
import { readIdxImages, readIdxLabels } from './idx.js';

const root = makeTempDir();
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('writeMnistFolder', () => {
  it('writes the same bytes every time', () => {
    const [a, b] = ['a', 'b'].map((name) => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      return writeMnistFolder(dir, { train: 5, test: 3, gzip: true });
    });
    for (const key of ['trainImages', 'testLabels'] as const) {
      assert.deepEqual(fs.readFileSync(a[key]), fs.readFileSync(b[key]));
    }
  });

  it('writes images whose first pixel is their label', () => {
    const dir = path.join(root, 'labels');
    fs.mkdirSync(dir);
    const options = { train: 12, test: 3, rows: 3, cols: 2 };
    const files = writeMnistFolder(dir, options);
    const images = readIdxImages(files.trainImages);
    const labels = readIdxLabels(files.trainLabels);
    assert.deepEqual([images.count, images.rows, images.cols], [12, 3, 2]);
    for (let i = 0; i < 12; i++) {
      assert.equal(labels.labels[i], fixtureLabel(0, i));
      assert.equal(images.pixels[i * 6], labels.labels[i]);
      assert.equal(images.pixels[i * 6 + 1], i);
    }
  });
});
