import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { float32ToString } from './format.js';

describe('float32ToString', () => {
  it('prints the shortest decimal that is the same float32', () => {
    assert.equal(float32ToString(Math.fround(0.8951)), '0.8951');
    assert.equal(float32ToString(0.89), '0.89');
    assert.equal(float32ToString(1), '1');
    assert.equal(float32ToString(0), '0');
    assert.equal(float32ToString(Math.fround(1 / 3)), '0.33333334');
    assert.equal(float32ToString(NaN), 'NaN');
  });
});
