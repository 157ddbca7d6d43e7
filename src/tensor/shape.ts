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
