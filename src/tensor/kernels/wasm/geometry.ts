// The window geometry the convolution and pooling kernels read: i32 words
// at these byte offsets (wasm.ts writes them, in WindowGeometry's order).

export const IN_HEIGHT = 4;
export const IN_WIDTH = 8;
export const CHANNELS = 12;
export const WINDOW_HEIGHT = 16;
export const WINDOW_WIDTH = 20;
export const STRIDE_HEIGHT = 24;
export const STRIDE_WIDTH = 28;
export const PAD_TOP = 32;
export const PAD_LEFT = 36;
export const OUT_HEIGHT = 40;
export const OUT_WIDTH = 44;
// The filter count, after the geometry (convolution only).
export const FILTERS = 48;
