// Digits drawn as a person draws them on a canvas, for the tests of own
// handwriting: each digit a few pen strokes in a 100 x 100 design, the
// pen's width, slant, stretch and every point jittered at random, then
// rendered at a chosen size as dark ink on light paper (with some grain)
// or as ink on a transparent canvas. None of it comes from MNIST.

import type { RgbaImage } from './prepare.js';
import type { Random } from '../util/random.js';

type Point = [number, number];

/** Points along an ellipse arc, angles in degrees, 0 at 3 o'clock, clockwise. */
function arc(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  from: number,
  to: number,
): Point[] {
  const steps = Math.max(4, Math.ceil(Math.abs(to - from) / 15));
  return Array.from({ length: steps + 1 }, (_, i) => {
    const angle = ((from + ((to - from) * i) / steps) * Math.PI) / 180;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];
  });
}

/** Each digit's strokes (polylines), in two hands. */
const STROKES: Point[][][][] = [
  [[arc(50, 50, 28, 40, 0, 360)], [arc(50, 50, 24, 38, -80, 285)]],
  [
    [
      [
        [50, 12],
        [50, 88],
      ],
    ],
    [
      [
        [38, 24],
        [54, 12],
        [54, 88],
      ],
      [
        [40, 88],
        [68, 88],
      ],
    ],
  ],
  [
    [[...arc(50, 34, 26, 22, 190, 370), [26, 88], [78, 88]]],
    [[...arc(48, 32, 24, 20, 200, 380), [70, 40], [24, 86], [80, 84]]],
  ],
  [
    [[...arc(48, 30, 24, 18, 200, 450), ...arc(48, 68, 28, 20, 270, 520)]],
    [[[26, 14], [74, 14], [46, 44], ...arc(48, 66, 26, 22, 280, 500)]],
  ],
  [
    [
      [
        [62, 12],
        [22, 64],
        [80, 64],
      ],
      [
        [62, 36],
        [62, 90],
      ],
    ],
    [
      [
        [30, 12],
        [26, 52],
        [76, 52],
      ],
      [
        [66, 14],
        [66, 90],
      ],
    ],
  ],
  [
    [[[74, 14], [32, 14], [28, 46], ...arc(48, 64, 28, 24, 230, 500)]],
    [[[72, 12], [34, 12], [30, 44], ...arc(50, 62, 26, 26, 220, 480)]],
  ],
  [
    [[[66, 12], ...arc(50, 64, 26, 26, 200, 560)]],
    [[...arc(60, 50, 30, 40, 250, 180), ...arc(48, 66, 22, 22, 180, 540)]],
  ],
  [
    [
      [
        [22, 14],
        [78, 14],
        [40, 90],
      ],
    ],
    [
      [
        [20, 16],
        [80, 14],
        [46, 88],
      ],
      [
        [36, 50],
        [70, 50],
      ],
    ],
  ],
  [
    [[...arc(50, 30, 20, 18, 90, 450), ...arc(50, 68, 26, 20, 270, 630)]],
    [[...arc(50, 68, 24, 20, 270, 630), ...arc(50, 30, 22, 18, 90, 450)]],
  ],
  [
    [[...arc(48, 34, 24, 22, 0, 360), [72, 34], [70, 90]]],
    [[...arc(46, 32, 22, 20, 10, 370), [68, 36], [56, 90]]],
  ],
];

/**
 * The pen strokes of `digit` in hand 0 or 1, as polylines in the 100 x 100
 * design (y down), for drawing it with a pointer.
 */
export function penStrokes(digit: number, hand: 0 | 1): Point[][] {
  return STROKES[digit][hand].map((stroke) => stroke.map(([x, y]) => [x, y]));
}

/** How a digit is drawn and rendered. */
export interface DrawStyle {
  /** Side of the square picture, in pixels. */
  size: number;
  /** Ink on a transparent canvas, instead of dark ink on light paper. */
  transparent: boolean;
}

/**
 * `digit` drawn by hand `random` chooses (stroke set, pen width, slant,
 * stretch, jitter), rendered in `style`.
 */
export function drawDigit(
  digit: number,
  random: Random,
  style: DrawStyle,
): RgbaImage {
  const hands = STROKES[digit];
  const strokes = hands[random.int(hands.length)];
  const pen = 7 + random.uniform() * 7;
  const slant = (random.uniform() - 0.5) * 0.35;
  const stretch = 0.8 + random.uniform() * 0.35;
  const angle = (random.uniform() - 0.5) * 0.25;
  const jitter = () => (random.uniform() - 0.5) * 4;
  // Slant, stretch sideways and turn about the centre, then a margin of
  // 10 to 20 units around the 100-unit design.
  const margin = 10 + random.uniform() * 10;
  const place = ([x, y]: Point): Point => {
    let u = (x - 50) * stretch + (50 - y) * slant + jitter();
    let v = y - 50 + jitter();
    [u, v] = [
      u * Math.cos(angle) - v * Math.sin(angle),
      u * Math.sin(angle) + v * Math.cos(angle),
    ];
    const scale = style.size / (100 + 2 * margin);
    return [(u + 50 + margin) * scale, (v + 50 + margin) * scale];
  };
  // Each stroke a little off where it belongs, as a pen lifted and put
  // down again lands.
  const lines = strokes.map((stroke) => {
    const [dx, dy] = [jitter() * 1.5, jitter() * 1.5];
    return stroke.map(([x, y]) => place([x + dx, y + dy]));
  });
  const radius = (pen / 2) * (style.size / 120);
  const { size } = style;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Coverage by distance to the nearest stroke, a pixel's edge soft.
      const d = nearest(lines, x + 0.5, y + 0.5);
      const ink = Math.max(0, Math.min(1, radius + 0.5 - d));
      const at = (y * size + x) * 4;
      if (style.transparent) {
        data.set([30, 30, 40, Math.round(255 * ink)], at);
      } else {
        const paper = 235 + random.uniform() * 20;
        const value = Math.round(paper * (1 - ink) + 25 * ink);
        data.set([value, value, value, 255], at);
      }
    }
  }
  return { width: size, height: size, data };
}

function nearest(lines: Point[][], x: number, y: number): number {
  let best = Infinity;
  for (const line of lines) {
    for (let i = 1; i < line.length; i++) {
      const [x0, y0] = line[i - 1];
      const [x1, y1] = line[i];
      const dx = x1 - x0;
      const dy = y1 - y0;
      const length = dx * dx + dy * dy;
      const t =
        length === 0
          ? 0
          : Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / length));
      best = Math.min(best, Math.hypot(x - x0 - t * dx, y - y0 - t * dy));
    }
  }
  return best;
}
