// PNG files of every colour type pngjs writes, 8 and 16 bits, and JPEG,
// read as RGBA; a file that is neither, or declares a giant size, gets a
// message naming it.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { makeTempDir } from '../data/fixtures.js';
import { readImageFile } from './image-file.js';

const dir = makeTempDir();

/** A 3 x 2 image: a dark pixel at (1, 0), the rest light, as RGBA. */
function rgba(): Buffer {
  const data = Buffer.alloc(3 * 2 * 4, 230);
  data.set([10, 10, 10, 255], 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return data;
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
});
