// e^x in float64 for the softmax kernels, written so that this TypeScript
// and its AssemblyScript twin (wasm/softmax.ts) compute the very same
// bits: the same float64 operations in the same order, which JavaScript
// and WebAssembly both round as IEEE 754 says. Math.exp could not serve
// both: WebAssembly has no exp, and calling JavaScript's from it costs
// more than this whole function.
//
// x = k ln 2 + r with |r| <= ln(2) / 2, then e^x = 2^k e^r, e^r by its
// Taylor series to r^12 / 12! (the first term left out is below 2e-16 of
// the sum). Within 2 ulp of e^x; 0 below -745.2, Infinity above 709.79.

const LOG2E = 1.4426950408889634;
// ln 2 in two parts: LN2_HI has 16 significant bits, so k * LN2_HI is
// exact for every k here, and LN2_LO is the rest to float64 precision.
const LN2_HI = 0.693145751953125;
const LN2_LO = 1.4286068203094173e-6;

// 2^k for k from -1022 to 1023, from doubling, which is exact.
const POW2_MIN = -1022;
const POW2 = new Float64Array(1023 - POW2_MIN + 1);
POW2[-POW2_MIN] = 1;
for (let k = 1; k <= 1023; k++) POW2[k - POW2_MIN] = POW2[k - 1 - POW2_MIN] * 2;
for (let k = -1; k >= POW2_MIN; k--) {
  POW2[k - POW2_MIN] = POW2[k + 1 - POW2_MIN] / 2;
}

/** e^x, as wasm/softmax.ts computes it. */
export function exp64(x: number): number {
  if (!(x > -745.2)) return x === x ? 0 : x;
  if (x > 709.79) return Infinity;
  const k = Math.floor(x * LOG2E + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  // Horner's rule, highest term first: r^12 / 12! down to 1.
  let p = 1 / 479001600;
  p = p * r + 1 / 39916800;
  p = p * r + 1 / 3628800;
  p = p * r + 1 / 362880;
  p = p * r + 1 / 40320;
  p = p * r + 1 / 5040;
  p = p * r + 1 / 720;
  p = p * r + 1 / 120;
  p = p * r + 1 / 24;
  p = p * r + 1 / 6;
  p = p * r + 1 / 2;
  p = p * r + 1;
  p = p * r + 1;
  // Below 2^-1022 in two steps, so that each factor is a float64.
  if (k < POW2_MIN + 60)
    return p * POW2[k + 60 - POW2_MIN] * POW2[-60 - POW2_MIN];
  if (k > 1023) return p * 2 * POW2[k - 1 - POW2_MIN];
  return p * POW2[k - POW2_MIN];
}
