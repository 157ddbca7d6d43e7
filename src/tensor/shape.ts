// Shape arithmetic shared by the ops: sizes, NumPy broadcasting, axes.

export type Shape = readonly number[];

/** Number of elements in a tensor of this shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** The shape two operands broadcast to, by NumPy's rules. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const dimA = a[a.length - rank + i] ?? 1;
    const dimB = b[b.length - rank + i] ?? 1;
    if (dimA !== dimB && dimA !== 1 && dimB !== 1) {
      throw new Error(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} ` +
          `do not broadcast (dimension ${i}: ${dimA} against ${dimB})`,
      );
    }
    out[i] = dimA === 1 ? dimB : dimA;
  }
  return out;
}

/**
 * Element strides of `shape` read as if it had `outShape`: 0 along the
 * dimensions it is broadcast over.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const outAxis = outShape.length - shape.length + i;
    strides[outAxis] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/** A possibly negative axis as an index into `shape`, checked. */
export function normalizeAxis(op: string, shape: Shape, axis: number): number {
  const rank = shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(
      `${op}: axis ${axis} is out of range for shape ${formatShape(shape)}`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * A shape seen as [outer, dim, inner] around one axis, the layout the
 * reduction and softmax kernels work on.
 */
export function splitAtAxis(
  shape: Shape,
  axis: number,
): [outer: number, dim: number, inner: number] {
  return [
    sizeOf(shape.slice(0, axis)),
    shape[axis],
    sizeOf(shape.slice(axis + 1)),
  ];
}

/** TensorFlow's two padding modes for sliding windows. */
export type Padding = 'same' | 'valid';

/**
 * Where a sliding window (convolution or pooling) reads an NHWC input
 * [batch, inHeight, inWidth, channels]. Output pixel (oy, ox) covers input
 * rows oy * strideHeight - padTop + [0, windowHeight), and columns alike;
 * rows and columns outside the input are padding.
 */
export interface WindowGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  windowHeight: number;
  windowWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
}

/**
 * The geometry of a window [windowHeight, windowWidth] sliding over an NHWC
 * input, by TensorFlow's rules: 'valid' keeps whole windows only; 'same'
 * gives ceil(size / stride) outputs, padding split with the extra row or
 * column at the bottom or right. `noun` names the window in errors.
 */
export function windowGeometry(
  op: string,
  xShape: Shape,
  window: readonly [number, number],
  strides: number | readonly [number, number],
  padding: Padding,
  noun: 'window' | 'kernel' = 'window',
): WindowGeometry {
  if (xShape.length !== 4) {
    throw new Error(
      `${op}: expected an input of shape [n, h, w, c] but found ` +
        formatShape(xShape),
    );
  }
  const [windowHeight, windowWidth] = window;
  const [strideHeight, strideWidth] =
    typeof strides === 'number' ? [strides, strides] : strides;
  if (
    !(Number.isInteger(windowHeight) && windowHeight >= 1) ||
    !(Number.isInteger(windowWidth) && windowWidth >= 1)
  ) {
    throw new Error(
      `${op}: expected a ${noun} size of positive integers but found ` +
        `${windowHeight}x${windowWidth}`,
    );
  }
  if (
    !(Number.isInteger(strideHeight) && strideHeight >= 1) ||
    !(Number.isInteger(strideWidth) && strideWidth >= 1)
  ) {
    throw new Error(
      `${op}: expected strides of positive integers but found ` +
        formatShape([strideHeight, strideWidth]),
    );
  }
  const [batch, inHeight, inWidth, channels] = xShape;
  const rows = along(op, inHeight, windowHeight, strideHeight, padding);
  const columns = along(op, inWidth, windowWidth, strideWidth, padding);
  if (rows === null || columns === null) {
    throw new Error(
      `${op}: expected a ${noun} no larger than the input for 'valid' ` +
        `padding but found ${noun} ${windowHeight}x${windowWidth} and ` +
        `input ${inHeight}x${inWidth}`,
    );
  }
  return {
    batch,
    inHeight,
    inWidth,
    channels,
    windowHeight,
    windowWidth,
    strideHeight,
    strideWidth,
    padTop: rows.padBefore,
    padLeft: columns.padBefore,
    outHeight: rows.out,
    outWidth: columns.out,
  };
}

/** Output size and leading padding along one axis; null if none fits. */
function along(
  op: string,
  size: number,
  window: number,
  stride: number,
  padding: Padding,
): { out: number; padBefore: number } | null {
  if (padding === 'valid') {
    if (window > size) return null;
    return { out: Math.floor((size - window) / stride) + 1, padBefore: 0 };
  }
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + window - size, 0);
    return { out, padBefore: Math.floor(total / 2) };
  }
  throw new Error(
    `${op}: expected padding 'same' or 'valid' but found '${padding}'`,
  );
}
