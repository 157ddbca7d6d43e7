// The saved model's format, apart from any file system: the model.json
// text it describes itself with, and its weights as float32 little-endian
// bytes. Node (io/model-file.ts) and the web page both read and write
// models through these; checksums and files are theirs.

import { UserError } from '../util/errors.js';

/** The model.json format this version writes, and the newest it reads. */
export const MODEL_FORMAT_VERSION = 1;
const FORMAT_NAME = 'mnistlab-model';
// Floats in all tensors together: 2^28 (1 GiB of weights).
const MAX_FLOATS = 2 ** 28;
// Ours nest 4 deep (tensors, an entry, its shape, a dimension).
const MAX_DEPTH = 32;

/** One array of weights (or a running statistic), row-major. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** What is saved of a model, besides its weights. */
export interface ModelDescription {
  /** `softmax` (the lab's model) or `layers` (a Sequential stack). */
  kind: 'softmax' | 'layers';
  /** The --layers spec of a layer model; null for softmax. */
  layers: string | null;
  /** One image as the model takes it, batch excluded. */
  inputShape: number[];
  /** The settings it was trained with (epochs, learning rate, ...). */
  training: Record<string, unknown>;
  /** Per epoch: cost and validation accuracy; then the test accuracy. */
  history: {
    costs: number[];
    validationAccuracy: (number | null)[];
    testAccuracy: number | null;
  };
}

export interface SavedModel extends ModelDescription {
  tensors: NamedTensor[];
}

/** Where model.json says the weights are, and what they must be. */
export interface WeightsEntry {
  file: string;
  bytes: number;
  sha256: string;
}

/** The model.json object of `model` whose weights are `weights`. */
export function modelJson(model: SavedModel, weights: WeightsEntry) {
  return {
    format: FORMAT_NAME,
    version: MODEL_FORMAT_VERSION,
    kind: model.kind,
    layers: model.layers,
    inputShape: model.inputShape,
    tensors: model.tensors.map(({ name, shape }) => ({ name, shape })),
    weights,
    training: model.training,
    history: model.history,
  };
}

/** The tensors' values, float32 little-endian, one after another. */
export function weightBytes(tensors: NamedTensor[]): Uint8Array {
  const total = tensors.reduce((sum, t) => sum + t.data.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const { data } of tensors) {
    for (let i = 0; i < data.length; i++, offset += 4) {
      view.setFloat32(offset, data[i], true);
    }
  }
  return bytes;
}

/** A model.json checked whole, with what its weights must be. */
export interface ModelHeader {
  description: ModelDescription;
  tensors: { name: string; shape: number[] }[];
  weights: WeightsEntry;
}

/**
 * Checks a parsed model.json; `where` names it in errors (a path, a URL).
 * Sizes are checked against each other here, before anything allocates.
 */
