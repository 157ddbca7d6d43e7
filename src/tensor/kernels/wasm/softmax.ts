// Softmax and the lab's literal cross-entropy, in AssemblyScript, rounding
// step by step as cpu.ts does: float64 arithmetic stored to float32 where
// the plain kernels store to a Float32Array. exp is exp.ts's exp64, step
// for step; log is JavaScript's own Math.log, imported (a call per row),
// so that every kernel set gets the same bits. Pointers are in bytes;
// rows are [rows, classes] float32.

const LOG2E: f64 = 1.4426950408889634;
const LN2_HI: f64 = 0.693145751953125;
const LN2_LO: f64 = 1.4286068203094173e-6;

/** 2^k for k from -1022 to 1023: its float64 bits. */
// @ts-ignore: AssemblyScript's decorator
@inline
function pow2(k: i32): f64 {
  return reinterpret<f64>(<i64>(k + 1023) << 52);
}

/** e^x, as exp.ts's exp64 computes it (see there). */
// @ts-ignore: AssemblyScript's decorator
@inline
function exp(x: f64): f64 {
  if (!(x > -745.2)) return x == x ? 0 : x;
  if (x > 709.79) return Infinity;
  const k = Math.floor(x * LOG2E + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p: f64 = 1.0 / 479001600;
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 1.0 / 2;
  p = p * r + 1;
  p = p * r + 1;
  const n = <i32>k;
  if (n < -1022 + 60) return p * pow2(n + 60) * pow2(-60);
  if (n > 1023) return p * 2 * pow2(n - 1);
  return p * pow2(n);
}

// @ts-ignore: AssemblyScript's decorator
@external("Math", "log")
declare function log(x: f64): f64;

/**
 * exp() of both lanes at once, for lanes in [-708, 709], where 2^k is a
 * normal float64 and one product scales by it: the same operations as
 * exp(), lane by lane, so the same bits.
 */
// @ts-ignore: AssemblyScript's decorator
@inline
function expLanes(x: v128): v128 {
  const k = f64x2.floor(
    f64x2.add(f64x2.mul(x, f64x2.splat(LOG2E)), f64x2.splat(0.5)),
  );
  const r = f64x2.sub(
    f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI))),
    f64x2.mul(k, f64x2.splat(LN2_LO)),
  );
  let p = f64x2.splat(1.0 / 479001600);
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 39916800));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 3628800));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 362880));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 40320));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 5040));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 720));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 120));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 24));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 6));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 2));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1));
  // 2^k from its bits: (k + 1023) << 52.
  const wide = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k));
  const scale = i64x2.shl(i64x2.add(wide, i64x2.splat(1023)), 52);
  return f64x2.mul(p, scale);
}

/** probs = softmax of each row of `logits`, two classes at a time. */
export function softmaxRows(
  logits: usize,
  probs: usize,
  rows: i32,
  classes: i32,
): void {
  const low = f64x2.splat(-708);
  const high = f64x2.splat(709);
  for (let r = 0; r < rows; r++) {
    const x = logits + (<usize>(r * classes) << 2);
    const y = probs + (<usize>(r * classes) << 2);
    // Subtracting the maximum keeps exp() from overflowing.
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      max = Math.max(max, <f64>load<f32>(x + (<usize>c << 2)));
    }
    const maxes = f64x2.splat(max);
    let total: f64 = 0;
    let c = 0;
    for (; c + 2 <= classes; c += 2) {
      const at = <usize>c << 2;
      const d = f64x2.sub(
        f64x2.promote_low_f32x4(v128.load64_zero(x + at)),
        maxes,
      );
      // Outside [-708, 709], or NaN: lane by lane.
      const inRange = v128.and(f64x2.ge(d, low), f64x2.le(d, high));
      const e = i64x2.all_true(inRange)
        ? expLanes(d)
        : f64x2(
            exp(f64x2.extract_lane(d, 0)),
            exp(f64x2.extract_lane(d, 1)),
          );
      v128.store64_lane(y + at, f32x4.demote_f64x2_zero(e), 0);
      // Summed in order, as cpu.ts sums.
      total += f64x2.extract_lane(e, 0);
      total += f64x2.extract_lane(e, 1);
    }
    if (c < classes) {
      const e = exp(<f64>load<f32>(x + (<usize>c << 2)) - max);
      store<f32>(y + (<usize>c << 2), <f32>e);
      total += e;
    }
    const totals = f64x2.splat(total);
    c = 0;
    for (; c + 2 <= classes; c += 2) {
      const at = y + (<usize>c << 2);
      const e = f64x2.promote_low_f32x4(v128.load64_zero(at));
      v128.store64_lane(at, f32x4.demote_f64x2_zero(f64x2.div(e, totals)), 0);
    }
    if (c < classes) {
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
      // As cpu.ts: a zero label over a positive probability divides to
      // the numerator itself.
      const scaled = <f64>(<f32>(dTerm * y));
      const dProb = y == 0 && p > 0 ? scaled : <f64>(<f32>(scaled / p));
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
