// The engine heap: the arena's marks and resets, chunks of every size,
// growth that keeps old views valid, lasting blocks, and the workspace
// and kernels handing out and using its arrays in place.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { cpuKernels } from './cpu.js';
import { engineHeap, Heap } from './heap.js';
import { nodeWasmKernels } from './node.js';
import {
  bytes,
  floats,
  ints,
  lastingFloats,
  withWorkspace,
} from './workspace.js';

const MiB = 1 << 20;

function smallHeap(): Heap {
  return new Heap(
    new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true }),
  );
}

describe('Heap', () => {
  it('takes aligned, disjoint blocks and gives them back by mark', () => {
    const heap = smallHeap();
    const a = heap.take(10);
    const b = heap.take(1);
    assert.equal(a % 64, 0);
    assert.equal(b, a + 64);
    const mark = heap.mark();
    const c = heap.take(100);
    assert.equal(c, b + 64);
    heap.release(mark);
    assert.equal(heap.take(100), c);
    heap.reset();
    assert.equal(heap.take(10), a);
  });

  it('starts a new chunk when a block does not fit, and reuses it after a reset', () => {
    const heap = smallHeap();
    const first = heap.take(3 * MiB);
    const second = heap.take(3 * MiB);
    assert.ok(second >= first + 4 * MiB);
    const huge = heap.take(9 * MiB);
    heap.reset();
    assert.equal(heap.take(3 * MiB), first);
    assert.equal(heap.take(3 * MiB), second);
    assert.equal(heap.take(9 * MiB), huge);
  });

  it('grows its memory and keeps older views valid and its own', () => {
    const heap = smallHeap();
    const early = heap.stepFloats(4, true);
    early.set([1, 2, 3, 4]);
    const late = heap.stepFloats(10 * MiB, true);
    late[late.length - 1] = 5;
    assert.deepEqual([...early], [1, 2, 3, 4]);
    assert.notEqual(early.buffer, late.buffer);
    assert.equal(heap.offsetOf(early), early.byteOffset);
    assert.equal(heap.offsetOf(late), late.byteOffset);
    assert.equal(heap.offsetOf(new Float32Array(4)), null);
    assert.equal(heap.floats(late.byteOffset, late.length)[late.length - 1], 5);
  });

  it('zeroes the arrays it hands out again unless told not to', () => {
    const heap = smallHeap();
    heap.stepFloats(3, false).fill(7);
    heap.reset();
    assert.deepEqual([...heap.stepFloats(3, true)], [0, 0, 0]);
    heap.reset();
    heap.stepInts(2, false).fill(-1);
    heap.reset();
    assert.deepEqual([...heap.stepBytes(8, true)], new Array(8).fill(0));
  });

  it('copies a view in unless it lives in the heap already', () => {
    const heap = smallHeap();
    const inside = heap.stepFloats(3, false);
    assert.equal(heap.place(inside), inside.byteOffset);
    const outside = Float32Array.of(1.5, -2, 3);
    const at = heap.place(outside.subarray(1));
    assert.deepEqual([...heap.floats(at, 2)], [-2, 3]);
    const pixels = Uint8Array.of(0, 255, 7);
    const byteAt = heap.place(pixels);
    assert.deepEqual([...heap.u8.subarray(byteAt, byteAt + 3)], [0, 255, 7]);
  });

  it('keeps lasting arrays out of the arena', () => {
    const heap = smallHeap();
    const weights = heap.lastingFloats(5);
    weights.fill(3);
    heap.reset();
    heap.stepFloats(5, true);
    heap.stepFloats(1000, true);
    assert.deepEqual([...weights], [3, 3, 3, 3, 3]);
    assert.equal(heap.offsetOf(weights), weights.byteOffset);
    const big = heap.lastingFloats(2 * MiB);
    assert.ok(big.every((value) => value === 0));
  });

  it('refuses to grow past 4 GiB with a clear message', () => {
    const heap = smallHeap();
    assert.throws(
      () => heap.take(2 ** 32),
      new RegExp(
        'engine memory: expected room for 4294967296 more bytes but ' +
          'found the 4 GiB WebAssembly memory full',
      ),
    );
  });
});

describe('the workspace on the engine heap', () => {
  const heap = engineHeap();

  it('hands out arrays in the heap inside a workspace only', () => {
    withWorkspace(() => {
      for (const array of [floats(3), ints(3), bytes(3)]) {
        assert.notEqual(heap.offsetOf(array), null);
      }
    });
    assert.equal(heap.offsetOf(floats(3)), null);
  });

  it('hands the same memory to the next workspace', () => {
    const first = withWorkspace(() => floats(16).fill(2));
    const second = withWorkspace(() => floats(16));
    assert.equal(second.byteOffset, first.byteOffset);
    assert.deepEqual([...second], new Array(16).fill(0));
  });

  it('makes lasting arrays in the heap that no workspace reuses', () => {
    const lasting = lastingFloats(4);
    assert.notEqual(heap.offsetOf(lasting), null);
    lasting.fill(1);
    withWorkspace(() => floats(4).fill(9));
    assert.deepEqual([...lasting], [1, 1, 1, 1]);
  });

  it('lets the kernels write results in place and read inputs in place', () => {
    const wasm = nodeWasmKernels(1);
    const a = Float32Array.of(1, 2, 3, 4, 5, 6);
    const b = Float32Array.of(1, 0, 0, 1, 1, 1);
    const expected = cpuKernels.matMul(a, b, 2, 3, 2, false, false);
    withWorkspace(() => {
      const aInHeap = floats(6);
      aInHeap.set(a);
      const out = wasm.matMul(aInHeap, b, 2, 3, 2, false, false);
      assert.notEqual(heap.offsetOf(out), null);
      assert.deepEqual(out, expected);
    });
    const outside = wasm.matMul(a, b, 2, 3, 2, false, false);
    assert.equal(heap.offsetOf(outside), null);
    assert.deepEqual(outside, expected);
  });
});
