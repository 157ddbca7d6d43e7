// The seeded generator: reproducible, and its integers exactly the
// rejection-sampling definition.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Random } from './random.js';

describe('Random', () => {
  it('repeats a sequence for a seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  it('draws int(n) as x % n over x below the largest multiple of n', () => {
    const sizes = [1, 2, 3, 10, 55000, 2 ** 31 + 1, 3_000_000_019, 2 ** 32];
    for (const n of sizes) {
      const random = new Random(n);
      const reference = new Random(n);
      for (let i = 0; i < 2000; i++) {
        const limit = 2 ** 32 - (2 ** 32 % n);
        let x = reference.nextUint32();
        while (x >= limit) x = reference.nextUint32();
        assert.equal(random.int(n), x % n, `int(${n}), draw ${i}`);
      }
    }
  });

  it('rejects a range it cannot draw from', () => {
    const random = new Random(1);
    for (const n of [0, -1, 1.5, 2 ** 32 + 1, NaN]) {
      assert.throws(() => random.int(n), /expected 1\.\.2\^32/);
    }
  });

  it('shuffles to a permutation', () => {
    const items = new Uint32Array(1000).map((_, i) => i);
    new Random(3).shuffle(items);
    assert.deepEqual(
      [...items].sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.notDeepEqual(
      [...items.subarray(0, 10)],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });
});
