// Writes and takes apart small PNG files for tests, chunk by chunk, with
// what pngjs does not write: palette and low-bit images, and Adam7
// interlacing. Filter type 0 throughout; not an encoder for real use.

import { deflateSync } from 'node:zlib';

// The reader's own tables, so that fixtures and reader agree.
import {
  ADAM7,
  PNG_CHANNELS,
  PNG_MAGIC as PNG_SIGNATURE,
} from './image-file.js';

export { ADAM7, PNG_CHANNELS, PNG_SIGNATURE };

/** What a PNG's IHDR says. */
export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
}

/** A PNG chunk: its four-letter type and its data. */
export type PngChunk = [type: string, data: Uint8Array];

/** Bytes of the filtered rows (a filter byte each) a PNG inflates to. */
export function rowBytesOf(spec: PngSpec): number {
  const { width, height, colorType, bitDepth, interlace = false } = spec;
  const bits = PNG_CHANNELS[colorType] * bitDepth;
  let total = 0;
  for (const [x0, y0, dx, dy] of interlace ? ADAM7 : [[0, 0, 1, 1]]) {
    const columns = Math.ceil((width - x0) / dx);
    const rows = Math.ceil((height - y0) / dy);
    if (columns > 0 && rows > 0) {
      total += rows * (1 + Math.ceil((columns * bits) / 8));
    }
  }
  return total;
}

/**
 * A PNG of `spec` whose sample `c` of pixel (x, y) is `sample(x, y, c)`
 * (a palette index for colour type 3), with a two-colour palette.
 */
export function encodePng(
  spec: PngSpec,
  sample: (x: number, y: number, c: number) => number,
): Uint8Array {
  const { width, height, colorType, bitDepth, interlace = false } = spec;
  const channels = PNG_CHANNELS[colorType];
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of interlace ? ADAM7 : [[0, 0, 1, 1]]) {
    if (x0 >= width) continue;
    for (let y = y0; y < height; y += dy) {
      rows.push(0);
      // Samples under 8 bits are packed from the high bit down.
      let packed = 0;
      let bits = 0;
      for (let x = x0; x < width; x += dx) {
        for (let c = 0; c < channels; c++) {
          const value = sample(x, y, c);
          if (bitDepth === 16) {
            rows.push(value >> 8, value & 255);
          } else if (bitDepth === 8) {
            rows.push(value);
          } else {
            packed = (packed << bitDepth) | value;
            bits += bitDepth;
            if (bits === 8) {
              rows.push(packed);
              packed = 0;
              bits = 0;
            }
          }
        }
      }
      if (bits > 0) rows.push(packed << (8 - bits));
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([bitDepth, colorType, 0, 0, interlace ? 1 : 0], 8);
  const chunks: PngChunk[] = [['IHDR', header]];
  if (colorType === 3) {
    chunks.push(['PLTE', Uint8Array.from([250, 250, 240, 20, 20, 30])]);
    chunks.push(['tRNS', Uint8Array.from([255, 200])]);
  }
  chunks.push(['IDAT', deflateSync(Uint8Array.from(rows))]);
  chunks.push(['IEND', new Uint8Array(0)]);
  return pngOf(chunks);
}

/** A PNG file of `chunks`, each with its length and CRC. */
export function pngOf(chunks: PngChunk[]): Uint8Array {
  const parts = chunks.map(([type, data]) => {
    const bytes = new Uint8Array(12 + data.length);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, data.length);
    bytes.set(new TextEncoder().encode(type), 4);
    bytes.set(data, 8);
    view.setUint32(8 + data.length, crc32(bytes.subarray(4, 8 + data.length)));
    return bytes;
  });
  return Buffer.concat([Uint8Array.from(PNG_SIGNATURE), ...parts]);
}

/** A PNG's chunks, as far as they are whole. */
export function pngChunks(bytes: Uint8Array): PngChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  for (let at = 8; at + 12 <= bytes.length;) {
    const length = view.getUint32(at);
    if (at + 12 + length > bytes.length) break;
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    chunks.push([type, bytes.subarray(at + 8, at + 8 + length)]);
    at += 12 + length;
  }
  return chunks;
}

/** `bytes` with each whole chunk's CRC made to match it again. */
export function fixCrcs(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length;) {
    const length = view.getUint32(at);
    if (at + 12 + length > out.length) break;
    const crc = crc32(out.subarray(at + 4, at + 8 + length));
    view.setUint32(at + 8 + length, crc);
    at += 12 + length;
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** The CRC-32 PNG chunks end with (zlib's crc32 is Node 22's). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
