// A seeded pseudo-random generator (xoshiro128**, seeded through
// splitmix32), so that one seed reproduces a whole run byte for byte.
// Not cryptographic, and not NumPy's Mersenne Twister: the lab's exact
// random draws cannot be reproduced, only its distributions.

/** Where a generator is in its sequence; restore() takes it back there. */
export interface RandomState {
  /** xoshiro128**'s four 32-bit words. */
  words: [number, number, number, number];
  /** The second normal of the last Box-Muller pair, if not yet taken. */
  spareNormal: number | null;
}

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /** Any integer seed; equal seeds give equal sequences. */
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A generator for one purpose (init, shuffle, sampling) of a seed. */
  static stream(seed: number, purpose: number): Random {
    return new Random((Math.imul(seed >>> 0, 0x2c1b3c6d) ^ purpose) >>> 0);
  }

  /** The generator's state, for a checkpoint. */
  state(): RandomState {
    return {
      words: [this.s0, this.s1, this.s2, this.s3],
      spareNormal: this.spareNormal,
    };
  }

  /** Goes back to a state() taken from any generator. */
  restore(state: RandomState): void {
    const { words, spareNormal } = state;
    const word = (w: unknown) =>
      Number.isInteger(w) && Math.abs(w as number) < 2 ** 32;
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every(word) ||
      words.every((w) => w === 0) ||
      !(spareNormal === null || Number.isFinite(spareNormal))
    ) {
      throw new RangeError(
        'Random.restore: expected four 32-bit words, not all 0, and a ' +
          `finite spare normal or null but found ${JSON.stringify(state)}`,
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w | 0);
    this.spareNormal = spareNormal;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal N(0, 1) by the Box-Muller transform. */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new RangeError(`Random.int: expected 1..2^32, found ${n}`);
    }
    const limit = 4294967296 - remainder(4294967296, n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return remainder(x, n);
  }

  /** Shuffles in place (Fisher-Yates) and returns the same array. */
  shuffle<T extends { length: number; [i: number]: number }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = items[i];
      items[i] = items[j];
      items[j] = swap;
    }
    return items;
  }
}

/**
 * x % n for integers 0 <= x <= 2^32 and 0 < n <= 2^32, without the float
 * modulo V8 makes a library call of (it dominated shuffling). The quotient
 * is off by less than 1/n, so floor() gives the true one.
 */
function remainder(x: number, n: number): number {
  return x - Math.floor(x / n) * n;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
