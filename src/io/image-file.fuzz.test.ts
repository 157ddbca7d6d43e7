// Fuzzing the image reader and prepareDigit: small PNGs of every colour
// type and bit depth (pngjs's, and palette, low-bit and interlaced ones
// written here), and small JPEGs from jpeg-js, mutated, cut short, their
// headers set to extremes, their checksums fixed up so that the decoders
// get past them. Each case must give a whole image (which prepareDigit
// then prepares) or a UserError within a second, allocating at most 64
// bytes per byte of file and of image plus 8 MiB (and what a bomb's
// header declares): util/fuzz.ts says how that is measured. An image may
// not have more pixels than its bytes could hold.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { DIGIT_SIDE, prepareDigit } from '../data/prepare.js';
import {
  caseRandom,
  concat,
  EXTREMES,
  assertSpread,
  caseNumbers,
  FUZZ_SEED,
  FuzzRunner,
  makeFuzzDir,
  mutateBytes,
  pick,
  summaryLine,
  type Mutant,
} from '../util/fuzz.js';
import type { Random } from '../util/random.js';
import { readImageFile } from './image-file.js';
import {
  encodePng,
  fixCrcs,
  PNG_CHANNELS,
  pngChunks,
  pngOf,
  rowBytesOf,
  type PngChunk,
  type PngSpec,
} from './image-fixtures.js';

const dir = makeFuzzDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Ink of a small "7" at (x, y) of a width x height image, 0 or 1. */
function ink(x: number, y: number, width: number, height: number): number {
  const u = x / width;
  const v = y / height;
  return (v < 0.25 && u > 0.2) || (u > 0.5 - v / 2 && u < 0.75 - v / 2) ? 1 : 0;
}

/** The "7" as a PNG of `spec`: dark ink on light, opaque, or palette 1. */
function sevenPng(spec: PngSpec): Uint8Array {
  const { width, height, colorType, bitDepth } = spec;
  const channels = PNG_CHANNELS[colorType];
  const max = 2 ** bitDepth - 1;
  return encodePng(spec, (x, y, c) => {
    const on = ink(x, y, width, height);
    if (colorType === 3) return on;
    // The last channel of a grey-alpha or RGBA image is alpha.
    if ((colorType === 4 || colorType === 6) && c === channels - 1) return max;
    return on ? 0 : max;
  });
}

/** A PNG written by pngjs, the way image-file.test.ts writes them. */
function pngjsPng(colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16): Uint8Array {
  const width = 9;
  const height = 7;
  const png = new PNG({ width, height });
  const eight = rgba(width, height);
  png.data =
    bitDepth === 8
      ? Buffer.from(eight)
      : Buffer.from(Uint16Array.from(eight, (v) => v * 257).buffer);
  return PNG.sync.write(png, { colorType, bitDepth });
}

function rgba(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const level = ink(x, y, width, height) ? 20 : 235;
      data.set([level, level, level, 255], (y * width + x) * 4);
    }
  }
  return data;
}

function jpegOf(width: number, height: number, quality: number): Uint8Array {
  const image = { width, height, data: Buffer.from(rgba(width, height)) };
  return jpeg.encode(image, quality).data;
}

interface Seed {
  name: string;
  bytes: Uint8Array;
  spec?: PngSpec;
}

const PNG_SEEDS: Seed[] = [
  ...([0, 2, 4, 6] as const).flatMap((colorType) =>
    ([8, 16] as const).map((bitDepth) => ({
      name: `pngjs PNG type ${colorType}, ${bitDepth} bits`,
      bytes: pngjsPng(colorType, bitDepth),
      spec: { width: 9, height: 7, colorType, bitDepth },
    })),
  ),
  ...(
    [
      { width: 9, height: 7, colorType: 3, bitDepth: 1 },
      { width: 9, height: 7, colorType: 3, bitDepth: 2 },
      { width: 9, height: 7, colorType: 3, bitDepth: 4 },
      { width: 9, height: 7, colorType: 3, bitDepth: 8 },
      { width: 9, height: 7, colorType: 0, bitDepth: 1 },
      { width: 9, height: 7, colorType: 0, bitDepth: 4 },
      { width: 9, height: 7, colorType: 6, bitDepth: 8, interlace: true },
      { width: 11, height: 5, colorType: 0, bitDepth: 16, interlace: true },
      { width: 5, height: 9, colorType: 3, bitDepth: 2, interlace: true },
      { width: 1, height: 1, colorType: 2, bitDepth: 8, interlace: true },
    ] as PngSpec[]
  ).map((spec) => ({
    name:
      `PNG type ${spec.colorType}, ${spec.bitDepth} bits, ` +
      `${spec.width}x${spec.height}${spec.interlace ? ', interlaced' : ''}`,
    bytes: sevenPng(spec),
    spec,
  })),
];

