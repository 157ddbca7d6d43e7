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
