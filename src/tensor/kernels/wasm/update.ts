// Optimizer updates for the WebAssembly kernel set, in AssemblyScript:
// elementwise over float32 arrays in place, four lanes at a time.

/**
 * One Adam step over n weights at `data` with gradients at `grad` and
 * moments at m and v: g = grad + decay * w, m = beta1 m + (1 - beta1) g,
 * v = beta2 v + (1 - beta2) g², w -= step * m / (sqrt(v * unbias) + eps),
 * where step = lr / (1 - beta1^t) and unbias = 1 / (1 - beta2^t).
 */
export function adam(
  data: usize,
  grad: usize,
  m: usize,
  v: usize,
  n: i32,
  step: f32,
  unbias: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  decay: f32,
): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const keep1 = f32x4.splat(<f32>1 - beta1);
  const keep2 = f32x4.splat(<f32>1 - beta2);
  const s = f32x4.splat(step);
  const u = f32x4.splat(unbias);
  const e = f32x4.splat(epsilon);
  const d = f32x4.splat(decay);
  const vectorBytes = <usize>(n & ~3) << 2;
  for (let at: usize = 0; at < vectorBytes; at += 16) {
    const w = v128.load(data + at);
    const g = f32x4.add(v128.load(grad + at), f32x4.mul(d, w));
    const mt = f32x4.add(f32x4.mul(b1, v128.load(m + at)), f32x4.mul(keep1, g));
    const g2 = f32x4.mul(g, g);
    const vt = f32x4.add(f32x4.mul(b2, v128.load(v + at)), f32x4.mul(keep2, g2));
    const root = f32x4.add(f32x4.sqrt(f32x4.mul(vt, u)), e);
    v128.store(m + at, mt);
    v128.store(v + at, vt);
    v128.store(data + at, f32x4.sub(w, f32x4.div(f32x4.mul(s, mt), root)));
  }
  for (let at = vectorBytes; at < <usize>n << 2; at += 4) {
    const w = load<f32>(data + at);
    const g = load<f32>(grad + at) + decay * w;
    const mt = beta1 * load<f32>(m + at) + (<f32>1 - beta1) * g;
    const vt = beta2 * load<f32>(v + at) + (<f32>1 - beta2) * g * g;
    store<f32>(m + at, mt);
    store<f32>(v + at, vt);
    store<f32>(data + at, w - (step * mt) / (sqrt<f32>(vt * unbias) + epsilon));
  }
}

/**
 * One gradient-descent step over n weights at `data` with gradients at
 * `grad`: w -= learningRate * (g + decay * w), in double precision and
 * rounded once to float32, exactly as the plain TypeScript loop does.
 */
export function sgd(
  data: usize,
  grad: usize,
  n: i32,
  learningRate: f64,
  decay: f64,
): void {
  const rate = f64x2.splat(learningRate);
  const d = f64x2.splat(decay);
  const vectorBytes = <usize>(n & ~3) << 2;
  for (let at: usize = 0; at < vectorBytes; at += 16) {
    const w = v128.load(data + at);
    const g = v128.load(grad + at);
    // Lanes 2 and 3 moved down, to be widened like lanes 0 and 1.
    const wHigh = i32x4.shuffle(w, w, 2, 3, 0, 1);
    const gHigh = i32x4.shuffle(g, g, 2, 3, 0, 1);
    const low = descend(f64x2.promote_low_f32x4(w), f64x2.promote_low_f32x4(g), rate, d);
    const high = descend(f64x2.promote_low_f32x4(wHigh), f64x2.promote_low_f32x4(gHigh), rate, d);
    const lows = f32x4.demote_f64x2_zero(low);
    const highs = f32x4.demote_f64x2_zero(high);
    v128.store(data + at, i32x4.shuffle(lows, highs, 0, 1, 4, 5));
  }
  for (let at = vectorBytes; at < <usize>n << 2; at += 4) {
    const w = <f64>load<f32>(data + at);
    const g = <f64>load<f32>(grad + at);
    store<f32>(data + at, <f32>(w - learningRate * (g + decay * w)));
  }
}

/** w - rate * (g + decay * w), two doubles at a time. */
// @ts-ignore: AssemblyScript's decorator
@inline
function descend(w: v128, g: v128, rate: v128, decay: v128): v128 {
  return f64x2.sub(w, f64x2.mul(rate, f64x2.add(g, f64x2.mul(decay, w))));
}