const JPEG_SEEDS: Seed[] = [
  [1, 1, 90],
  [8, 8, 50],
  [16, 16, 90],
  [17, 9, 10],
].map(([width, height, quality]) => ({
  name: `JPEG ${width}x${height} quality ${quality}`,
  bytes: jpegOf(width, height, quality),
}));

// A megabyte of zeros per kilobyte or so: deflate at its best.
const ZEROS = deflateSync(new Uint8Array(24 << 20), { level: 9 });

const SIDES = [0, 1, 2, 3, 7, 100, 4000, 6000, 6324, 40000, 65535];

/** A case's file, and what a bomb's data may be inflated to. */
interface Case extends Mutant {
  heldBytes?: number;
}

function pngCase(random: Random): Case {
  const seed = pick(random, PNG_SEEDS);
  const tag = (what: string, m: Mutant): Mutant => ({
    bytes: m.bytes,
    mutation: `${seed.name}, ${what}: ${m.mutation}`,
  });
  const form = random.int(6);
  if (form === 0) {
    const m = mutateBytes(seed.bytes, random, [8, 16, 20, 24]);
    return random.int(4) > 0
      ? tag('bytes, CRCs fixed', { ...m, bytes: fixCrcs(m.bytes) })
      : tag('bytes', m);
  }
  const chunks = pngChunks(seed.bytes);
  const ihdr = Uint8Array.from(chunks[0][1]);
  const view = new DataView(ihdr.buffer);
  if (form === 1) {
    // IHDR's fields set to extremes, with its CRC to match.
    const steps: string[] = [];
    for (let n = 1 + random.int(2); n > 0; n--) {
      const field = random.int(4);
      if (field < 2) {
        const side = random.int(2)
          ? pick(random, SIDES)
          : pick(random, EXTREMES);
        view.setUint32(field * 4, side);
        steps.push(`${field === 0 ? 'width' : 'height'} = ${side}`);
      } else {
        const at = pick(random, [8, 9, 10, 11, 12]);
        const value = pick(random, [0, 1, 2, 3, 4, 6, 7, 8, 16, 255]);
        ihdr[at] = value;
        steps.push(`IHDR byte ${at} = ${value}`);
      }
    }
    chunks[0] = ['IHDR', ihdr];
    return tag('IHDR', { bytes: pngOf(chunks), mutation: steps.join('; ') });
  }
  const idat = chunks.findIndex(([type]) => type === 'IDAT');
  if (form === 2) {
    // The scanlines themselves mutated, then compressed again.
    const m = mutateBytes(inflateSync(chunks[idat][1]), random);
    chunks[idat] = ['IDAT', deflateSync(m.bytes)];
    return tag('scanlines', { ...m, bytes: pngOf(chunks) });
  }
  if (form === 3) {
    const m = mutateBytes(chunks[idat][1], random);
    chunks[idat] = ['IDAT', m.bytes];
    return tag('compressed IDAT', { ...m, bytes: pngOf(chunks) });
  }
  if (form === 4) {
    // Chunks dropped, repeated, split, or unknown ones added.
    const steps: string[] = [];
    const i = random.int(chunks.length);
    const how = random.int(5);
    if (how === 0) {
      steps.push(`drop chunk ${chunks[i][0]}`);
      chunks.splice(i, 1);
    } else if (how === 1) {
      steps.push(`repeat chunk ${chunks[i][0]}`);
      chunks.splice(i, 0, chunks[i]);
    } else if (how === 2) {
      const data = chunks[idat][1];
      const parts = Array.from({ length: data.length }, (_, j) =>
        data.subarray(j, j + 1),
      ).map((part): PngChunk => ['IDAT', part]);
      steps.push(`IDAT split into ${parts.length} chunks of 1 byte`);
      chunks.splice(idat, 1, ...parts);
    } else if (how === 3) {
      const type = pick(random, [
        'tEXt',
        'zTXt',
        'iCCP',
        'gAMA',
        'tRNS',
        'PLTE',
      ]);
      const data = new Uint8Array(pick(random, [0, 1, 2, 5, 1000]));
      steps.push(`add a ${type} of ${data.length} bytes at ${i}`);
      chunks.splice(Math.max(1, i), 0, [type, data]);
    } else {
      steps.push('IEND dropped, 3 bytes added');
      chunks.pop();
    }
    let bytes = pngOf(chunks);
    if (how === 4) bytes = concat(bytes, Uint8Array.from([1, 2, 3]));
    return tag('chunks', { bytes, mutation: steps.join('; ') });
  }
  // A deflate bomb: a small picture's header, 24 MiB of zeros for data.
  const side = pick(random, [1, 2, 100, 600, 2000]);
  view.setUint32(0, side);
  view.setUint32(4, side);
  chunks[0] = ['IHDR', ihdr];
  chunks[idat] = ['IDAT', ZEROS];
  const declared = rowBytesOf({ ...seed.spec!, width: side, height: side });
  return {
    ...tag('deflate bomb', {
      bytes: pngOf(chunks),
      mutation: `${side}x${side}, IDAT inflating to 24 MiB`,
    }),
    // As far as its header declares, the zeros are the picture's.
    heldBytes: Math.min(declared, 24 << 20),
  };
}

