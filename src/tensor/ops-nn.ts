// Convolution and pooling over NHWC images, with TensorFlow's layouts and
// padding rules, each beside its gradient. Leaves out dilation, groups,
// NCHW and transposed convolution.

import { kernels } from './kernels/index.js';
import {
  formatShape,
  windowGeometry,
  type Padding,
  type Shape,
  type WindowGeometry,
} from './shape.js';
import { opResult, Tensor } from './tensor.js';

export interface Conv2dOptions {
  /** Step between windows, for both axes or as [height, width]. */
  strides?: number | readonly [number, number];
  /** 'valid' (the default) or 'same', as in TensorFlow. */
  padding?: Padding;
}

export interface Conv2dBiasOptions extends Conv2dOptions {
  /** [f], added to every output pixel: one op instead of conv2d + add. */
  bias?: Tensor;
}

export interface Pool2dOptions extends Conv2dOptions {
  /** Window size, for both axes or as [height, width]. */
  size: number | readonly [number, number];
}

function outShape(g: WindowGeometry, channels: number): Shape {
  return [g.batch, g.outHeight, g.outWidth, channels];
}

/**
 * 2-d convolution (cross-correlation, as in TensorFlow) of x [n, h, w, c]
 * with filters [kh, kw, c, f], plus an optional bias [f], giving
 * [n, oh, ow, f]. 'valid' gives oh = floor((h - kh) / sh) + 1, 'same'
 * gives oh = ceil(h / sh); ow alike.
 */
export function conv2d(
  x: Tensor,
  filters: Tensor,
  { strides = 1, padding = 'valid', bias }: Conv2dBiasOptions = {},
): Tensor {
  if (filters.rank !== 4) {
    throw new Error(
      'conv2d: expected filters of shape [kh, kw, c, f] but found ' +
        formatShape(filters.shape),
    );
  }
  const [kh, kw, c, f] = filters.shape;
  const g = windowGeometry(
    'conv2d',
    x.shape,
    [kh, kw],
    strides,
    padding,
    'kernel',
  );
  if (c !== g.channels) {
    throw new Error(
      `conv2d: expected filters with ${g.channels} input channels, ` +
        `like x ${formatShape(x.shape)}, but found ` +
        formatShape(filters.shape),
    );
  }
  if (bias !== undefined && (bias.rank !== 1 || bias.size !== f)) {
    throw new Error(
      `conv2d: expected a bias of shape [${f}], one per filter, but ` +
        `found ${formatShape(bias.shape)}`,
    );
  }
  const data = kernels().conv2d(x.data, filters.data, bias?.data ?? null, g, f);
  const inputs = bias === undefined ? [x, filters] : [x, filters, bias];

  return opResult(data, outShape(g, f), inputs, (dOut) => {
    const { dX, dFilters, dBias } = kernels().conv2dGrad(
      x.data,
      filters.data,
      dOut,
      g,
      f,
      {
        x: x.requiresGrad,
        filters: filters.requiresGrad,
        bias: bias?.requiresGrad ?? false,
      },
    );
    if (dX !== null) x.accumulateGrad(dX);
    if (dFilters !== null) filters.accumulateGrad(dFilters);
    if (dBias !== null && bias !== undefined) bias.accumulateGrad(dBias);
  });
}

/**
 * Maximum over each window of x [n, h, w, c], per channel, giving
 * [n, oh, ow, c]; padding never wins. The gradient goes to the first
 * maximum of each window. Strides default to the window size.
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const g = poolGeometry('maxPool2d', x, options);
  const { out, argMax } = kernels().maxPool(x.data, g);

  return opResult(out, outShape(g, g.channels), [x], (dOut) => {
    x.accumulateGrad(kernels().maxPoolGrad(dOut, argMax, g));
  });
}

/**
 * Mean over each window of x [n, h, w, c], per channel, giving
 * [n, oh, ow, c]. With 'same' padding, windows at the border divide by
 * the number of real elements they cover, as in TensorFlow. Strides
 * default to the window size.
 */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const g = poolGeometry('avgPool2d', x, options);
  const data = kernels().avgPool(x.data, g);

  return opResult(data, outShape(g, g.channels), [x], (dOut) => {
    x.accumulateGrad(kernels().avgPoolGrad(dOut, g));
  });
}

function poolGeometry(
  op: string,
  x: Tensor,
  { size, strides = size, padding = 'valid' }: Pool2dOptions,
): WindowGeometry {
  const window: [number, number] =
    typeof size === 'number' ? [size, size] : [size[0], size[1]];
  return windowGeometry(op, x.shape, window, strides, padding);
}
