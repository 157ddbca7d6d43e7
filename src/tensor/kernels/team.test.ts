// The kernel team: a call that fails on a helper thread throws on the
// caller, and the team stays usable for the next call.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { engineHeap } from './heap.js';
import { instantiate, kernelModule } from './node.js';
import { createTeam } from './team.js';

describe('kernel team', () => {
  const module = kernelModule();
  const heap = engineHeap();
  const exports = instantiate(module, heap.memory);
  const team = createTeam(module, heap.memory, exports, 2);

  it('reports a helper failure once, then runs the next call', () => {
    const mark = heap.mark();
    const floats = 16;
    const at = heap.take(floats * 4 * 3);
    heap.f32.fill(1, at >> 2, (at >> 2) + floats * 3);
    // A [2, 4] by B [4, 4] into C [2, 4], one row per thread.
    const [a, b, c] = [at, at + 64, at + 128];
    const work = heap.take(256);
    const row = (start: number, end: number, from = a) => [
      from,
      b,
      c,
      4,
      4,
      start,
      end,
      work + start * 128,
    ];
    // The helper's row reads past the end of the memory.
    const outside = heap.memory.buffer.byteLength;
    assert.throws(
      () => team.run('matMulRows', [row(0, 1), row(1, 2, outside)]),
      /kernel team: matMulRows failed on a helper thread/,
    );
    team.run('matMulRows', [row(0, 1), row(1, 2)]);
    assert.deepEqual([...heap.floats(c, 8)], new Array(8).fill(4));
    heap.release(mark);
  });
});