export function readModelHeader(json: unknown, where: string): ModelHeader {
  const fail = (what: string): never => {
    throw new UserError(`${where}: ${what}`);
  };
  const fields = (json ?? {}) as Record<string, unknown>;
  if (typeof json !== 'object' || fields.format !== FORMAT_NAME) {
    fail(`not a mnistlab model (expected "format": "${FORMAT_NAME}")`);
  }
  // Saving it again, or sending it to the web page, would overflow the
  // stack in JSON.stringify on values nested deep enough.
  if (nestedDeeperThan(json, MAX_DEPTH)) {
    fail(`expected values nested at most ${MAX_DEPTH} deep but found deeper`);
  }
  const version = fields.version;
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    fail(`expected a format version but found ${shown(version)}`);
  }
  if ((version as number) > MODEL_FORMAT_VERSION) {
    fail(
      `written by a newer mnistlab (format version ${version}; this one ` +
        `reads up to ${MODEL_FORMAT_VERSION}): upgrade mnistlab to load it`,
    );
  }

  const kind = fields.kind;
  if (kind !== 'softmax' && kind !== 'layers') {
    fail(`expected "kind" softmax or layers but found ${shown(kind)}`);
  }
  const layers = fields.layers;
  if (kind === 'layers' ? typeof layers !== 'string' : layers !== null) {
    fail(
      `expected "layers" to be the spec of a layer model (null for softmax)`,
    );
  }
  const inputShape = shapeOf(fields.inputShape, 'inputShape', fail);
  const tensorList = fields.tensors;
  if (!Array.isArray(tensorList) || tensorList.length === 0) {
    fail('expected a list of "tensors"');
  }
  let floats = 0;
  const tensors = (tensorList as unknown[]).map((entry, i) => {
    const { name, shape } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string') fail(`expected tensor ${i} to have a name`);
    const dims = shapeOf(shape, `tensor ${name}`, fail);
    floats += dims.reduce((a, b) => a * b, 1);
    if (floats > MAX_FLOATS) fail(`expected at most ${MAX_FLOATS} weights`);
    return { name: name as string, shape: dims };
  });

  const weights = (fields.weights ?? {}) as Record<string, unknown>;
  const file = weights.file;
  if (typeof file !== 'string' || !isWeightsName(file)) {
    fail('expected "weights.file" to name a weights-HASH.bin file');
  }
  const bytes = floats * 4;
  if (weights.bytes !== bytes) {
    fail(
      `expected "weights.bytes" to be ${bytes} for its tensors but found ` +
        shown(weights.bytes),
    );
  }
  const sha256 = weights.sha256;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
    fail('expected "weights.sha256" to be a SHA-256 in hex');
  }
  const history = (fields.history ?? {}) as Record<string, unknown>;
  const description: ModelDescription = {
    kind: kind as ModelDescription['kind'],
    layers: layers as string | null,
    inputShape,
    training: (fields.training ?? {}) as Record<string, unknown>,
    history: {
      costs: numbersOf(history.costs),
      validationAccuracy: Array.isArray(history.validationAccuracy)
        ? history.validationAccuracy.map((v) =>
            typeof v === 'number' ? v : null,
          )
        : [],
      testAccuracy:
        typeof history.testAccuracy === 'number' ? history.testAccuracy : null,
    },
  };
  return {
    description,
    tensors,
    weights: { file: file as string, bytes, sha256: sha256 as string },
  };
}

/**
 * The model `header` describes, its weights read from `data` (checked to be
 * `header.weights.bytes` long and finite); `where` names the weights.
 */
export function decodeModel(
  header: ModelHeader,
  data: Uint8Array,
  where: string,
): SavedModel {
  checkWeightsSize(header, data.length, where);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  const tensors = header.tensors.map(({ name, shape }) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++, offset += 4) {
      values[i] = view.getFloat32(offset, true);
      if (!Number.isFinite(values[i])) {
        throw new UserError(
          `${where}: tensor ${name} holds ${values[i]} at ${i}: a ` +
            'model from a run that diverged does not predict anything',
        );
      }
    }
    return { name, shape, data: values };
  });
  return { ...header.description, tensors };
}

/** Refuses weights of `found` bytes where `header` wants another size. */
export function checkWeightsSize(
  header: ModelHeader,
  found: number,
  where: string,
): void {
  const { bytes } = header.weights;
  if (found !== bytes) {
    throw new UserError(
      `${where}: expected ${bytes} bytes of weights but found ` +
        `${found}${found < bytes ? ' (truncated?)' : ''}`,
    );
  }
}

export function isWeightsName(file: string): boolean {
  return /^weights-[0-9a-f]{16}\.bin$/.test(file);
}

function shapeOf(
  value: unknown,
  what: string,
  fail: (what: string) => never,
): number[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every(
      (dim) => Number.isSafeInteger(dim) && dim > 0 && dim <= MAX_FLOATS,
    )
  ) {
    fail(`expected ${what} to be a shape of positive integers`);
  }
  return value as number[];
}

/** Whether `value` holds arrays or objects more than `depth` deep. */
function nestedDeeperThan(value: unknown, depth: number): boolean {
  // A stack of its own, not recursion: the nesting may be 100000 deep.
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, level] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (level >= depth) return true;
    for (const child of Object.values(item)) stack.push([child, level + 1]);
  }
  return false;
}

/**
 * A value as a message shows it: a scalar as JSON, a long string cut
 * short, an array or object by its kind (JSON.stringify would overflow
 * the stack on one nested deep enough, and repeat a huge one whole).
 */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string' && value.length > 40) {
    const start = JSON.stringify(value.slice(0, 30));
    return `${start}... (${value.length} characters)`;
  }
  if (typeof value === 'object' && value !== null) {
    return Array.isArray(value) ? 'an array' : 'an object';
  }
  return JSON.stringify(value);
}

function numbersOf(value: unknown): number[] {
  return Array.isArray(value)
    ? value.filter((v): v is number => typeof v === 'number')
    : [];
}