/** Where a JPEG's frame header (SOF0, 1 or 2) starts, its marker's 0xff. */
function frameAt(bytes: Uint8Array): number {
  for (let at = 2; at + 4 <= bytes.length;) {
    const marker = bytes[at + 1];
    if (marker >= 0xc0 && marker <= 0xc2) return at;
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
  throw new Error('no frame header in a JPEG seed');
}

function jpegCase(random: Random): Case {
  const seed = pick(random, JPEG_SEEDS);
  const tag = (what: string, m: Mutant): Mutant => ({
    bytes: m.bytes,
    mutation: `${seed.name}, ${what}: ${m.mutation}`,
  });
  const form = random.int(3);
  if (form === 0) return tag('bytes', mutateBytes(seed.bytes, random));
  const bytes = Uint8Array.from(seed.bytes);
  const frame = frameAt(bytes);
  const steps: string[] = [];
  for (let n = 1 + random.int(3); n > 0; n--) {
    const field = random.int(6);
    if (field === 0) {
      const marker = pick(random, [0xc0, 0xc1, 0xc2, 0xc3]);
      bytes[frame + 1] = marker;
      steps.push(`frame marker 0x${marker.toString(16)}`);
    } else if (field <= 2) {
      // Height at +5, width at +7, 16 bits each.
      const at = frame + (field === 1 ? 5 : 7);
      const side = pick(random, [0, 1, 8, 255, 4000, 6000, 6324, 40000, 65535]);
      bytes[at] = side >> 8;
      bytes[at + 1] = side & 255;
      steps.push(`${field === 1 ? 'height' : 'width'} = ${side}`);
    } else if (field === 3) {
      const count = pick(random, [0, 1, 2, 4, 255]);
      bytes[frame + 9] = count;
      steps.push(`components = ${count}`);
    } else if (field === 4) {
      // A component's sampling factors, horizontal and vertical nibbles.
      const at = frame + 11 + 3 * random.int(3);
      const factors = pick(random, [0x00, 0x11, 0x22, 0x44, 0xf1, 0x1f, 0xff]);
      bytes[at] = factors;
      steps.push(`sampling byte ${at} = 0x${factors.toString(16)}`);
    } else {
      const precision = pick(random, [0, 8, 12, 16, 255]);
      bytes[frame + 4] = precision;
      steps.push(`precision ${precision}`);
    }
  }
  const m = { bytes, mutation: steps.join('; ') };
  if (form === 2) {
    const more = mutateBytes(bytes, random);
    return tag('frame header, then bytes', {
      bytes: more.bytes,
      mutation: `${m.mutation}; ${more.mutation}`,
    });
  }
  return tag('frame header', m);
}

describe('image reader under fuzzing', () => {
  // The most pixels a byte of each can hold: a bit for a pixel of a 1-bit
  // PNG, deflated 1032 to 1; a bit for a JPEG block of 8 x 8.
  for (const [kind, makeCase, cases, pixelsPerByte] of [
    ['PNG', pngCase, 2500, 8 * 1032],
    ['JPEG', jpegCase, 1500, 8 * 64],
  ] as const) {
    it(`gives a whole ${kind} image or a UserError for every mutated file`, (t) => {
      const runner = new FuzzRunner(`${kind} fuzz`);
      const file = path.join(dir, 'case');
      for (const i of caseNumbers(cases)) {
        const random = caseRandom(i, kind === 'PNG' ? 0 : 1);
        const { bytes, mutation, heldBytes = 0 } = makeCase(random);
        fs.writeFileSync(file, bytes);
        const label =
          `seed ${FUZZ_SEED} ${kind} case ${i} (${bytes.length} bytes): ` +
          mutation;
        const read = () => {
          const image = readImageFile(file);
          const { width, height, data } = image;
          assert.equal(data.length, width * height * 4, 'RGBA bytes');
          assert.ok(
            width * height <= pixelsPerByte * bytes.length,
            `${width} x ${height} pixels from ${bytes.length} bytes`,
          );
          const digit = prepareDigit(image);
          assert.ok(digit === null || digit.length === DIGIT_SIDE ** 2);
          return data.length;
        };
        runner.check(label, bytes.length, read, heldBytes);
      }
      const summary = runner.finish();
      t.diagnostic(summaryLine(summary));
      assert.deepEqual(summary.findings, []);
      assertSpread(summary, 1 / 20, 1 / 4);
    });
  }
});
