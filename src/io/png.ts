// Writes grey-scale digits as PNG files (through pngjs), drawn as the lab's
// plt.imshow(cmap='Greys') draws them: ink black on white, pixels as
// squares.

import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

/**
 * Encodes `pixels` ([rows, cols] bytes, 255 = full ink) as a PNG with each
 * pixel drawn as a `scale` x `scale` square.
 */
export function digitPng(
  pixels: Uint8Array,
  rows: number,
  cols: number,
  scale = 10,
): Uint8Array {
  const png = new PNG({
    width: cols * scale,
    height: rows * scale,
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
  });
  // pngjs takes RGBA input unless told otherwise; grey input is 1 byte.
  const image = Buffer.alloc(rows * scale * cols * scale);
  for (let y = 0; y < rows * scale; y++) {
    for (let x = 0; x < cols * scale; x++) {
      const ink = pixels[Math.floor(y / scale) * cols + Math.floor(x / scale)];
      image[y * cols * scale + x] = 255 - ink;
    }
  }
  png.data = image;
  return PNG.sync.write(png, {
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
  });
}

/** Writes digitPng(...) to `path`. */
export function writeDigitPng(
  path: string,
  pixels: Uint8Array,
  rows: number,
  cols: number,
): void {
  writeFileSync(path, digitPng(pixels, rows, cols));
}
