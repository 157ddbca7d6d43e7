// Fuzzing the IDX reader: tiny valid images and labels files, raw and gzip,
// mutated and truncated, gzip bombs, read as both kinds. Each case must
// give a whole result or a UserError within a second, allocating at most
// 64 bytes per byte of file plus 8 MiB (and what a bomb's header declares):
// util/fuzz.ts says how that is measured.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import {
  caseRandom,
  concat,
  assertSpread,
  caseNumbers,
  FUZZ_SEED,
  FuzzRunner,
  summaryLine,
  makeFuzzDir,
  mutateBytes,
  pick,
  type Mutant,
} from '../util/fuzz.js';
import type { Random } from '../util/random.js';
import { encodeIdx, fixturePixels } from './fixtures.js';
import {
  IMAGES_MAGIC,
  LABELS_MAGIC,
  readIdxImages,
  readIdxLabels,
} from './idx.js';

const dir = makeFuzzDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const SEEDS: { name: string; bytes: Uint8Array }[] = [
  {
    name: '3 images of 2x4',
    bytes: encodeIdx(IMAGES_MAGIC, [3, 2, 4], fixturePixels(0, 3, 2, 4)),
  },
  {
    name: '2 images of 28x28',
    bytes: encodeIdx(IMAGES_MAGIC, [2, 28, 28], fixturePixels(1, 2, 28, 28)),
  },
  {
    name: '0 images of 28x28',
    bytes: encodeIdx(IMAGES_MAGIC, [0, 28, 28], new Uint8Array(0)),
  },
  {
    name: '4 labels',
    bytes: encodeIdx(LABELS_MAGIC, [4], Uint8Array.from([7, 0, 9, 3])),
  },
  {
    name: '100 labels',
    bytes: encodeIdx(
      LABELS_MAGIC,
      [100],
      Uint8Array.from({ length: 100 }, (_, i) => i % 10),
    ),
  },
];

// A gzip member of 16 MiB of zeros, 16 KB of file.
const ZEROS = gzipSync(new Uint8Array(16 << 20), { level: 9 });

// The header's fields: magic, then the dimensions.
const FIELDS = [0, 4, 8, 12];

/** A gzip member's fixed header with a file name of `nameBytes` bytes. */
function gzipWithName(data: Uint8Array, nameBytes: number): Uint8Array {
  const plain = gzipSync(data);
  const header = Uint8Array.from(plain.subarray(0, 10));
  // FLG.FNAME: a zero-terminated name follows the fixed header.
  header[3] |= 0x08;
  const name = new Uint8Array(nameBytes + 1).fill(0x61, 0, nameBytes);
  return concat(header, name, plain.subarray(10));
}

/** A case's file, and for a bomb what the data inflates to. */
interface Case extends Mutant {
  inflated?: { start: Uint8Array; length: number };
}

/** The bytes a header at the start of `data` declares, for its kind. */
function declaredBytes(data: Uint8Array, images: boolean): number {
  const dims = images ? 3 : 1;
  if (data.length < 4 + 4 * dims) return 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let size = 1;
  for (let i = 0; i < dims; i++) size *= view.getUint32(4 + 4 * i);
  return 4 + 4 * dims + size;
}

/** One case: a seed, and how it is turned into a file. */
function makeCase(random: Random): Case {
  const seed = pick(random, SEEDS);
  const form = random.int(7);
  const tag = (what: string, m: Mutant): Mutant => ({
    bytes: m.bytes,
    mutation: `${seed.name}, ${what}: ${m.mutation}`,
  });
  if (form <= 1) {
    return tag('raw', mutateBytes(seed.bytes, random, FIELDS));
  }
  if (form === 2) {
    const m = mutateBytes(seed.bytes, random, FIELDS);
    return tag('mutated then gzipped', { ...m, bytes: gzipSync(m.bytes) });
  }
  if (form === 3) {
    return tag(
      'gzipped then mutated',
      mutateBytes(gzipSync(seed.bytes), random),
    );
  }
  if (form === 4) {
    // The compressed stream's own header and trailer, mutated together.
    const level = random.int(10);
    const m = mutateBytes(gzipSync(seed.bytes, { level }), random, [0, 4]);
    return tag(`gzip level ${level} then mutated`, m);
  }
  const m = mutateBytes(seed.bytes, random, FIELDS);
  if (form === 5) {
    // A bomb: the header, then a member of 16 MiB of zeros, the header
    // found at once or (after a long name) only by looking further.
    const nameBytes = pick(random, [0, 2000]);
    const first =
      nameBytes > 0 ? gzipWithName(m.bytes, nameBytes) : gzipSync(m.bytes);
    const what = `mutated, then 16 MiB of zeros (${nameBytes}-byte name)`;
    return {
      ...tag(what, { ...m, bytes: concat(first, ZEROS) }),
      inflated: { start: m.bytes, length: m.bytes.length + (16 << 20) },
    };
  }
  // Gzip wrappings a reader may not expect: a long file name, members
  // one after another, trailing bytes.
  const wrap = random.int(3);
  if (wrap === 0) {
    const nameBytes = pick(random, [10, 1100, 5000]);
    return tag(`mutated, gzipped with a ${nameBytes}-byte name`, {
      ...m,
      bytes: gzipWithName(m.bytes, nameBytes),
    });
  }
  if (wrap === 1) {
    const empty = pick(random, [1, 60]);
    const members = Array.from({ length: empty }, () =>
      gzipSync(new Uint8Array(0)),
    );
    return tag(`mutated, gzipped after ${empty} empty members`, {
      ...m,
      bytes: concat(...members, gzipSync(m.bytes)),
    });
  }
  return tag('mutated, gzipped, then garbage', {
    ...m,
    bytes: concat(gzipSync(m.bytes), Uint8Array.from([1, 2, 3, 4])),
  });
}

describe('IDX reader under fuzzing', () => {
  it('gives a whole result or a UserError for every mutated file', (t) => {
    const runner = new FuzzRunner('idx fuzz');
    const file = path.join(dir, 'case');
    for (const i of caseNumbers(4000)) {
      const random = caseRandom(i);
      const { bytes, mutation, inflated } = makeCase(random);
      const asImages = random.int(2) === 0;
      // A bomb's zeros may be inflated as far as its header declares.
      const held =
        inflated === undefined
          ? 0
          : Math.min(declaredBytes(inflated.start, asImages), inflated.length);
      fs.writeFileSync(file, bytes);
      const label =
        `seed ${FUZZ_SEED} case ${i} (${asImages ? 'images' : 'labels'}, ` +
        `${bytes.length} bytes): ${mutation}`;
      runner.check(
        label,
        bytes.length,
        () => {
          if (asImages) {
            const { count, rows, cols, pixels } = readIdxImages(file);
            assert.equal(pixels.length, count * rows * cols, 'pixels');
            return pixels.length;
          }
          const { count, labels } = readIdxLabels(file);
          assert.equal(labels.length, count, 'labels');
          assert.ok(
            labels.every((label) => label <= 9),
            'labels 0..9',
          );
          return labels.length;
        },
        held,
      );
    }
    const summary = runner.finish();
    t.diagnostic(summaryLine(summary));
    assert.deepEqual(summary.findings, []);
    assertSpread(summary, 1 / 50, 1 / 2);
  });
});
