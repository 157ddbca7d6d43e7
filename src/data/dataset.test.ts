// Tests of DataSet batching against TF1's next_batch, on fixture images
// that carry their own label and index in their first pixels.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { floats, withWorkspace } from '../tensor/kernels/workspace.js';
import { DataSet, type Batch } from './dataset.js';
import { fixtureLabel, fixturePixels } from './fixtures.js';

const SIZE = 4;

/** A set of `n` fixture examples of 2x2 pixels. */
function makeSet(n: number, oneHot = false, seed = 1): DataSet {
  const images = fixturePixels(0, n, 2, 2);
  const labels = new Uint8Array(n).map((_, i) => fixtureLabel(0, i));
  return new DataSet(images, labels, SIZE, { oneHot, seed });
}

/** File indices of a batch's examples, read back from pixels 1 and 2. */
function indicesOf(batch: Batch): number[] {
  const byte = (row: number, j: number) =>
    Math.round(batch.images[row * SIZE + j] * 255);
  return Array.from(
    { length: batch.size },
    (_, row) => byte(row, 1) + 256 * byte(row, 2),
  );
}

/** The file indices of `count` batches of `batchSize`, one after another. */
function stream(
  set: DataSet,
  batchSize: number,
  count: number,
  shuffle = true,
): number[] {
  const indices: number[] = [];
  for (let i = 0; i < count; i++) {
    indices.push(...indicesOf(set.nextBatch(batchSize, { shuffle })));
  }
  return indices;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

describe('DataSet', () => {
  it('keeps the bytes it was given, in file order', () => {
    const set = makeSet(6, true);
    assert.equal(set.numExamples, 6);
    assert.equal(set.imageSize, SIZE);
    assert.equal(set.numClasses, 10);
    assert.equal(set.oneHot, true);
    assert.equal(set.epochsCompleted, 0);
    assert.deepEqual(set.images, fixturePixels(0, 6, 2, 2));
    set.nextBatch(4);
    assert.deepEqual(set.images, fixturePixels(0, 6, 2, 2));
    assert.deepEqual(Array.from(set.labels), [0, 7, 4, 1, 8, 5]);
  });

  it('rejects images and labels of different lengths', () => {
    assert.throws(
      () =>
        new DataSet(new Uint8Array(7), new Uint8Array(2), 4, {
          oneHot: false,
          seed: 1,
        }),
      new RangeError(
        'DataSet: expected 2 images of 4 bytes for 2 labels but found 7 bytes',
      ),
    );
  });

  it('rejects labels outside 0..9', () => {
    assert.throws(
      () =>
        new DataSet(new Uint8Array(2), Uint8Array.from([3, 10]), 1, {
          oneHot: false,
          seed: 1,
        }),
      new RangeError('DataSet: expected labels 0 to 9 but found 10 at 1'),
    );
  });

  it('scales bytes to float32 exactly as TF1 does', () => {
    const images = Uint8Array.from({ length: 256 }, (_, i) => i);
    const set = new DataSet(images, new Uint8Array(64), 4, {
      oneHot: false,
      seed: 1,
    });
    const pixels = set.gather(0, 64).images;
    const scale = Math.fround(1 / 255);
    for (let byte = 0; byte < 256; byte++) {
      assert.equal(pixels[byte], Math.fround(byte * scale));
    }
    assert.equal(pixels[0], 0);
    assert.equal(pixels[255], 1);
    assert.deepEqual(set.imagesAsFloat32(), pixels);
  });
});

describe('DataSet.nextBatch', () => {
  it('keeps every image with its own label', () => {
    const set = makeSet(23);
    for (let step = 0; step < 20; step++) {
      const batch = set.nextBatch(7);
      const indices = indicesOf(batch);
      for (let row = 0; row < batch.size; row++) {
        const label = fixtureLabel(0, indices[row]);
        assert.equal(batch.classes[row], label);
        assert.equal(batch.labels[row], label);
        assert.equal(Math.round(batch.images[row * SIZE] * 255), label);
      }
    }
  });

  it('gives one-hot rows when the set is oneHot', () => {
    const batch = makeSet(12, true).nextBatch(5);
    assert.equal(batch.labels.length, 5 * 10);
    for (let row = 0; row < 5; row++) {
      const expected = new Float32Array(10);
      expected[batch.classes[row]] = 1;
      const row10 = batch.labels.subarray(row * 10, row * 10 + 10);
      assert.deepEqual(row10, expected);
    }
  });

  it('hands out full batches using each example once per epoch', () => {
    const set = makeSet(10);
    const indices: number[] = [];
    for (let i = 0; i < 10; i++) {
      const batch = set.nextBatch(3);
      assert.equal(batch.size, 3);
      assert.equal(batch.images.length, 3 * SIZE);
      indices.push(...indicesOf(batch));
    }
    for (let epoch = 0; epoch < 3; epoch++) {
      const slice = indices.slice(epoch * 10, epoch * 10 + 10);
      assert.deepEqual(sorted(slice), range(10));
    }
  });

  it('counts an epoch when a batch runs past the end', () => {
    const set = makeSet(10);
    const epochs = range(5).map(() => {
      set.nextBatch(3);
      return set.epochsCompleted;
    });
    assert.deepEqual(epochs, [0, 0, 0, 1, 1]);
  });

  it('counts an epoch that ends with a batch on the next call, as TF1', () => {
    const set = makeSet(10);
    const epochs = range(5).map(() => {
      set.nextBatch(5);
      return set.epochsCompleted;
    });
    assert.deepEqual(epochs, [0, 0, 1, 1, 2]);
  });

  it('shuffles the first epoch and reshuffles each next one', () => {
    const indices = stream(makeSet(20), 5, 8);
    const first = indices.slice(0, 20);
    const second = indices.slice(20, 40);
    assert.deepEqual(sorted(first), range(20));
    assert.deepEqual(sorted(second), range(20));
    assert.notDeepEqual(first, range(20));
    assert.notDeepEqual(second, first);
  });

  it('repeats its batches for the same seed and not for another', () => {
    const a = stream(makeSet(20, false, 5), 6, 7);
    const b = stream(makeSet(20, false, 5), 6, 7);
    const c = stream(makeSet(20, false, 6), 6, 7);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('keeps file order without shuffling', () => {
    const set = makeSet(10);
    const batches = range(3).map(() =>
      indicesOf(set.nextBatch(4, { shuffle: false })),
    );
    assert.deepEqual(batches, [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 0, 1],
    ]);
    assert.equal(set.epochsCompleted, 1);
  });

  it('fills a batch larger than the set across several epochs', () => {
    const set = makeSet(4);
    const first = indicesOf(set.nextBatch(10, { shuffle: false }));
    assert.deepEqual(first, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    assert.equal(set.epochsCompleted, 2);

    const shuffled = makeSet(4);
    const indices = stream(shuffled, 10, 2);
    for (let epoch = 0; epoch < 5; epoch++) {
      const slice = indices.slice(epoch * 4, epoch * 4 + 4);
      assert.deepEqual(sorted(slice), range(4));
    }
    // The fifth epoch ended exactly with the batch: counted on the next call.
    assert.equal(shuffled.epochsCompleted, 4);
  });

  it('keeps the pixels of a batch made outside a workspace', () => {
    // The same first batch, from a twin set.
    const want = indicesOf(makeSet(50).nextBatch(10));
    const set = makeSet(50);
    const batch = set.nextBatch(10);
    // Asked for first inside one, then used after others have run.
    withWorkspace(() => batch.pixels);
    for (let i = 0; i < 3; i++) {
      withWorkspace(() => {
        floats(1000).fill(7);
        set.nextBatch(10).pixels.fill(9);
      });
    }
    const fromPixels = Array.from({ length: batch.size }, (_, row) => {
      const at = row * SIZE;
      return batch.pixels[at + 1] + 256 * batch.pixels[at + 2];
    });
    assert.deepEqual(fromPixels, want);
  });

  it('starts afresh from fresh(): the same batches, the same bytes', () => {
    const set = makeSet(30);
    const first = stream(set, 5, 4);
    const again = set.fresh();
    assert.equal(again.images, set.images);
    assert.deepEqual(stream(again, 5, 4), first);
  });

  it('rejects batch sizes that are not positive integers', () => {
    const set = makeSet(4);
    for (const batchSize of [0, -1, 1.5, NaN]) {
      assert.throws(
        () => set.nextBatch(batchSize),
        new RangeError(
          'DataSet: expected a positive integer batch size but found ' +
            batchSize,
        ),
      );
    }
  });

  it('rejects batching an empty set', () => {
    assert.throws(
      () => makeSet(0).nextBatch(1),
      new RangeError(
        'DataSet: expected examples to batch but found an empty set',
      ),
    );
  });
});

describe('DataSet.gather', () => {
  it('takes examples in file order and leaves the batching alone', () => {
    const set = makeSet(10);
    const twin = makeSet(10);
    set.nextBatch(4);
    twin.nextBatch(4);
    const batch = set.gather(3, 5);
    assert.deepEqual(indicesOf(batch), [3, 4, 5, 6, 7]);
    assert.deepEqual(
      Array.from(batch.classes),
      [3, 4, 5, 6, 7].map((i) => fixtureLabel(0, i)),
    );
    assert.deepEqual(stream(set, 4, 3), stream(twin, 4, 3));
    assert.equal(set.epochsCompleted, twin.epochsCompleted);
  });

  it('rejects a range outside the set', () => {
    assert.throws(
      () => makeSet(10).gather(8, 3),
      new RangeError(
        'DataSet: expected a range within 0..10 but found start 8, count 3',
      ),
    );
  });
});
