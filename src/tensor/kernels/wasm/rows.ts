// A vector across the rows of a matrix, in AssemblyScript: adding a bias
// to each row, and summing the rows (a bias's gradient). float32 adds in
// row order, as cpu.ts does them, so the same bits. Pointers are in bytes.

/** out[r, :] = a[r, :] + b for each of `rows` rows of `columns` floats. */
export function addRows(
  a: usize,
  b: usize,
  out: usize,
  rows: i32,
  columns: i32,
): void {
  const stride = <usize>columns << 2;
  for (let r = 0; r < rows; r++) {
    const x = a + <usize>r * stride;
    const y = out + <usize>r * stride;
    let c = 0;
    for (; c + 4 <= columns; c += 4) {
      const at = <usize>c << 2;
      v128.store(y + at, f32x4.add(v128.load(x + at), v128.load(b + at)));
    }
    for (; c < columns; c++) {
      const at = <usize>c << 2;
      store<f32>(y + at, load<f32>(x + at) + load<f32>(b + at));
    }
  }
}

/** out[:] = the sum of the `rows` rows of x, taken in order. */
export function sumRows(x: usize, out: usize, rows: i32, columns: i32): void {
  const stride = <usize>columns << 2;
  let c = 0;
  for (; c + 4 <= columns; c += 4) {
    const at = <usize>c << 2;
    let sum = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      sum = f32x4.add(sum, v128.load(x + <usize>r * stride + at));
    }
    v128.store(out + at, sum);
  }
  for (; c < columns; c++) {
    const at = <usize>c << 2;
    let sum: f32 = 0;
    for (let r = 0; r < rows; r++) sum += load<f32>(x + <usize>r * stride + at);
    store<f32>(out + at, sum);
  }
}
