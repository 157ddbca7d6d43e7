// The WebAssembly kernels against the plain TypeScript ones, on random
// shapes (odd sizes, vectors not filled, runs of zeros, strides 1 and 2,
// same and valid padding), on one and on two threads, with arrays copied
// in from outside the engine heap and with arrays in it (in a workspace).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { Random } from '../../util/random.js';
import { windowGeometry, type Padding, type WindowGeometry } from '../shape.js';
import { cpuKernels } from './cpu.js';
import type { Kernels } from './kernels.js';
import { nodeWasmKernels } from './node.js';
import { floats, withWorkspace } from './workspace.js';

const random = new Random(11);

/**
 * Random normals, a fraction `zeros` of them in runs of exact zeros; in
 * the engine heap inside a workspace.
 */
function values(size: number, zeros: number): Float32Array {
  const out = floats(size);
  for (let i = 0; i < size;) {
    const run = 1 + random.int(9);
    const zero = random.uniform() < zeros;
    for (const end = Math.min(size, i + run); i < end; i++) {
      out[i] = zero ? 0 : random.normal();
    }
  }
  return out;
}

/** `count` images of `width` bytes, about four fifths zeros, as MNIST. */
function pixelSet(count: number, width: number): Uint8Array {
  return Uint8Array.from({ length: count * width }, () =>
    random.uniform() < 0.8 ? 0 : 1 + random.int(255),
  );
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

/** A random window over a random NHWC input; null if it does not fit. */
function randomGeometry(
  channels: number,
  batch = 1 + random.int(3),
): WindowGeometry | null {
  const [inHeight, inWidth] = [1, 2].map(() => 1 + random.int(9));
  const window: [number, number] = [1 + random.int(5), 1 + random.int(4)];
  const strides: [number, number] = [1 + random.int(2), 1 + random.int(2)];
  const padding: Padding = random.uniform() < 0.5 ? 'same' : 'valid';
  try {
    const xShape = [batch, inHeight, inWidth, channels];
    return windowGeometry('test', xShape, window, strides, padding);
  } catch {
    return null;
  }
}

/** The geometry of a stride-1 window over [batch, size, size, channels]. */
function square(
  batch: number,
  size: number,
  channels: number,
  window: number,
  padding: Padding,
  strides = 1,
): WindowGeometry {
  const xShape = [batch, size, size, channels];
  return windowGeometry('test', xShape, [window, window], strides, padding);
}

const inputSize = (g: WindowGeometry) =>
  g.batch * g.inHeight * g.inWidth * g.channels;
const outputPixels = (g: WindowGeometry) => g.batch * g.outHeight * g.outWidth;

/** conv2d and every combination of its gradients, wasm against cpu. */
function assertConvLikeCpu(
  wasm: Kernels,
  g: WindowGeometry,
  outChannels: number,
  zeros: number,
) {
  const x = values(inputSize(g), zeros);
  const k = g.windowHeight * g.windowWidth * g.channels;
  const filters = values(k * outChannels, 0);
  const bias = random.uniform() < 0.5 ? values(outChannels, 0) : null;
  assertNear(
    wasm.conv2d(x, filters, bias, g, outChannels),
    cpuKernels.conv2d(x, filters, bias, g, outChannels),
    k,
  );
  // dOut as after max pooling and ReLU: mostly zero.
  const dOut = values(outputPixels(g) * outChannels, 0.8);
  for (const needs of [
    { x: true, filters: true, bias: true },
    { x: false, filters: true, bias: false },
    { x: true, filters: false, bias: false },
    { x: false, filters: false, bias: true },
  ]) {
    const got = wasm.conv2dGrad(x, filters, dOut, g, outChannels, needs);
    const want = cpuKernels.conv2dGrad(x, filters, dOut, g, outChannels, needs);
    const pixels = outputPixels(g);
    for (const key of ['dX', 'dFilters', 'dBias'] as const) {
      const [actual, expected] = [got[key], want[key]];
      if (expected === null) {
        assert.equal(actual, null, key);
      } else {
        assert.ok(actual !== null, key);
        assertNear(actual, expected, key === 'dX' ? outChannels : pixels);
      }
    }
  }
}

/** Max pooling and its gradient, wasm against cpu; argMax exactly. */
function assertMaxPoolLikeCpu(wasm: Kernels, g: WindowGeometry) {
  // Few distinct values: many ties, which go to the first maximum.
  const x = values(inputSize(g), 0.3).map((v) => Math.round(v * 2) / 2);
  const got = wasm.maxPool(x, g);
  const want = cpuKernels.maxPool(x, g);
  assert.deepEqual(got.out, want.out);
  assert.deepEqual(got.argMax, want.argMax);
  const dOut = values(want.out.length, 0.3);
  assert.deepEqual(
    wasm.maxPoolGrad(dOut, want.argMax, g),
    cpuKernels.maxPoolGrad(dOut, want.argMax, g),
  );
}

const sets: [string, Kernels][] = [
  ['one thread', nodeWasmKernels(1)],
  ['two threads', nodeWasmKernels(2)],
];

const placements: [string, <T>(fn: () => T) => T][] = [
  ['arrays copied in', (fn) => fn()],
  ['arrays in the heap', withWorkspace],
];

for (const [name, wasm] of sets) {
  for (const [where, within] of placements) {
    describe(`wasm kernels on ${name}, ${where}`, () => {
      it('multiply like cpu for every transpose and odd sizes', () =>
        within(() => {
          const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 40, 257];
          for (let trial = 0; trial < 60; trial++) {
            const [m, k, n] = [0, 1, 2].map(
              () => sizes[random.int(sizes.length)],
            );
            const transA = random.uniform() < 0.5;
            const transB = random.uniform() < 0.5;
            const zeros = [0, 0.5, 0.9, 1][random.int(4)];
            const a = values(m * k, zeros);
            const b = values(k * n, 0.1);
            // Same terms, same order, same roundings: the same bits.
            assert.deepEqual(
              wasm.matMul(a, b, m, k, n, transA, transB),
              cpuKernels.matMul(a, b, m, k, n, transA, transB),
            );
          }
        }));

      it('multiply pixel bytes like cpu, in place or picked by row', () =>
        within(() => {
          const sizes = [1, 2, 3, 5, 8, 10, 17, 33, 100, 784];
          for (let trial = 0; trial < 40; trial++) {
            const [m, k, n] = [0, 1, 2].map(
              () => sizes[random.int(sizes.length)],
            );
            const transA = random.uniform() < 0.5;
            // A [m, k] (or Aᵀ, [k, m]): `count` rows of `width` bytes.
            const [count, width] = transA ? [k, m] : [m, k];
            const images = count + random.int(5);
            const set = pixelSet(images, width);
            const rows = Uint32Array.from({ length: count }, () =>
              random.int(images),
            );
            const own = set.slice(0, count * width);
            const b = values((transA ? count : width) * n, 0.1);
            const want = cpuKernels.matMulPixels(set, rows, b, m, k, n, transA);
            assert.deepEqual(
              wasm.matMulPixels(set, rows, b, m, k, n, transA),
              want,
            );
            assert.deepEqual(
              wasm.matMulPixels(own, null, b, m, k, n, transA),
              cpuKernels.matMulPixels(own, null, b, m, k, n, transA),
            );
          }
        }));

      it('take softmax and the literal cross-entropy like cpu, bit for bit', () =>
        within(() => {
          const same = (a: Float32Array, b: Float32Array) =>
            // Element by element: NaN is NaN whatever its sign bit.
            assert.deepEqual([...a], [...b]);
          for (const [rows, classes] of [
            [1, 1],
            [3, 10],
            [100, 10],
            [7, 13],
          ]) {
            // Wide logits, so that some probabilities underflow to 0, and
            // soft labels, some of them on those.
            const logits = values(rows * classes, 0.1).map((x) => x * 40);
            const oneHot = values(rows * classes, 0.5).map(Math.abs);
            for (const first of [1, NaN]) {
              logits[0] = first;
              const want = cpuKernels.literalCrossEntropy(
                logits,
                oneHot,
                rows,
                classes,
              );
              const got = wasm.literalCrossEntropy(
                logits,
                oneHot,
                rows,
                classes,
              );
              same(got.loss, want.loss);
              same(got.probs, want.probs);
              same(
                wasm.softmax(logits, rows, classes, 1),
                cpuKernels.softmax(logits, rows, classes, 1),
              );
              same(
                wasm.literalCrossEntropyGrad(
                  want.probs,
                  oneHot,
                  0.7,
                  rows,
                  classes,
                ),
                cpuKernels.literalCrossEntropyGrad(
                  want.probs,
                  oneHot,
                  0.7,
                  rows,
                  classes,
                ),
              );
            }
          }
        }));

      it('multiply infinities like cpu where A has no zeros, and on pixel rows', () =>
        within(() => {
          // k = 5 leaves a group of one column: nothing may stand for the
          // three past it (0 * Infinity would make the sum NaN).
          const b = Float32Array.of(1, 1, 1, 1, Infinity);
          for (const transA of [false, true]) {
            const a = Float32Array.of(1, 1, 1, 1, 1);
            const [m, k] = [1, 5];
            assert.deepEqual(
              wasm.matMul(a, b, m, k, 1, transA, false),
              cpuKernels.matMul(a, b, m, k, 1, transA, false),
            );
          }
          assert.throws(
            () =>
              wasm.matMulPixels(
                Uint8Array.of(1, 2, 3, 4),
                Uint32Array.of(0, 2),
                Float32Array.of(1, 2),
                2,
                2,
                1,
                false,
              ),
            /matMulPixels: expected rows below 2 but found 2/,
          );
          // Pixel rows skip their zeros, as cpu does, whatever B holds.
          const w = Float32Array.of(NaN, 2, -Infinity, 3);
          const set = Uint8Array.of(0, 255, 0, 0, 0, 0, 0, 255);
          const rows = Uint32Array.of(0, 1);
          for (const transA of [false, true]) {
            const [m, k, n] = transA ? [4, 2, 2] : [2, 4, 1];
            const bOf = transA ? Float32Array.of(1, NaN, 2, 3) : w;
            assert.deepEqual(
              [...wasm.matMulPixels(set, rows, bOf, m, k, n, transA)],
              [...cpuKernels.matMulPixels(set, rows, bOf, m, k, n, transA)],
            );
          }
        }));

      it('add a bias to rows and sum rows like cpu, bit for bit', () =>
        within(() => {
          for (const [rows, columns] of [
            [1, 1],
            [100, 10],
            [3, 7],
            [64, 256],
            [5, 5],
          ]) {
            const a = values(rows * columns, 0.2);
            const b = values(columns, 0);
            for (const bShape of [[columns], [1, columns]]) {
              const shape = [rows, columns];
              assert.deepEqual(
                wasm.binary('add', a, shape, b, bShape, shape),
                cpuKernels.binary('add', a, shape, b, bShape, shape),
              );
              assert.deepEqual(
                wasm.reduceToShape(a, shape, bShape),
                cpuKernels.reduceToShape(a, shape, bShape),
              );
            }
            // Not a bias: left to cpu, and still right.
            const column = values(rows, 0);
            assert.deepEqual(
              wasm.binary(
                'add',
                a,
                [rows, columns],
                column,
                [rows, 1],
                [rows, columns],
              ),
              cpuKernels.binary(
                'add',
                a,
                [rows, columns],
                column,
                [rows, 1],
                [rows, columns],
              ),
            );
            assert.deepEqual(
              wasm.reduceToShape(a, [rows, columns], [rows, 1]),
              cpuKernels.reduceToShape(a, [rows, columns], [rows, 1]),
            );
          }
        }));

      it('take gradient descent steps like cpu, weight decay included', () =>
        within(() => {
          for (const size of [1, 3, 4, 13, 1001]) {
            const w1 = values(size, 0);
            const w2 = w1.slice();
            const g = values(size, 0.2);
            const decay = size % 2 ? 0.01 : 0;
            wasm.sgd(w1, g, 0.1, decay);
            cpuKernels.sgd(w2, g, 0.1, decay);
            assert.deepEqual(w1, w2);
          }
        }));

      it('split large products across threads like cpu', () =>
        within(() => {
          // Above the size at which products are split.
          for (const [m, k, n] of [
            [301, 97, 131],
            [129, 784, 10],
            [1000, 9, 8],
          ]) {
            for (const transA of [false, true]) {
              const a = values(m * k, 0.6);
              const b = values(k * n, 0);
              assert.deepEqual(
                wasm.matMul(a, b, m, k, n, transA, false),
                cpuKernels.matMul(a, b, m, k, n, transA, false),
              );
            }
          }
        }));

      it('take Adam steps like cpu, odd lengths and weight decay included', () =>
        within(() => {
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
        }));

      it('convolve like cpu on random shapes, strides and paddings', () =>
        within(() => {
          const channelsList = [1, 2, 3, 4, 5, 8, 13];
          const filtersList = [1, 2, 3, 4, 5, 8, 9, 16, 33];
          for (let trial = 0; trial < 60; trial++) {
            const channels = channelsList[random.int(channelsList.length)];
            const g = randomGeometry(channels);
            if (g === null) continue;
            const outChannels = filtersList[random.int(filtersList.length)];
            assertConvLikeCpu(wasm, g, outChannels, [0, 0.5, 0.8][trial % 3]);
          }
        }));

      it('convolve like cpu on MNIST-sized batches, split across threads', () =>
        within(() => {
          // The two paths (input by input for few channels at stride 1, window
          // by window otherwise) over inputs large enough to be split.
          assertConvLikeCpu(wasm, square(50, 28, 1, 3, 'valid'), 8, 0.8);
          assertConvLikeCpu(wasm, square(9, 28, 1, 5, 'same'), 16, 0.8);
          assertConvLikeCpu(wasm, square(20, 13, 8, 3, 'valid'), 16, 0.25);
          assertConvLikeCpu(wasm, square(7, 14, 16, 5, 'same'), 32, 0.35);
          assertConvLikeCpu(wasm, square(24, 15, 3, 3, 'same', 2), 50, 0.5);
        }));

      it('max pool like cpu, ties and padding included', () =>
        within(() => {
          for (let trial = 0; trial < 60; trial++) {
            const g = randomGeometry(1 + random.int(9));
            if (g !== null) assertMaxPoolLikeCpu(wasm, g);
          }
          assertMaxPoolLikeCpu(wasm, square(64, 26, 8, 2, 'valid', 2));
          assertMaxPoolLikeCpu(wasm, square(70, 11, 16, 2, 'valid', 2));
          assertMaxPoolLikeCpu(wasm, square(20, 28, 16, 3, 'same', 2));
        }));

      it('apply ReLU and its gradient like cpu, NaN and -0 included', () =>
        within(() => {
          for (const size of [1, 7, 4099, 300001]) {
            const x = values(size, 0.2);
            x[0] = NaN;
            if (size > 1) x[1] = -0;
            const y = wasm.unary('relu', x);
            assert.deepEqual(y, cpuKernels.unary('relu', x));
            const dY = values(size, 0.2);
            dY[size - 1] = NaN;
            assert.deepEqual(
              wasm.unaryGrad('relu', y, dY),
              cpuKernels.unaryGrad('relu', y, dY),
            );
          }
        }));

      it('give exact zeros for all-zero rows and a zero-sized product', () =>
        within(() => {
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
        }));
    });
  }
}

describe('nodeWasmKernels', () => {
  it('refuses a thread count outside 1 to 256', () => {
    for (const threads of [0, -1, 1.5, NaN, 257]) {
      assert.throws(
        () => nodeWasmKernels(threads),
        /expected a thread count from 1 to 256 but found/,
      );
    }
  });
});
