// exp64 against Math.exp: within 2 ulp, and the edges where it must be
// exactly what e^x rounds to.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Random } from '../../util/random.js';
import { exp64 } from './exp.js';

/** How many float64 values lie between a and b (both finite, same sign). */
function ulps(a: number, b: number): number {
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const gap = bits[0] - bits[1];
  return Number(gap < 0n ? -gap : gap);
}

describe('exp64', () => {
  it('stays within 2 ulp of Math.exp over the float64 range', () => {
    const random = new Random(5);
    for (let i = 0; i < 100_000; i++) {
      // Mostly softmax's arguments (x - max, at most 0), some anywhere.
      const x =
        i % 4 === 0 ? (random.uniform() - 0.5) * 1400 : -random.uniform() * 50;
      const want = Math.exp(x);
      if (want < 1e-300 || want === Infinity) continue;
      assert.ok(ulps(exp64(x), want) <= 2, `exp64(${x})`);
    }
  });

  it('gives the edges exactly', () => {
    assert.equal(exp64(0), 1);
    assert.equal(exp64(-0), 1);
    assert.equal(exp64(-Infinity), 0);
    assert.equal(exp64(-746), 0);
    assert.equal(exp64(-745.1), Number.MIN_VALUE);
    assert.equal(exp64(709.8), Infinity);
    assert.equal(exp64(Infinity), Infinity);
    assert.ok(Number.isNaN(exp64(NaN)));
    assert.ok(exp64(709.78) > 1.79e308);
  });
});
