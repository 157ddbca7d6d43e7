// PNG files of every colour type pngjs writes, 8 and 16 bits, and JPEG,
// read as RGBA; a file that is neither, or declares a giant size, gets a
// message naming it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { makeTempDir } from '../data/fixtures.js';
import { UserError } from '../util/errors.js';
import { readImageFile } from './image-file.js';
import { encodePng, fixCrcs, pngChunks, pngOf } from './image-fixtures.js';

const dir = makeTempDir();

/** A 16 x 16 light image, as RGBA. */
function rgba16(): Buffer {
  return Buffer.alloc(16 * 16 * 4, 230);
}

/** A 3 x 2 image: a dark pixel at (1, 0), the rest light, as RGBA. */
function rgba(): Buffer {
  const data = Buffer.alloc(3 * 2 * 4, 230);
  data.set([10, 10, 10, 255], 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return data;
}

/** Asserts that `read` throws a UserError with exactly `message`. */
function assertUserError(read: () => unknown, message: string): void {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

/** Writes `bytes` to a fresh file called `name`. */
function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Where a JPEG's frame header (SOF0) starts: its marker's 0xff byte. */
function frameAt(bytes: Uint8Array): number {
  for (let at = 2; at + 4 <= bytes.length;) {
    if (bytes[at + 1] === 0xc0) return at;
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
  throw new Error('no frame header');
}

function writePng(name: string, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16) {
  const png = new PNG({ width: 3, height: 2 });
  // 16-bit input is 16-bit values, in the machine's byte order.
  const eight = rgba();
  png.data =
    bitDepth === 8
      ? eight
      : Buffer.from(Uint16Array.from(eight, (v) => v * 257).buffer);
  const file = path.join(dir, name);
  fs.writeFileSync(file, PNG.sync.write(png, { colorType, bitDepth }));
  return file;
}

describe('readImageFile', () => {
  for (const colorType of [0, 2, 4, 6] as const) {
    for (const bitDepth of [8, 16] as const) {
      it(`reads a PNG of colour type ${colorType}, ${bitDepth} bits`, () => {
        const image = readImageFile(
          writePng(`c${colorType}-${bitDepth}.png`, colorType, bitDepth),
        );
        assert.equal(image.width, 3);
        assert.equal(image.height, 2);
        assert.equal(image.data.length, 24);
        assert.ok(image.data[4] < 20 && image.data[0] > 200);
        assert.equal(image.data[7], 255);
      });
    }
  }

  it('reads a JPEG', () => {
    const file = path.join(dir, 'digit.jpg');
    const encoded = jpeg.encode({ width: 3, height: 2, data: rgba() }, 95);
    fs.writeFileSync(file, encoded.data);
    const image = readImageFile(file);
    assert.equal(image.width, 3);
    assert.equal(image.data.length, 24);
  });

  it('names a file that is no PNG or JPEG, cut short, or too large', () => {
    const html = path.join(dir, 'page.png');
    fs.writeFileSync(html, '<!DOCTYPE html><html></html>');
    assert.throws(
      () => readImageFile(html),
      /page\.png: expected a PNG or JPEG image but found bytes 3c 21 44 4f/,
    );
    const good = fs.readFileSync(writePng('whole.png', 6, 8));
    const cut = path.join(dir, 'cut.png');
    fs.writeFileSync(cut, good.subarray(0, good.length - 20));
    assert.throws(() => readImageFile(cut), /cut\.png: not a readable PNG/);
    // A header declaring 100000 x 100000 pixels: refused before decoding.
    const giant = Buffer.from(good);
    giant.writeUInt32BE(100000, 16);
    giant.writeUInt32BE(100000, 20);
    const big = path.join(dir, 'giant.png');
    fs.writeFileSync(big, giant);
    assert.throws(
      () => readImageFile(big),
      /giant\.png: expected an image of at most 40 megapixels but found 100000 x 100000/,
    );
    assert.throws(
      () => readImageFile(path.join(dir, 'missing.png')),
      /missing\.png: cannot read it/,
    );
  });

  it('refuses PNG data holding fewer rows than its header declares', () => {
    // pngjs read the missing rows as zeros: 3 x 100 pixels of 3 x 2.
    const good = fs.readFileSync(writePng('short.png', 6, 8));
    const tall = Buffer.from(good);
    tall.writeUInt32BE(100, 20);
    const file = write('tall.png', fixCrcs(tall));
    assertUserError(
      () => readImageFile(file),
      `${file}: expected image data that inflates to the 1300 bytes its ` +
        'header declares (3 x 100 pixels) but found 26 bytes; is the file ' +
        'cut short or its header damaged?',
    );
  });

  it('stops inflating interlaced PNG data at what its header declares', () => {
    // 1 x 1 pixels whose data inflates to 16 MiB: pngjs inflated it all
    // (interlaced data had no bound), then found 'unrecognised content'.
    const spec = { width: 1, height: 1, colorType: 2, bitDepth: 8 } as const;
    const chunks = pngChunks(encodePng({ ...spec, interlace: true }, () => 0));
    const zeros = deflateSync(new Uint8Array(16 << 20));
    const file = write(
      'bomb.png',
      pngOf(
        chunks.map(([type, data]) => [type, type === 'IDAT' ? zeros : data]),
      ),
    );
    assertUserError(
      () => readImageFile(file),
      `${file}: expected image data that inflates to the 4 bytes its header ` +
        'declares (1 x 1 pixels) but found more',
    );
  });

  it('refuses PNG data that is damaged, or missing', () => {
    // pngjs stopped inflating at the rows it took, before the checksum.
    const chunks = pngChunks(fs.readFileSync(writePng('damaged.png', 2, 8)));
    const damaged = chunks.map(([type, data]): [string, Uint8Array] => {
      if (type !== 'IDAT') return [type, data];
      const copy = Uint8Array.from(data);
      copy[copy.length - 1] ^= 1;
      return [type, copy];
    });
    const file = write('checksum.png', pngOf(damaged));
    assertUserError(
      () => readImageFile(file),
      `${file}: not a readable PNG (cut short or damaged): zlib: incorrect ` +
        'data check',
    );
    const none = write('none.png', pngOf(chunks.filter(([t]) => t !== 'IDAT')));
    assertUserError(
      () => readImageFile(none),
      `${none}: expected image data (IDAT) but found none`,
    );
  });

  it('refuses a JPEG frame larger than its bytes could hold', () => {
    // jpeg-js made 6000 x 6000 pixels of 767 bytes, allocating 700 MB.
    const encoded = jpeg.encode({ width: 16, height: 16, data: rgba16() }, 90);
    const bytes = Buffer.from(encoded.data);
    const frame = frameAt(bytes);
    bytes.writeUInt16BE(6000, frame + 5);
    bytes.writeUInt16BE(6000, frame + 7);
    const file = write('huge.jpg', bytes);
    assertUserError(
      () => readImageFile(file),
      `${file}: expected at least 210938 bytes for a JPEG of 6000 x 6000 ` +
        'pixels (a bit for each of its 1687500 blocks of 8 x 8) but found ' +
        `${bytes.length}; is the file cut short or its header damaged?`,
    );
  });

  it('bounds what jpeg-js allocates by the size of the file', () => {
    // 255 components sampled 15 x 15: 255 blocks as coded, but jpeg-js
    // makes each a whole unit of 225 blocks, 14.7 MB for 779 bytes.
    const components = Array.from({ length: 255 }, (_, i) => [i, 0xff, 0]);
    const sof = [
      0xff,
      0xc0,
      0x03,
      0x08,
      8,
      0,
      8,
      0,
      8,
      255,
      ...components.flat(),
    ];
    const bytes = Uint8Array.from([0xff, 0xd8, ...sof, 0xff, 0xd9]);
    const file = write('sampled.jpg', bytes);
    assertUserError(
      () => readImageFile(file),
      `${file}: expected a JPEG frame that its 779 bytes could hold but ` +
        'found one that needs over 7.1 MB to decode; is its header damaged?',
    );
  });

  it('names a folder, a pipe or a device rather than reading it', () => {
    // A pipe blocked the read for ever; /dev/zero was read for ever.
    const pipe = path.join(dir, 'pipe.png');
    execFileSync('mkfifo', [pipe]);
    const expected = (file: string, found: string) =>
      `${file}: expected a PNG or JPEG image but found ${found}`;
    assertUserError(
      () => readImageFile(pipe),
      expected(pipe, 'a special file'),
    );
    assertUserError(
      () => readImageFile('/dev/zero'),
      expected('/dev/zero', 'a special file'),
    );
    assertUserError(() => readImageFile(dir), expected(dir, 'a directory'));
  });
});
