// The engine in the page: the WebAssembly kernels on one thread when the
// browser lets the page share memory (cross-origin isolation), else the
// plain TypeScript ones; and the server's model, fetched and rebuilt here
// so that every stroke is read without a round trip.

import { DIGIT_SIDE, prepareDigit } from '../../data/prepare.js';
import { decodeModel, readModelHeader } from '../../io/model-format.js';
import { pixelTensor } from '../../tensor/creation.js';
import { engineHeap } from '../../tensor/kernels/heap.js';
import { setKernels } from '../../tensor/kernels/index.js';
import {
  kernelImports,
  wasmKernels,
  type WasmExports,
} from '../../tensor/kernels/wasm.js';
import { restoreModel, type LoadedModel } from '../../train/saved.js';
import type { ModelSummary } from '../protocol.js';

/** Sets the fastest kernels this page can have; says which. */
export async function startEngine(): Promise<string> {
  try {
    if (!crossOriginIsolated) {
      throw new Error('the page is not cross-origin isolated');
    }
    const module = await WebAssembly.compileStreaming(fetch('/kernels.wasm'));
    const heap = engineHeap();
    const instance = await WebAssembly.instantiate(
      module,
      kernelImports(heap.memory),
    );
    setKernels(wasmKernels(instance.exports as unknown as WasmExports, heap));
    return 'WebAssembly SIMD kernels, one thread';
  } catch (error) {
    return (
      'TypeScript kernels (WebAssembly unavailable: ' +
      `${(error as Error).message})`
    );
  }
}

export interface PageModel {
  summary: ModelSummary;
  loaded: LoadedModel;
}

/**
 * The server's model now, or null while there is none. A model replaced
 * between its two requests is fetched again.
 */
export async function fetchModel(): Promise<PageModel | null> {
  for (;;) {
    const answer = await fetch('/api/model');
    if (answer.status === 404) return null;
    if (!answer.ok) throw new Error(`/api/model answered ${answer.status}`);
    const { summary, model } = (await answer.json()) as {
      summary: ModelSummary;
      model: unknown;
    };
    const header = readModelHeader(model, '/api/model');
    const url = `/api/model/weights/${summary.version}`;
    const weights = await fetch(url);
    if (weights.status === 404) continue;
    if (!weights.ok) throw new Error(`${url} answered ${weights.status}`);
    const bytes = new Uint8Array(await weights.arrayBuffer());
    const loaded = restoreModel(decodeModel(header, bytes, url));
    return { summary, loaded };
  }
}

/** What the model reads in a drawing. */
export interface Reading {
  /** [784] the prepared input, the bytes `mnistlab predict` would make. */
  pixels: Uint8Array;
  /** [10] class probabilities. */
  probs: Float32Array;
}

/** Reads the digit in `image`; null when it holds no ink. */
export function readDigit(
  model: LoadedModel,
  image: ImageData,
): Reading | null {
  const { width, height, data } = image;
  const rgba = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const pixels = prepareDigit({ width, height, data: rgba });
  if (pixels === null) return null;
  const input = pixelTensor(pixels, [1, DIGIT_SIDE * DIGIT_SIDE]);
  const probs = Float32Array.from(model.predict(input).data);
  return { pixels, probs };
}
