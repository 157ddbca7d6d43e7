// Draws a grey-scale digit in a terminal with half-block characters: one
// character holds two pixel rows, so a 28x28 image is 28 columns by 14
// lines and keeps its shape. No colour, so it survives pipes and files.

// Bytes at or above this are ink (MNIST's strokes are dark-on-light
// inverted: 0 is background, 255 full ink).
const INK_THRESHOLD = 96;

const CELLS = [' ', '▄', '▀', '█'];

/** Lines of text for `pixels` ([rows, cols] bytes, row-major). */
export function digitArt(
  pixels: Uint8Array,
  rows: number,
  cols: number,
): string[] {
  const ink = (row: number, col: number) =>
    row < rows && pixels[row * cols + col] >= INK_THRESHOLD ? 1 : 0;
  const lines: string[] = [];
  for (let row = 0; row < rows; row += 2) {
    let line = '';
    for (let col = 0; col < cols; col++) {
      line += CELLS[ink(row, col) * 2 + ink(row + 1, col)];
    }
    lines.push(line);
  }
  return lines;
}
