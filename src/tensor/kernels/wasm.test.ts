// The WebAssembly kernels against the plain TypeScript ones, on random
// shapes (odd sizes, vectors not filled, runs of zeros) and on one and on
// two threads.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { Random } from '../../util/random.js';
import { cpuKernels } from './cpu.js';
import type { Kernels } from './kernels.js';
import { nodeWasmKernels } from './node.js';

const random = new Random(11);

/** Random normals, a fraction `zeros` of them in runs of exact zeros. */
function values(size: number, zeros: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size;) {
    const run = 1 + random.int(9);
    const zero = random.uniform() < zeros;
    for (const end = Math.min(size, i + run); i < end; i++) {
      out[i] = zero ? 0 : random.normal();
    }
  }
  return out;
}

/** Equal up to float32 rounding of sums of `terms` products of size ~1. */
function assertNear(actual: Float32Array, expected: Float32Array, terms = 1) {
  assert.equal(actual.length, expected.length);
  const tolerance = 4e-6 * Math.sqrt(terms) * 4;
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance * scale,
      `element ${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

const sets: [string, Kernels][] = [
  ['one thread', nodeWasmKernels(1)],
  ['two threads', nodeWasmKernels(2)],
];

for (const [name, wasm] of sets) {
  describe(`wasm kernels on ${name}`, () => {
    it('multiply like cpu for every transpose and odd sizes', () => {
      const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 40, 257];
      for (let trial = 0; trial < 60; trial++) {
        const [m, k, n] = [0, 1, 2].map(() => sizes[random.int(sizes.length)]);
        const transA = random.uniform() < 0.5;
        const transB = random.uniform() < 0.5;
        const zeros = [0, 0.5, 0.9, 1][random.int(4)];
        const a = values(m * k, zeros);
        const b = values(k * n, 0.1);
        assertNear(
          wasm.matMul(a, b, m, k, n, transA, transB),
          cpuKernels.matMul(a, b, m, k, n, transA, transB),
          k,
        );
      }
    });

    it('split large products across threads like cpu', () => {
      // Above the size at which products are split.
      for (const [m, k, n] of [
        [301, 97, 131],
        [129, 784, 10],
        [1000, 9, 8],
      ]) {
        for (const transA of [false, true]) {
          const a = values(m * k, 0.6);
          const b = values(k * n, 0);
          assertNear(
            wasm.matMul(a, b, m, k, n, transA, false),
            cpuKernels.matMul(a, b, m, k, n, transA, false),
            k,
          );
        }
      }
    });

    it('take Adam steps like cpu, odd lengths and weight decay included', () => {
      for (const size of [1, 3, 4, 13, 1000]) {
        const start = () => [values(size, 0), values(size, 0.2)];
        const [w1, g] = start();
        const [m1, v1] = [values(size, 0), values(size, 0).map(Math.abs)];
        const [w2, m2, v2] = [w1.slice(), m1.slice(), v1.slice()];
        const step = {
          step: 0.01 / (1 - 0.9 ** 3),
          unbias: 1 / (1 - 0.999 ** 3),
          beta1: 0.9,
          beta2: 0.999,
          epsilon: 1e-7,
          decay: size % 2 ? 0.01 : 0,
        };
        wasm.adam(w1, g, m1, v1, step);
        cpuKernels.adam(w2, g, m2, v2, step);
        assertNear(w1, w2);
        assertNear(m1, m2);
        assertNear(v1, v2);
      }
    });

    it('give exact zeros for all-zero rows and a zero-sized product', () => {
      const out = wasm.matMul(
        new Float32Array(12),
        values(12, 0),
        3,
        4,
        3,
        false,
        false,
      );
      assert.deepEqual([...out], new Array(9).fill(0));
      assert.equal(
        wasm.matMul(
          new Float32Array(0),
          new Float32Array(0),
          0,
          0,
          5,
          false,
          false,
        ).length,
        0,
      );
    });
  });
}
