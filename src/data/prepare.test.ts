// Own pictures prepared as MNIST's digits: every way of drawing the same
// digit, on paper, on a screen, in alpha only, small in a corner of a big
// canvas, gives (nearly) the same 28x28 input as a centred reference.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DIGIT_SIDE, prepareDigit, type RgbaImage } from './prepare.js';

/** A "7" of two strokes in a 100 x 100 design, as segments. */
const SEVEN = [
  [20, 20, 80, 20],
  [80, 20, 40, 85],
];

interface Drawing {
  size: number;
  scale?: number;
  left?: number;
  top?: number;
  /** RGBA of the ink and of the background. */
  ink?: number[];
  paper?: number[];
}

/** SEVEN drawn with a round pen 8 units wide. */
function draw({
  size,
  scale = 1,
  left = 0,
  top = 0,
  ink = [0, 0, 0, 255],
  paper = [255, 255, 255, 255],
}: Drawing): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5 - left) / scale;
      const v = (y + 0.5 - top) / scale;
      const near = SEVEN.some(
        ([x0, y0, x1, y1]) => distance(u, v, x0, y0, x1, y1) <= 4,
      );
      data.set(near ? ink : paper, (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

function distance(
  u: number,
  v: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const t = Math.max(
    0,
    Math.min(1, ((u - x0) * dx + (v - y0) * dy) / (dx * dx + dy * dy)),
  );
  return Math.hypot(u - x0 - t * dx, v - y0 - t * dy);
}

function centreOfMass(pixels: Uint8Array): [number, number] {
  let mass = 0;
  let x = 0;
  let y = 0;
  pixels.forEach((value, i) => {
    mass += value;
    x += value * ((i % DIGIT_SIDE) + 0.5);
    y += value * (Math.floor(i / DIGIT_SIDE) + 0.5);
  });
  return [x / mass, y / mass];
}

function meanDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('prepareDigit', () => {
  const reference = prepareDigit(draw({ size: 100 }))!;

  it('crops the ink to 20 pixels and centres it by mass in 28x28', () => {
    assert.equal(reference.length, DIGIT_SIDE * DIGIT_SIDE);
    const rows = [];
    for (let y = 0; y < DIGIT_SIDE; y++) {
      const row = reference.subarray(y * DIGIT_SIDE, (y + 1) * DIGIT_SIDE);
      if (row.some((v) => v > 0)) rows.push(y);
    }
    assert.equal(rows[rows.length - 1] - rows[0] + 1, 20);
    const [x, y] = centreOfMass(reference);
    assert.ok(Math.abs(x - 14) <= 0.5 && Math.abs(y - 14) <= 0.5, `${x}, ${y}`);
    assert.equal(Math.max(...reference), 255);
  });

  it('gives the same input for light ink on a dark screen', () => {
    const screen = draw({
      size: 100,
      ink: [255, 255, 255, 255],
      paper: [0, 0, 0, 255],
    });
    assert.deepEqual(prepareDigit(screen), reference);
  });

  it('takes the opaque strokes of a transparent canvas as ink', () => {
    const canvas = draw({
      size: 100,
      ink: [0, 0, 0, 255],
      paper: [0, 0, 0, 0],
    });
    assert.deepEqual(prepareDigit(canvas), reference);
    // On a transparent canvas any opaque stroke is ink, white included.
    const white = draw({
      size: 100,
      ink: [255, 255, 255, 255],
      paper: [255, 255, 255, 0],
    });
    assert.deepEqual(prepareDigit(white), reference);
    // Coloured ink on tinted paper is grey ink all the same.
    const blue = draw({
      size: 100,
      ink: [20, 40, 160, 255],
      paper: [250, 245, 230, 255],
    });
    assert.ok(meanDifference(prepareDigit(blue)!, reference) < 2);
  });

  it('finds a thin digit in a corner of a large canvas', () => {
    const corner = draw({ size: 900, scale: 2.5, left: 10, top: 15 });
    const prepared = prepareDigit(corner)!;
    assert.ok(
      meanDifference(prepared, reference) < 3,
      `mean difference ${meanDifference(prepared, reference)}`,
    );
    const [x, y] = centreOfMass(prepared);
    assert.ok(Math.abs(x - 14) <= 0.5 && Math.abs(y - 14) <= 0.5, `${x}, ${y}`);
  });

  it('says there is no ink on an empty or a uniform canvas', () => {
    assert.equal(
      prepareDigit(draw({ size: 50, scale: 0.001, left: -99 })),
      null,
    );
    const grey = { width: 4, height: 4, data: new Uint8Array(64).fill(128) };
    assert.equal(prepareDigit(grey), null);
  });

  it('keeps ink at the right and bottom edges of the picture', () => {
    // 27 x 2 white with ink at both ends of the bottom row: the last of
    // the 20 columns it scales to ended past the picture, so read NaN,
    // and a blank digit came back.
    const data = new Uint8Array(27 * 2 * 4).fill(255);
    data.set([0, 0, 0, 255], 27 * 4);
    data.set([0, 0, 0, 255], (27 + 26) * 4);
    const prepared = prepareDigit({ width: 27, height: 2, data })!;
    const inked = [...prepared.entries()].filter(([, value]) => value > 0);
    assert.deepEqual(inked, [
      [14 * DIGIT_SIDE + 4, 255],
      [14 * DIGIT_SIDE + 23, 255],
    ]);
  });

  it('refuses pixels that do not fit the size given', () => {
    assert.throws(
      () => prepareDigit({ width: 2, height: 2, data: new Uint8Array(15) }),
      /expected 2 x 2 RGBA pixels but found 15 bytes/,
    );
  });
});
