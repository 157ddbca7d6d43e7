// The entry of kernels.wasm (built by `asc`, see asconfig.json): every
// export of the modules below.

export * from './matmul';
export * from './update';
export * from './pixels';
export * from './conv';
export * from './pool';
export * from './softmax';
export * from './rows';
