// PNG and JPEG files of any size and colour type as RGBA pixels, through
// pngjs and jpeg-js. The format is told by the file's first bytes, and
// the size the header declares is checked before anything is decoded.

import { readFileSync, statSync } from 'node:fs';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import type { RgbaImage } from '../data/prepare.js';
import { UserError } from '../util/errors.js';

// 40 megapixels: a phone photo is 12; more is not a picture of a digit.
const MAX_PIXELS = 40e6;
const MAX_FILE_BYTES = 64 << 20;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image in `file` as RGBA; a UserError naming the file if it is not one. */
export function readImageFile(file: string): RgbaImage {
  const fail = (what: string): never => {
    throw new UserError(`${file}: ${what}`);
  };
  let bytes: Buffer;
  try {
    const { size } = statSync(file);
    if (size > MAX_FILE_BYTES) {
      fail(`${size} bytes is too large for a picture of a digit`);
    }
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof UserError) throw error;
    return fail(`cannot read it: ${(error as Error).message}`);
  }
  if (PNG_MAGIC.every((byte, i) => bytes[i] === byte))
    return readPng(bytes, fail);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return readJpeg(bytes, fail);
  }
  if (bytes.length === 0)
    fail('expected a PNG or JPEG image but found an empty file');
  const start = [...bytes.subarray(0, 4)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(' ');
  return fail(`expected a PNG or JPEG image but found bytes ${start}`);
}

function checkSize(width: number, height: number, fail: (w: string) => never) {
  if (!(width > 0 && height > 0)) {
    fail(
      `expected an image of at least 1 x 1 pixels but found ${width} x ${height}`,
    );
  }
  if (width * height > MAX_PIXELS) {
    fail(
      `expected an image of at most ${MAX_PIXELS / 1e6} megapixels but ` +
        `found ${width} x ${height}`,
    );
  }
}

function readPng(bytes: Buffer, fail: (what: string) => never): RgbaImage {
  // IHDR comes first: width and height, big-endian, at bytes 16 and 20.
  if (bytes.length < 24) fail('expected a PNG but the file is cut short');
  checkSize(bytes.readUInt32BE(16), bytes.readUInt32BE(20), fail);
  try {
    // pngjs gives RGBA for every colour type and bit depth.
    const png = PNG.sync.read(bytes);
    return {
      width: png.width,
      height: png.height,
      data: new Uint8Array(png.data),
    };
  } catch (error) {
    return fail(
      `not a readable PNG (cut short or damaged): ${(error as Error).message}`,
    );
  }
}

function readJpeg(bytes: Buffer, fail: (what: string) => never): RgbaImage {
  try {
    const image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      // Enough for MAX_PIXELS as RGBA and the decoder's own planes.
      maxMemoryUsageInMB: 2048,
    });
    checkSize(image.width, image.height, fail);
    return { width: image.width, height: image.height, data: image.data };
  } catch (error) {
    if (error instanceof UserError) throw error;
    return fail(`not a readable JPEG: ${(error as Error).message}`);
  }
}
