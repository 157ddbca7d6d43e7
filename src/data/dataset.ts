// A set of images and labels handed out in batches, like TF1's DataSet, but
// kept as bytes in file order: batches are gathered through a permutation
// and scaled to float32 only then. A batch gathered in a workspace lives in
// it (see withWorkspace). No augmentation, no prefetching.

import { bytes, floats, inWorkspace } from '../tensor/kernels/workspace.js';
import { gatherRows, pixelsToFloat32 } from '../tensor/pixels.js';
import { Random, type RandomState } from '../util/random.js';

/** MNIST's ten digit classes. */
export const NUM_CLASSES = 10;

/** Examples picked for one step. */
export interface Batch {
  size: number;
  /**
   * [size] the examples' rows in the set's file order, for
   * pixelTensor(set.images, shape, rows), which reads them in place.
   */
  rows: Uint32Array;
  /** [size, imageSize] pixel bytes, gathered on first use. */
  readonly pixels: Uint8Array;
  /** [size, imageSize] pixels in [0, 1], made from `pixels` on first use. */
  readonly images: Float32Array;
  /** [size, 10] one-hot rows if the set is oneHot, else [size] classes. */
  labels: Float32Array;
  /** [size] class indices 0..9. */
  classes: Uint8Array;
}

/** How a DataSet hands out labels and shuffles. */
export interface DataSetOptions {
  oneHot: boolean;
  seed: number;
}

/** Where a set is in handing out batches: its order, place and shuffle. */
export interface DataSetState {
  /** [numExamples] the current epoch's order. */
  order: Uint32Array;
  indexInEpoch: number;
  epochsCompleted: number;
  random: RandomState;
}

/** Images and labels, handed out in shuffled batches epoch after epoch. */
export class DataSet {
  /** [numExamples, imageSize] bytes in file order, never reordered. */
  readonly images: Uint8Array;
  /** [numExamples] class indices in file order. */
  readonly labels: Uint8Array;
  readonly numExamples: number;
  readonly imageSize: number;
  readonly numClasses = NUM_CLASSES;
  readonly oneHot: boolean;

  private readonly random: Random;
  // The order of the current epoch, as indices into images and labels.
  private readonly order: Uint32Array;
  private readonly options: DataSetOptions;
  private indexInEpoch = 0;
  private epochs = 0;

  /**
   * `images` is [n, imageSize] bytes and `labels` [n] class indices; both
   * are kept as given (views are fine) and must not change afterwards.
   */
  constructor(
    images: Uint8Array,
    labels: Uint8Array,
    imageSize: number,
    options: DataSetOptions,
  ) {
    if (!(images instanceof Uint8Array) || !(labels instanceof Uint8Array)) {
      throw new TypeError(
        'DataSet: expected images and labels as Uint8Arrays of bytes',
      );
    }
    if (!Number.isInteger(imageSize) || imageSize <= 0) {
      throw new RangeError(
        `DataSet: expected a positive integer imageSize but found ${imageSize}`,
      );
    }
    if (images.length !== labels.length * imageSize) {
      throw new RangeError(
        `DataSet: expected ${labels.length} images of ${imageSize} bytes ` +
          `for ${labels.length} labels but found ${images.length} bytes`,
      );
    }
    const bad = labels.findIndex((label) => label >= NUM_CLASSES);
    if (bad >= 0) {
      throw new RangeError(
        `DataSet: expected labels 0 to 9 but found ${labels[bad]} at ${bad}`,
      );
    }
    // Plain views: a Buffer's subarray() costs far more per batch row. A
    // plain one is kept as it is, so that sets over it share what the
    // kernels derive from it (its packed pixels).
    const plain = (bytes: Uint8Array) =>
      bytes.constructor === Uint8Array
        ? bytes
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    this.images = plain(images);
    this.labels = plain(labels);
    this.numExamples = labels.length;
    this.imageSize = imageSize;
    this.oneHot = options.oneHot;
    this.options = options;
    this.random = new Random(options.seed);
    this.order = new Uint32Array(this.numExamples).map((_, i) => i);
  }

  /**
   * The same examples as a set that has handed out nothing yet: its
   * batches are this set's from the start, over the same (shared) bytes.
   */
  fresh(): DataSet {
    return new DataSet(this.images, this.labels, this.imageSize, this.options);
  }

  /** Where nextBatch is, for a checkpoint; restore() goes back there. */
  state(): DataSetState {
    return {
      order: this.order.slice(),
      indexInEpoch: this.indexInEpoch,
      epochsCompleted: this.epochs,
      random: this.random.state(),
    };
  }

