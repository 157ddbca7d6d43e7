// Tensors over Float32Array and the reverse-mode tape behind them. Each op
// (ops.ts) records its inputs and a backward closure on its result;
// backward() walks that graph once in reverse topological order.

import { gatherRows, pixelsToFloat32 } from './pixels.js';
import { floats } from './kernels/workspace.js';
import { kindOf } from '../util/format.js';
import { formatShape, sizeOf, type Shape } from './shape.js';

/** Receives the gradient of the loss with respect to an op's result. */
export type BackwardFn = (dResult: Float32Array) => void;

let gradDisabled = 0;

/** Runs fn without recording gradients, as for evaluation. */
export function noGrad<T>(fn: () => T): T {
  gradDisabled++;
  try {
    return fn();
  } finally {
    gradDisabled--;
  }
}

/**
 * An op's result: `data` of `shape`, computed from `inputs`; `backward`
 * passes the gradient on to them. Ops call this and nothing else.
 */
export function opResult(
  data: Float32Array,
  shape: Shape,
  inputs: readonly Tensor[],
  backward: BackwardFn,
): Tensor {
  return new Tensor(data, shape, { inputs, backward });
}

export class Tensor {
  readonly shape: Shape;
  /**
   * The bytes of a pixel tensor, each standing for byte / 255: matrix
   * products read them as they are; other ops read `data`.
   */
  readonly pixels: Uint8Array | null;
  /**
   * For a pixel tensor over rows of a larger set of images: which rows of
   * `pixels` are its rows, in order; null when `pixels` is the tensor.
   */
  readonly pixelRows: Uint32Array | null;
  readonly size: number;
  private values: Float32Array | null;
  // The gradient, and whether its array is shared with other tensors (or
  // the caller) and so must be copied before it is added to.
  private gradValues: Float32Array | null = null;
  private gradShared = false;
  /** True when gradients flow into this tensor. */
  readonly requiresGrad: boolean;
  /** True for variables, the leaves an optimizer updates. */
  readonly trainable: boolean;
  /** The op inputs that require gradients, empty for leaves. */
  readonly inputs: readonly Tensor[];
  private readonly backwardFn: BackwardFn | null;

  /**
   * `data` is float32 values, or pixel bytes for a constant pixel tensor:
   * all of its values, or with `rows` a set of rows the tensor picks from.
   */
  constructor(
    data: Float32Array | Uint8Array,
    shape: Shape,
    options: {
      trainable?: boolean;
      inputs?: readonly Tensor[];
      backward?: BackwardFn;
      rows?: Uint32Array;
    } = {},
  ) {
    const size = sizeOf(shape);
    if (!shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
      throw new Error(`Tensor: invalid shape ${formatShape(shape)}`);
    }
    const { rows } = options;
    if (rows !== undefined) {
      checkRows(data, rows, shape);
    } else if (data.length !== size) {
      throw new Error(
        `Tensor: shape ${formatShape(shape)} needs ${size} values ` +
          `but found ${data.length}`,
      );
    }
    this.size = size;
    this.pixels = data instanceof Uint8Array ? data : null;
    this.pixelRows = rows ?? null;
    this.values = data instanceof Float32Array ? data : null;
    this.shape = Object.freeze([...shape]);
    this.trainable = options.trainable ?? false;
    if (this.trainable && this.pixels !== null) {
      throw new Error('Tensor: pixel bytes cannot be a trainable variable');
    }
    const recording =
      gradDisabled === 0 &&
      options.backward !== undefined &&
      (options.inputs ?? []).some((input) => input.requiresGrad);
    this.requiresGrad = this.trainable || recording;
    this.inputs = recording ? (options.inputs ?? []) : [];
    this.backwardFn = recording ? (options.backward ?? null) : null;
  }

  /** Row-major values; a pixel tensor's are made on first use. */
  get data(): Float32Array {
    if (this.values !== null) return this.values;
    const rows = this.pixelRows;
    const width = rows === null ? 0 : this.size / rows.length;
    const pixels = this.pixels!;
    this.values = pixelsToFloat32(
      rows === null ? pixels : gatherRows(pixels, rows, width),
    );
    return this.values;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(
        `item: expected one element but found shape ${formatShape(this.shape)}`,
      );
    }
    return this.data[0];
  }

  /**
   * Gradient of the last backward() with respect to this tensor. NOTE: its
   * array may be another tensor's gradient too; copy it before writing.
   */
  get grad(): Float32Array | null {
    return this.gradValues;
  }

  set grad(values: Float32Array | null) {
    this.gradValues = values;
    this.gradShared = true;
  }

  /** Adds to this tensor's gradient; ops call it from their backward. */
  accumulateGrad(dThis: Float32Array): void {
    // The first gradient is kept as it is: ops may hand the same array to
    // several inputs, so it is copied only when a second one is added.
    const grad = this.gradValues;
    if (grad === null) {
      this.grad = dThis;
      return;
    }
    let sum = grad;
    if (this.gradShared) {
      sum = floats(grad.length, false);
      sum.set(grad);
      this.gradValues = sum;
      this.gradShared = false;
    }
    for (let i = 0; i < sum.length; i++) sum[i] += dThis[i];
  }

  /**
   * Computes the gradient of this scalar with respect to every tensor it
   * depends on. Returns the variables reached, in no particular order.
   */
  backward(): Tensor[] {
    if (this.size !== 1) {
      throw new Error(
        'backward: expected a scalar loss but found shape ' +
          formatShape(this.shape),
      );
    }
    const order = topologicalOrder(this);
    for (const node of order) node.grad = null;
    this.grad = new Float32Array([1]);

    const variables: Tensor[] = [];
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      if (node.trainable) variables.push(node);
      // Results nothing depends on (a branch off the loss) have no grad.
      if (node.backwardFn !== null && node.grad !== null) {
        node.backwardFn(node.grad);
      }
    }
    return variables;
  }
}

/** Rows of pixel bytes for a tensor of `shape`: each within `pixels`. */
function checkRows(
  pixels: Float32Array | Uint8Array,
  rows: Uint32Array,
  shape: Shape,
): void {
  if (!(rows instanceof Uint32Array)) {
    throw new TypeError(
      'Tensor: expected pixel rows as a Uint32Array but found ' + kindOf(rows),
    );
  }
  const size = sizeOf(shape);
  const width = rows.length === 0 ? 0 : size / rows.length;
  const fail = (found: string) => {
    throw new Error(
      `Tensor: expected ${rows.length} rows of pixel bytes for shape ` +
        `${formatShape(shape)} but found ${found}`,
    );
  };
  if (!(pixels instanceof Uint8Array)) fail('float32 values');
  if (!Number.isInteger(width) || (rows.length === 0 && size > 0)) {
    fail(`a shape of ${size} values`);
  }
  const available = width === 0 ? 0 : Math.floor(pixels.length / width);
  for (let i = 0; i < rows.length; i++) {
    if (rows[i] >= available) fail(`row ${rows[i]} of only ${available}`);
  }
}

/** Inputs before the results computed from them; `root` comes last. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative depth-first search: deep graphs must not overflow the stack.
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    const inputs = node.inputs;
    if (next < inputs.length) {
      top[1]++;
      const input = inputs[next];
      if (input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}
