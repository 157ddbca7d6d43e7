// PNG and JPEG files of any size and colour type as RGBA pixels, through
// pngjs and jpeg-js. The format is told by the file's first bytes, and
// the size the header declares is checked before anything is decoded:
// against a limit, and against what the file's bytes can hold.

import { readFileSync, statSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import type { RgbaImage } from '../data/prepare.js';
import { UserError } from '../util/errors.js';

// 40 megapixels: a phone photo is 12; more is not a picture of a digit.
const MAX_PIXELS = 40e6;
const MAX_FILE_BYTES = 64 << 20;
/** A PNG file's first eight bytes. */
export const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel of each PNG colour type (3 is a palette index). */
export const PNG_CHANNELS: Record<number, number> = {
  0: 1,
  2: 3,
  3: 1,
  4: 2,
  6: 4,
};
/** Adam7's seven passes: first column and row, then the steps between. */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** The image in `file` as RGBA; a UserError naming the file if it is not one. */
export function readImageFile(file: string): RgbaImage {
  const fail = (what: string): never => {
    throw new UserError(`${file}: ${what}`);
  };
  let bytes: Buffer;
  try {
    const stat = statSync(file);
    // A pipe would never end, /dev/zero never stop giving.
    if (!stat.isFile()) {
      const found = stat.isDirectory() ? 'a directory' : 'a special file';
      fail(`expected a PNG or JPEG image but found ${found}`);
    }
    const { size } = stat;
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
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  checkSize(width, height, fail);
  // pngjs makes an image of data that is short (rows missing read as
  // zeros) or corrupt past the rows it takes, and inflates interlaced
  // data without a bound: the data is inflated here first, at most as far
  // as the header declares, and must be whole.
  const layout = pngLayout(bytes);
  if (layout !== null) {
    const { rowBytes, data } = layout;
    if (data.length === 0) fail('expected image data (IDAT) but found none');
    const expected =
      `image data that inflates to the ${rowBytes} bytes its header ` +
      `declares (${width} x ${height} pixels)`;
    let rows: Buffer;
    try {
      rows = inflateSync(data, { maxOutputLength: rowBytes + 1 });
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        fail(`expected ${expected} but found more`);
      }
      return fail(
        `not a readable PNG (cut short or damaged): zlib: ${message}`,
      );
    }
    if (rows.length < rowBytes) {
      fail(
        `expected ${expected} but found ${rows.length} bytes; is the file ` +
          'cut short or its header damaged?',
      );
    }
  }
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

/**
 * A PNG's image data (its IDAT chunks, as far as the file goes) and the
 * bytes of filtered rows its IHDR declares; null when IHDR is not first
 * or not one pngjs reads, which pngjs then says.
 */
function pngLayout(bytes: Buffer): { rowBytes: number; data: Buffer } | null {
  if (bytes.length < 33 || bytes.toString('latin1', 12, 16) !== 'IHDR') {
    return null;
  }
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  const [depth, colorType, compression, filter, interlace] = bytes.subarray(24);
  const channels = PNG_CHANNELS[colorType];
  const known =
    channels !== undefined &&
    [1, 2, 4, 8, 16].includes(depth) &&
    compression === 0 &&
    filter === 0 &&
    (interlace === 0 || interlace === 1);
  if (!known) return null;

  // Each row of each pass is a filter byte, then its pixels' bits.
  let rowBytes = 0;
  for (const [x0, y0, dx, dy] of interlace === 1 ? ADAM7 : [[0, 0, 1, 1]]) {
    const passWidth = Math.ceil((width - x0) / dx);
    const passHeight = Math.ceil((height - y0) / dy);
    if (passWidth <= 0 || passHeight <= 0) continue;
    rowBytes +=
      passHeight * (1 + Math.ceil((passWidth * channels * depth) / 8));
  }

  // A chunk cut short gives what it holds, for zlib to say it ends early.
  const parts: Buffer[] = [];
  // Each chunk: its length, type, data, then a CRC.
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (type === 'IEND') break;
    const start = at + 8;
    if (type === 'IDAT') parts.push(bytes.subarray(start, start + length));
    at = start + length + 4;
  }
  return { rowBytes, data: Buffer.concat(parts) };
}

function readJpeg(bytes: Buffer, fail: (what: string) => never): RgbaImage {
  // Every 8 x 8 block of every component takes at least a bit of the
  // scans, so a frame of more blocks than the file has bits is damaged.
  const frame = jpegFrame(bytes);
  if (frame !== null) {
    const { width, height, blocks } = frame;
    checkSize(width, height, fail);
    if (blocks > 8 * bytes.length) {
      fail(
        `expected at least ${Math.ceil(blocks / 8)} bytes for a JPEG of ` +
          `${width} x ${height} pixels (a bit for each of its ${blocks} ` +
          `blocks of 8 x 8) but found ${bytes.length}; is the file cut ` +
          'short or its header damaged?',
      );
    }
  }
  // jpeg-js counts what it allocates against this: a kilobyte a block
  // holds its coefficients, rows and RGBA, however its frame is found.
  const limitMB = Math.min(2048, 1 + (8 * bytes.length) / 1024);
  try {
    const image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: limitMB,
    });
    checkSize(image.width, image.height, fail);
    return { width: image.width, height: image.height, data: image.data };
  } catch (error) {
    if (error instanceof UserError) throw error;
    const { message } = error as Error;
    if (message.startsWith('maxMemoryUsageInMB limit exceeded')) {
      fail(
        `expected a JPEG frame that its ${bytes.length} bytes could hold ` +
          `but found one that needs over ${limitMB.toFixed(1)} MB to ` +
          'decode; is its header damaged?',
      );
    }
    return fail(`not a readable JPEG: ${message}`);
  }
}

/**
 * Size and 8 x 8 blocks (all components' together) of a JPEG's frame
 * (SOF0, SOF1 or SOF2), read as jpeg-js reads it; null when no frame
 * comes before the first scan, which jpeg-js then says.
 */
function jpegFrame(
  bytes: Buffer,
): { width: number; height: number; blocks: number } | null {
  for (let at = 2; at + 4 <= bytes.length;) {
    const marker = bytes[at + 1];
    if (bytes[at] !== 0xff || marker === 0xda || marker === 0xd9) return null;
    // A fill byte, or a marker with no segment (TEM, RST0 to RST7).
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xc2) return frameSize(bytes, at + 4);
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return null;
}

/** The frame header's size and blocks, from its precision byte at `at`. */
function frameSize(bytes: Buffer, at: number) {
  const count = bytes[at + 5];
  if (count === undefined || at + 6 + 3 * count > bytes.length) return null;
  const height = bytes.readUInt16BE(at + 1);
  const width = bytes.readUInt16BE(at + 3);
  const factors = Array.from({ length: count }, (_, i) => {
    const hv = bytes[at + 7 + 3 * i];
    return { h: hv >> 4, v: hv & 15 };
  });
  // Sampling factors of 0 are refused by jpeg-js, with its own message.
  if (factors.some(({ h, v }) => h === 0 || v === 0)) return null;
  const maxH = Math.max(1, ...factors.map(({ h }) => h));
  const maxV = Math.max(1, ...factors.map(({ v }) => v));
  const blocks = factors.reduce(
    (sum, { h, v }) =>
      sum +
      Math.ceil((Math.ceil(width / 8) * h) / maxH) *
        Math.ceil((Math.ceil(height / 8) * v) / maxV),
    0,
  );
  return { width, height, blocks };
}
