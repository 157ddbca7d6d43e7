// Tests of the IDX reader on tiny files written here, good and broken.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';
import {
  encodeIdx,
  makeTempDir,
  writeBytes,
  writeIdxImages,
  writeIdxLabels,
} from './fixtures.js';
import {
  IMAGES_MAGIC,
  LABELS_MAGIC,
  readIdxImages,
  readIdxLabels,
} from './idx.js';

const dir = makeTempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** A fresh path in the temporary folder. */
function tempPath(name = 'file'): string {
  return path.join(dir, `${fileCount++}-${name}`);
}

/** Asserts that `read` throws a UserError with exactly `message`. */
function assertUserError(read: () => unknown, message: string): void {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

const PIXELS = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => i * 10);
const LABELS = Uint8Array.from([7, 0, 9, 3]);

describe('readIdxImages', () => {
  it('reads a raw images file into count, rows, cols and pixel bytes', () => {
    const file = tempPath('images');
    writeIdxImages(file, PIXELS, 3, 2, 4);
    const images = readIdxImages(file);
    assert.deepEqual(
      { ...images, pixels: Array.from(images.pixels) },
      { path: file, count: 3, rows: 2, cols: 4, pixels: Array.from(PIXELS) },
    );
  });

  it('reads a gzip images file the same as the raw one', () => {
    const file = tempPath('images.gz');
    writeIdxImages(file, PIXELS, 3, 2, 4, { gzip: true });
    const images = readIdxImages(file);
    assert.equal(images.count, 3);
    assert.deepEqual(Array.from(images.pixels), Array.from(PIXELS));
  });

  it('tells gzip by its bytes, not by the file name', () => {
    const gzipped = tempPath('images-no-suffix');
    writeIdxImages(gzipped, PIXELS, 3, 2, 4, { gzip: true });
    const raw = tempPath('images-raw.gz');
    writeIdxImages(raw, PIXELS, 3, 2, 4);
    assert.deepEqual(readIdxImages(gzipped).pixels, PIXELS);
    assert.deepEqual(readIdxImages(raw).pixels, PIXELS);
  });

  it('reads a file of zero images', () => {
    const file = tempPath();
    writeIdxImages(file, new Uint8Array(0), 0, 28, 28);
    assert.equal(readIdxImages(file).count, 0);
  });

  it('rejects a saved web page as neither IDX nor gzip', () => {
    const file = tempPath('train-images-idx3-ubyte');
    fs.writeFileSync(file, '<!DOCTYPE html><html><body>404</body></html>\n');
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file (magic 2051) but found bytes ` +
        `3c 21 44 4f ("<!DO"), which is neither IDX nor gzip; is it a web ` +
        `page saved by a failed download?`,
    );
  });

  it('rejects a gzip file that does not hold IDX', () => {
    const file = tempPath();
    writeBytes(file, new TextEncoder().encode('<html>'), { gzip: true });
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file (magic 2051) but found bytes ` +
        `3c 68 74 6d ("<htm") inside the gzip, which is not IDX; is it a ` +
        `web page saved by a failed download?`,
    );
  });

  it('says a labels file given for images may be swapped', () => {
    const file = tempPath();
    writeIdxLabels(file, LABELS);
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file (magic 2051) but found magic ` +
        `2049, which is an IDX labels file; are the images and labels files ` +
        `swapped?`,
    );
  });

  it('compares the declared size with the actual one', () => {
    const file = tempPath();
    const body = new Uint8Array(100 * 28 * 28);
    writeBytes(file, encodeIdx(IMAGES_MAGIC, [60000, 28, 28], body));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected 47040016 bytes (16 of header, then 60000 images ` +
        `of 28x28) as the header declares, but found 78416 bytes, room for ` +
        `100 images; is the file truncated?`,
    );
  });

  it('rejects bytes beyond what the header declares', () => {
    const file = tempPath();
    writeBytes(file, encodeIdx(IMAGES_MAGIC, [2, 2, 2], new Uint8Array(11)));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected 24 bytes (16 of header, then 2 images of 2x2) as ` +
        `the header declares, but found 27 bytes, 3 more than declared`,
    );
  });

  it('rejects bytes beyond a header that declares empty images', () => {
    const file = tempPath();
    writeBytes(file, encodeIdx(IMAGES_MAGIC, [3, 0, 4], new Uint8Array(4)));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected 16 bytes (16 of header, then 3 images of 0x4) as ` +
        `the header declares, but found 20 bytes, 4 more than declared`,
    );
  });

  it('rejects dimensions too large to fit without reading the body', () => {
    const file = tempPath();
    const body = new Uint8Array(1000 - 16);
    writeBytes(file, encodeIdx(IMAGES_MAGIC, [4e9, 28, 28], body));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected a header declaring at most 1073741824 bytes but ` +
        `found 4000000000 images of 28x28 (3136000000016 bytes) in a file ` +
        `of 1000 bytes; is the header corrupt?`,
    );
  });

  it('rejects a gzip file cut off halfway', () => {
    const file = tempPath('images.gz');
    const whole = gzipSync(encodeIdx(IMAGES_MAGIC, [3, 2, 4], PIXELS));
    fs.writeFileSync(file, whole.subarray(0, whole.length >> 1));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected a complete gzip file but found a truncated or ` +
        `corrupt one (zlib: unexpected end of file)`,
    );
  });

  it('stops inflating a gzip file at the size its header declares', () => {
    const file = tempPath('bomb.gz');
    // Declares 3 images of 2x4 but inflates to 64 MB of zeros.
    const header = encodeIdx(IMAGES_MAGIC, [3, 2, 4], new Uint8Array(0));
    const body = new Uint8Array(64 << 20);
    fs.writeFileSync(file, gzipSync(Buffer.concat([header, body])));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected a gzip file that decompresses to the 40 bytes ` +
        `its header declares but found more`,
    );
  });

  it('finds the header past a long gzip name or empty members first', () => {
    // The same bomb, its header beyond the first kilobyte of the file:
    // after a 2000-byte file name, or after 100 empty gzip members.
    const header = encodeIdx(IMAGES_MAGIC, [3, 2, 4], new Uint8Array(0));
    const data = gzipSync(Buffer.concat([header, new Uint8Array(64 << 20)]));
    const named = Buffer.from(data);
    // FLG.FNAME: a zero-terminated name follows the 10-byte header.
    named[3] |= 0x08;
    const name = Buffer.alloc(2001, 'a');
    name[2000] = 0;
    const empty = gzipSync(new Uint8Array(0));
    const wrapped = [
      Buffer.concat([named.subarray(0, 10), name, named.subarray(10)]),
      Buffer.concat([...Array(100).fill(empty), data]),
    ];
    for (const bytes of wrapped) {
      const file = tempPath('bomb.gz');
      fs.writeFileSync(file, bytes);
      assertUserError(
        () => readIdxImages(file),
        `${file}: expected a gzip file that decompresses to the 40 bytes ` +
          `its header declares but found more`,
      );
    }
  });

  it('refuses a gzip header declaring more than it may hold, early', () => {
    const file = tempPath('huge.gz');
    const dims = [4_000_000_000, 28, 28];
    writeBytes(file, encodeIdx(IMAGES_MAGIC, dims, PIXELS), { gzip: true });
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected a header declaring at most 1073741824 bytes but ` +
        `found 4000000000 images of 28x28 (3136000000016 bytes) in a file ` +
        `of unknown size; is the header corrupt?`,
    );
  });

  it('does not block on a FIFO named like a data file', () => {
    const file = tempPath('fifo');
    execFileSync('mkfifo', [file]);
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file but found a special file`,
    );
  });

  it('rejects a file shorter than a header', () => {
    const file = tempPath();
    fs.writeFileSync(file, Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file (magic 2051) of at least 16 ` +
        `bytes but found 10 bytes`,
    );
  });

  it('rejects an empty file', () => {
    const file = tempPath();
    fs.writeFileSync(file, '');
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file (magic 2051) of at least 16 ` +
        `bytes but found 0 bytes`,
    );
  });

  it('names a missing file', () => {
    const file = tempPath('absent');
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file but found no such file`,
    );
  });

  it('rejects a folder', () => {
    assertUserError(
      () => readIdxImages(dir),
      `${dir}: expected an IDX images file but found a directory`,
    );
  });

  it('rejects data other than unsigned bytes', () => {
    const file = tempPath();
    writeBytes(file, encodeIdx(0x0d03, [1, 1, 1], new Uint8Array(4)));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file (magic 2051) of unsigned bytes ` +
        `(type 0x08) but found type 0x0d (float32)`,
    );
  });

  it('rejects a number of dimensions other than three', () => {
    const file = tempPath();
    writeBytes(file, encodeIdx(0x0802, [2, 2], new Uint8Array(4)));
    assertUserError(
      () => readIdxImages(file),
      `${file}: expected an IDX images file (magic 2051) with 3 dimensions ` +
        `but found 2 (magic 2050)`,
    );
  });
});

describe('readIdxLabels', () => {
  it('reads raw and gzip labels files alike', () => {
    const raw = tempPath('labels');
    const gzipped = tempPath('labels.gz');
    writeIdxLabels(raw, LABELS);
    writeIdxLabels(gzipped, LABELS, { gzip: true });
    for (const file of [raw, gzipped]) {
      const labels = readIdxLabels(file);
      assert.equal(labels.path, file);
      assert.equal(labels.count, 4);
      assert.deepEqual(labels.labels, LABELS);
    }
  });

  it('says an images file given for labels may be swapped', () => {
    const file = tempPath();
    writeIdxImages(file, PIXELS, 3, 2, 4);
    assertUserError(
      () => readIdxLabels(file),
      `${file}: expected an IDX labels file (magic 2049) but found magic ` +
        `2051, which is an IDX images file; are the images and labels files ` +
        `swapped?`,
    );
  });

  it('names the first label above 9 and where it is', () => {
    const file = tempPath();
    writeIdxLabels(file, Uint8Array.from([1, 2, 3, 12, 15]));
    assertUserError(
      () => readIdxLabels(file),
      `${file}: expected labels 0 to 9 but found 12 at index 3`,
    );
  });

  it('compares the declared count with the labels present', () => {
    const file = tempPath();
    writeBytes(file, encodeIdx(LABELS_MAGIC, [10000], LABELS));
    assertUserError(
      () => readIdxLabels(file),
      `${file}: expected 10008 bytes (8 of header, then 10000 labels) as ` +
        `the header declares, but found 12 bytes, room for 4 labels; is the ` +
        `file truncated?`,
    );
  });

  it('rejects a file shorter than a labels header', () => {
    const file = tempPath();
    fs.writeFileSync(file, Uint8Array.from([0, 0, 8, 1, 0, 0]));
    assertUserError(
      () => readIdxLabels(file),
      `${file}: expected an IDX labels file (magic 2049) of at least 8 ` +
        `bytes but found 6 bytes`,
    );
  });
});