  /** Goes back to a state() of a set of the same examples. */
  restore(state: DataSetState): void {
    const { order, indexInEpoch, epochsCompleted } = state;
    const n = this.numExamples;
    const seen = new Uint8Array(n);
    const permutation =
      order instanceof Uint32Array &&
      order.length === n &&
      order.every((i) => i < n && seen[i]++ === 0);
    if (!permutation) {
      throw new RangeError(
        `DataSet.restore: expected an order of the set's ${n} examples`,
      );
    }
    if (
      !Number.isSafeInteger(indexInEpoch) ||
      indexInEpoch < 0 ||
      indexInEpoch > n ||
      !Number.isSafeInteger(epochsCompleted) ||
      epochsCompleted < 0
    ) {
      throw new RangeError(
        `DataSet.restore: expected a place from 0 to ${n} and a count of ` +
          `epochs but found ${indexInEpoch} and ${epochsCompleted}`,
      );
    }
    this.random.restore(state.random);
    this.order.set(order);
    this.indexInEpoch = indexInEpoch;
    this.epochs = epochsCompleted;
  }

  /** Passes over the whole set finished so far by nextBatch. */
  get epochsCompleted(): number {
    return this.epochs;
  }

  /**
   * The next `batchSize` examples, exactly as TF1's next_batch: the first
   * call shuffles (by default); a batch that runs past the end takes the
   * rest, counts an epoch, reshuffles and fills up from the new order, so
   * every batch is full and each example is used once per epoch. Unlike
   * TF1, a batch larger than the set spans as many epochs as it needs.
   */
  nextBatch(batchSize: number, options: { shuffle?: boolean } = {}): Batch {
    const shuffle = options.shuffle ?? true;
    const n = this.numExamples;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new RangeError(
        'DataSet: expected a positive integer batch size but found ' +
          batchSize,
      );
    }
    if (n === 0) {
      throw new RangeError(
        'DataSet: expected examples to batch but found an empty set',
      );
    }

    const start = this.indexInEpoch;
    if (this.epochs === 0 && start === 0 && shuffle) {
      this.random.shuffle(this.order);
    }
    if (start + batchSize <= n) {
      this.indexInEpoch += batchSize;
      return this.batchOf(this.order.slice(start, this.indexInEpoch));
    }

    // NOTE: as in TF1, an epoch ending exactly with a batch is counted at
    // the start of the next call, when start + batchSize first exceeds n.
    const picked = new Uint32Array(batchSize);
    picked.set(this.order.subarray(start));
    let filled = n - start;
    while (filled < batchSize) {
      this.epochs++;
      if (shuffle) this.random.shuffle(this.order);
      this.indexInEpoch = Math.min(batchSize - filled, n);
      picked.set(this.order.subarray(0, this.indexInEpoch), filled);
      filled += this.indexInEpoch;
    }
    return this.batchOf(picked);
  }

  /** `count` examples from `start` in file order; leaves nextBatch alone. */
  gather(start: number, count: number): Batch {
    const valid =
      Number.isInteger(start) &&
      Number.isInteger(count) &&
      start >= 0 &&
      count >= 0 &&
      start + count <= this.numExamples;
    if (!valid) {
      throw new RangeError(
        `DataSet: expected a range within 0..${this.numExamples} but ` +
          `found start ${start}, count ${count}`,
      );
    }
    const picked = new Uint32Array(count).map((_, i) => start + i);
    return this.batchOf(picked);
  }

  /** The whole set's pixels in file order: [numExamples, imageSize]. */
  imagesAsFloat32(): Float32Array {
    return pixelsToFloat32(this.images);
  }

  /** The batch of the examples `picked` (kept, so a fresh array). */
  private batchOf(picked: Uint32Array): Batch {
    const size = picked.length;
    const width = this.imageSize;
    const classes = bytes(size, false);
    const labels = floats(this.oneHot ? size * NUM_CLASSES : size);
    for (let row = 0; row < size; row++) {
      const label = this.labels[picked[row]];
      classes[row] = label;
      if (this.oneHot) labels[row * NUM_CLASSES + label] = 1;
      else labels[row] = label;
    }

    return new LazyBatch(this.images, width, picked, labels, classes);
  }
}

/**
 * A batch whose pixels are gathered, and scaled, only when asked for. A
 * class, not an object literal with getters, which V8 builds far slower.
 */
class LazyBatch implements Batch {
  readonly size: number;
  // A batch made outside a workspace keeps its pixels even when they are
  // first asked for inside one.
  private readonly lasting = !inWorkspace();
  private gathered: Uint8Array | null = null;
  private scaled: Float32Array | null = null;

  constructor(
    private readonly set: Uint8Array,
    private readonly width: number,
    readonly rows: Uint32Array,
    readonly labels: Float32Array,
    readonly classes: Uint8Array,
  ) {
    this.size = rows.length;
  }

  get pixels(): Uint8Array {
    if (this.gathered === null) {
      const { set, rows, width } = this;
      this.gathered = this.lasting
        ? gatherRows(set, rows, width, new Uint8Array(rows.length * width))
        : gatherRows(set, rows, width);
    }
    return this.gathered;
  }

  get images(): Float32Array {
    return (this.scaled ??= pixelsToFloat32(this.pixels));
  }
}
