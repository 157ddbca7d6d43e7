// The workspace hands each size out again in the next workspace, zeroed,
// and nothing outside one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { floats, ints, withWorkspace } from './workspace.js';

describe('withWorkspace', () => {
  it('recycles the arrays of one workspace in the next, zeroed', () => {
    const first = withWorkspace(() => {
      const a = floats(5);
      a.fill(7);
      return a;
    });
    const second = withWorkspace(() => floats(5));
    assert.equal(second.buffer, first.buffer);
    assert.deepEqual([...second], [0, 0, 0, 0, 0]);
  });

  it('shares buffers between floats and ints of one byte length', () => {
    const first = withWorkspace(() => floats(3).fill(1));
    const second = withWorkspace(() => ints(3));
    assert.equal(second.buffer, first.buffer);
    assert.deepEqual([...second], [0, 0, 0]);
  });

  it('hands two arrays of one size in one workspace distinct buffers', () => {
    withWorkspace(() => [floats(4), floats(4)]);
    withWorkspace(() => {
      const [a, b] = [floats(4), floats(4)];
      assert.notEqual(a.buffer, b.buffer);
    });
  });

  it('joins a nested workspace to the outer one', () => {
    withWorkspace(() => {
      const outer = floats(6);
      withWorkspace(() => floats(2));
      // The inner one's end recycled nothing: a new array is fresh.
      assert.notEqual(floats(6).buffer, outer.buffer);
    });
  });

  it('gives fresh zeroed arrays outside a workspace', () => {
    withWorkspace(() => floats(8));
    const a = floats(8);
    const b = floats(8);
    assert.notEqual(a.buffer, b.buffer);
    assert.deepEqual([...a], new Array(8).fill(0));
  });

  it('refuses a length that is not a whole number, 0 or more', () => {
    for (const length of [1.5, -1, NaN, 2 ** 53]) {
      assert.throws(() => floats(length), /expected an array length/);
      assert.throws(
        () => withWorkspace(() => floats(length)),
        /expected an array length/,
      );
    }
  });

  it('refuses an async function, whose arrays would outlive it', () => {
    assert.throws(
      () => withWorkspace(async () => floats(4)),
      /not an async one/,
    );
    // The failed workspace ended: arrays are fresh again.
    const a = floats(8);
    assert.notEqual(a.buffer, floats(8).buffer);
  });
});
