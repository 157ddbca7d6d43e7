// The tensor engine's public face.

export { Tensor, noGrad } from './tensor.js';
export * from './ops.js';
export * from './ops-nn.js';
export * from './creation.js';
export { sizeOf, type Padding, type Shape } from './shape.js';
export { floats, withWorkspace } from './kernels/workspace.js';
export {
  kernels,
  setKernels,
  cpuKernels,
  type Kernels,
} from './kernels/index.js';
