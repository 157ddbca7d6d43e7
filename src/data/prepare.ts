// A person's picture of a digit, prepared as MNIST's digits were: ink on
// a dark background, the ink cropped, its longer side scaled to 20 pixels
// keeping the aspect ratio, and placed in 28x28 with its centre of mass in
// the middle. Pure TypeScript on RGBA pixels, so that the command line and
// the web page prepare a drawing the same way.

/** An image as RGBA bytes, row by row. */
export interface RgbaImage {
  width: number;
  height: number;
  /** [height, width, 4] bytes: red, green, blue, alpha. */
  data: Uint8Array;
}

/** MNIST's side, and the box the ink is scaled into. */
export const DIGIT_SIDE = 28;
const INK_BOX = 20;
// Ink below this share of the darkest ink is background (paper grain,
// JPEG ringing, a light pencil smudge).
const INK_FLOOR = 0.2;

/**
 * The 28x28 ink bytes (255 = full ink) of a digit drawn in `image`, or
 * null when it holds no ink. Transparency is laid over white; a light
 * background is inverted to MNIST's dark one.
 */
export function prepareDigit(image: RgbaImage): Uint8Array | null {
  const { width, height, data } = image;
  if (
    !Number.isSafeInteger(width) ||
    !Number.isSafeInteger(height) ||
    width < 1 ||
    height < 1 ||
    data.length !== width * height * 4
  ) {
    throw new RangeError(
      `prepareDigit: expected ${width} x ${height} RGBA pixels but found ` +
        `${data.length} bytes`,
    );
  }
  const ink = inkOf(image);
  const box = inkBox(ink, width, height);
  if (box === null) return null;
  const scaled = scaleToBox(ink, width, box);
  return centreByMass(scaled.pixels, scaled.width, scaled.height);
}

/**
 * Ink per pixel in [0, 1]. On a transparent canvas (a border mostly
 * transparent) the ink is what is opaque, whatever its colour; otherwise
 * grey laid over white, inverted when the border is mostly light. Then
 * the background level is taken off and the rest stretched so that the
 * darkest ink is 1.
 */
function inkOf(image: RgbaImage): Float64Array {
  const { width, height, data } = image;
  const alpha = new Float64Array(width * height).map(
    (_, i) => data[i * 4 + 3] / 255,
  );
  const clear = borderMean(alpha, width, height);
  if (clear < 0.5) return stretched(alpha, clear);
  const grey = new Float64Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    const alpha = data[i * 4 + 3] / 255;
    const luma =
      0.299 * data[i * 4] + 0.587 * data[i * 4 + 1] + 0.114 * data[i * 4 + 2];
    // Laid over white: a transparent pixel is paper.
    grey[i] = (luma * alpha + 255 * (1 - alpha)) / 255;
  }
  // The border tells the background: light paper or a dark screen.
  const border = borderMean(grey, width, height);
  const lightBackground = border > 0.5;
  const ink = grey.map((g) => (lightBackground ? 1 - g : g));
  return stretched(ink, lightBackground ? 1 - border : border);
}

/** The mean of the values on the image's edge. */
function borderMean(
  values: Float64Array,
  width: number,
  height: number,
): number {
  let sum = 0;
  let count = 0;
  for (let x = 0; x < width; x++) {
    sum += values[x] + values[(height - 1) * width + x];
    count += 2;
  }
  for (let y = 0; y < height; y++) {
    sum += values[y * width] + values[y * width + width - 1];
    count += 2;
  }
  return sum / count;
}

/** Ink above the background level, stretched so that the most is 1. */
function stretched(ink: Float64Array, background: number): Float64Array {
  let darkest = 0;
  for (const value of ink) darkest = Math.max(darkest, value);
  const range = darkest - background;
  if (range <= 0.05) return new Float64Array(ink.length);
  const floor = background + INK_FLOOR * range;
  return ink.map((value) =>
    value <= floor ? 0 : (value - floor) / (darkest - floor),
  );
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The smallest box holding every inked pixel; null when there is none. */
function inkBox(ink: Float64Array, width: number, height: number): Box | null {
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] === 0) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return right < 0 ? null : { left, top, right: right + 1, bottom: bottom + 1 };
}

/**
 * The box's ink scaled so that its longer side is INK_BOX pixels, by
 * averaging the area each output pixel covers (which keeps thin strokes
 * when shrinking a large drawing).
 */
function scaleToBox(ink: Float64Array, width: number, box: Box) {
  const boxWidth = box.right - box.left;
  const boxHeight = box.bottom - box.top;
  const scale = INK_BOX / Math.max(boxWidth, boxHeight);
  const outWidth = Math.max(1, Math.round(boxWidth * scale));
  const outHeight = Math.max(1, Math.round(boxHeight * scale));
  const pixels = new Float64Array(outWidth * outHeight);
  const stepX = boxWidth / outWidth;
  const stepY = boxHeight / outHeight;
  for (let oy = 0; oy < outHeight; oy++) {
    const y0 = box.top + oy * stepY;
    const y1 = y0 + stepY;
    for (let ox = 0; ox < outWidth; ox++) {
      const x0 = box.left + ox * stepX;
      const x1 = x0 + stepX;
      let sum = 0;
      // Rounding can put the last window's end a hair past the box's: a
      // row or column beyond it is another row's ink, or past the image.
      const yEnd = Math.min(Math.ceil(y1), box.bottom);
      const xEnd = Math.min(Math.ceil(x1), box.right);
      for (let y = Math.floor(y0); y < yEnd; y++) {
        const coverY = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < xEnd; x++) {
          const coverX = Math.min(x + 1, x1) - Math.max(x, x0);
          sum += ink[y * width + x] * coverX * coverY;
        }
      }
      pixels[oy * outWidth + ox] = sum / (stepX * stepY);
    }
  }
  return { pixels, width: outWidth, height: outHeight };
}

/** The ink in 28x28 bytes, moved so that its centre of mass is central. */
function centreByMass(
  pixels: Float64Array,
  width: number,
  height: number,
): Uint8Array {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const m = pixels[y * width + x];
      mass += m;
      sumX += m * (x + 0.5);
      sumY += m * (y + 0.5);
    }
  }
  // Where the box's corner goes so that the centre of mass lands at 14.
  const left = Math.round(DIGIT_SIDE / 2 - sumX / mass);
  const top = Math.round(DIGIT_SIDE / 2 - sumY / mass);
  const out = new Uint8Array(DIGIT_SIDE * DIGIT_SIDE);
  let darkest = 0;
  for (const value of pixels) darkest = Math.max(darkest, value);
  for (let y = 0; y < height; y++) {
    const ty = top + y;
    if (ty < 0 || ty >= DIGIT_SIDE) continue;
    for (let x = 0; x < width; x++) {
      const tx = left + x;
      if (tx < 0 || tx >= DIGIT_SIDE) continue;
      out[ty * DIGIT_SIDE + tx] = Math.round(
        (255 * pixels[y * width + x]) / darkest,
      );
    }
  }
  return out;
}
