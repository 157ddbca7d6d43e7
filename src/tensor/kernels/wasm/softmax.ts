// Softmax and the lab's literal cross-entropy, in AssemblyScript, rounding
// step by step as cpu.ts does: float64 arithmetic stored to float32 where
// the plain kernels store to a Float32Array. exp and log are JavaScript's
// own Math.exp and Math.log, imported, so that every kernel set gets the
// same bits. Pointers are in bytes; rows are [rows, classes] float32.

// @ts-ignore: AssemblyScript's decorator
@external("Math", "exp")
declare function exp(x: f64): f64;

// @ts-ignore: AssemblyScript's decorator
@external("Math", "log")
declare function log(x: f64): f64;

/** probs = softmax of each row of `logits`. */
export function softmaxRows(
  logits: usize,
  probs: usize,
  rows: i32,
  classes: i32,
): void {
  for (let r = 0; r < rows; r++) {
    const x = logits + (<usize>(r * classes) << 2);
    const y = probs + (<usize>(r * classes) << 2);
    // Subtracting the maximum keeps exp() from overflowing.
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      max = Math.max(max, <f64>load<f32>(x + (<usize>c << 2)));
    }
    let total: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const e = exp(<f64>load<f32>(x + (<usize>c << 2)) - max);
      store<f32>(y + (<usize>c << 2), <f32>e);
      total += e;
    }
    for (let c = 0; c < classes; c++) {
      const at = y + (<usize>c << 2);
      store<f32>(at, <f32>(<f64>load<f32>(at) / total));
    }
  }
}

/**
 * mean(-sum(oneHot * log(probs), 1)) for probs = softmax(logits), written
 * to `probs`; returns the loss. A zero label skips its log unless its
 * probability is 0 or NaN, where the chain's 0 * log(p) is NaN.
 */
export function literalCrossEntropy(
  logits: usize,
  oneHot: usize,
  probs: usize,
  rows: i32,
  classes: i32,
): f32 {
  softmaxRows(logits, probs, rows, classes);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const base = <usize>(r * classes) << 2;
    let sum: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const at = base + (<usize>c << 2);
      const y = <f64>load<f32>(oneHot + at);
      const p = <f64>load<f32>(probs + at);
      if (y != 0) sum += <f64>(<f32>(y * <f64>(<f32>log(p))));
      else if (!(p > 0)) sum = NaN;
    }
    total += -<f64>(<f32>sum);
  }
  return <f32>(<f64>(<f32>total) * (1 / <f64>rows));
}

/** The gradient of literalCrossEntropy's loss, scaled by dLoss. */
export function literalCrossEntropyGrad(
  probs: usize,
  oneHot: usize,
  dLoss: f64,
  dLogits: usize,
  rows: i32,
  classes: i32,
): void {
  // Back through mean and neg: each term's gradient.
  const dTerm = -<f64>(<f32>(dLoss * (1 / <f64>rows)));
  for (let r = 0; r < rows; r++) {
    const base = <usize>(r * classes) << 2;
    // Back through mul and log, then softmax.
    let dot: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const at = base + (<usize>c << 2);
      const p = <f64>load<f32>(probs + at);
      const y = <f64>load<f32>(oneHot + at);
      const dProb = <f64>(<f32>(<f64>(<f32>(dTerm * y)) / p));
      store<f32>(dLogits + at, <f32>dProb);
      dot += dProb * p;
    }
    for (let c = 0; c < classes; c++) {
      const at = base + (<usize>c << 2);
      const p = <f64>load<f32>(probs + at);
      store<f32>(dLogits + at, <f32>(p * (<f64>load<f32>(dLogits + at) - dot)));
    }
  }
}
