// Fuzzing prepareDigit on RGBA pictures no drawing makes: one pixel, one
// row or column thousands long, noise, every alpha, ink on every kind of
// background. Each must give null (no ink) or 28x28 bytes that show ink,
// within a second, allocating at most 64 bytes per byte of RGBA plus
// 8 MiB: util/fuzz.ts says how that is measured.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  caseRandom,
  assertSpread,
  caseNumbers,
  FUZZ_SEED,
  FuzzRunner,
  pick,
  summaryLine,
} from '../util/fuzz.js';
import type { Random } from '../util/random.js';
import { DIGIT_SIDE, prepareDigit, type RgbaImage } from './prepare.js';

const SIDES = [1, 2, 3, 5, 8, 27, 28, 29, 64, 100];
const LONG = [1000, 4000];

const COLOURS = [
  [255, 255, 255, 255],
  [0, 0, 0, 255],
  [0, 0, 0, 0],
  [255, 255, 255, 0],
  [128, 128, 128, 255],
  [200, 30, 30, 128],
  [0, 0, 0, 1],
  [255, 255, 255, 254],
];

/** A picture, and what it is made of. */
function makeImage(random: Random): { image: RgbaImage; what: string } {
  const long = random.int(6) === 0;
  let width = long ? pick(random, LONG) : pick(random, SIDES);
  let height = pick(random, SIDES);
  if (long && random.int(2)) [width, height] = [height, width];
  const data = new Uint8Array(width * height * 4);
  const paper = pick(random, COLOURS);
  const ink = pick(random, COLOURS);
  for (let i = 0; i < width * height; i++) data.set(paper, i * 4);
  const style = random.int(5);
  const steps = [`${width}x${height}, paper ${paper}, ink ${ink}`];
  if (style === 0) {
    const n = 1 + random.int(5);
    for (let k = 0; k < n; k++) {
      data.set(ink, random.int(width * height) * 4);
    }
    steps.push(`${n} ink pixels`);
  } else if (style === 1) {
    // A box of ink somewhere, from one pixel to all of it.
    const left = random.int(width);
    const top = random.int(height);
    const right = left + random.int(width - left) + 1;
    const bottom = top + random.int(height - top) + 1;
    for (let y = top; y < bottom; y++) {
      for (let x = left; x < right; x++) data.set(ink, (y * width + x) * 4);
    }
    steps.push(`ink box ${left},${top} to ${right},${bottom}`);
  } else if (style === 2) {
    for (let i = 0; i < data.length; i++) data[i] = random.int(256);
    steps.push('noise');
  } else if (style === 3) {
    // Ink whose every channel, alpha too, is drawn at random.
    for (let i = 0; i < width * height; i++) {
      if (random.int(4) === 0) {
        data.set(
          [0, 1, 2, 3].map(() => random.int(256)),
          i * 4,
        );
      }
    }
    steps.push('scattered ink of random colour and alpha');
  } else {
    steps.push('paper alone');
  }
  return { image: { width, height, data }, what: steps.join('; ') };
}

describe('prepareDigit under fuzzing', () => {
  it('gives null or 28x28 bytes showing ink for any picture', (t) => {
    const runner = new FuzzRunner('prepareDigit fuzz');
    for (const i of caseNumbers(2000)) {
      const { image, what } = makeImage(caseRandom(i));
      const label = `seed ${FUZZ_SEED} case ${i}: ${what}`;
      runner.check(label, image.data.length, () => {
        const digit = prepareDigit(image);
        if (digit === null) return;
        assert.equal(digit.length, DIGIT_SIDE * DIGIT_SIDE, '28x28 bytes');
        assert.ok(
          digit.some((value) => value > 0),
          'ink found, but none shown',
        );
      });
    }
    const summary = runner.finish();
    t.diagnostic(summaryLine(summary));
    assert.deepEqual(summary.findings, []);
    assertSpread(summary, 1, 0);
  });
});
