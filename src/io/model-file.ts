// A trained model on disk: DIR/model.json (what the model is, how it was
// trained, its history, and the name, size and SHA-256 of its weights) and
// the weights themselves, float32 little-endian, in a file named by their
// hash. Saving writes the weights first and model.json last, each to a
// temporary file renamed into place, so that an interrupted save leaves
// either the old model or the new one, never a mix that loads. Loading
// checks every size against what the files hold before it allocates.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { UserError } from '../util/errors.js';

/** The model.json format this version writes, and the newest it reads. */
export const MODEL_FORMAT_VERSION = 1;
const FORMAT_NAME = 'mnistlab-model';
const MODEL_FILE = 'model.json';
// A model.json is a few kilobytes; more is not one of ours.
const MAX_JSON_BYTES = 16 << 20;
// Floats in all tensors together: 2^28 (1 GiB of weights).
const MAX_FLOATS = 2 ** 28;

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

/** Test hook: called between writing the weights and model.json. */
export interface SaveFaults {
  afterWeights?: () => void;
}

/**
 * Writes `model` to `dir` (made if missing), replacing any model there.
 * The same model always writes the same bytes.
 */
export function saveModel(
  dir: string,
  model: SavedModel,
  faults: SaveFaults = {},
): void {
  fs.mkdirSync(dir, { recursive: true });
  const weights = weightBytes(model.tensors);
  const sha256 = createHash('sha256').update(weights).digest('hex');
  const file = `weights-${sha256.slice(0, 16)}.bin`;
  writeAtomically(path.join(dir, file), weights);
  faults.afterWeights?.();
  const json = {
    format: FORMAT_NAME,
    version: MODEL_FORMAT_VERSION,
    kind: model.kind,
    layers: model.layers,
    inputShape: model.inputShape,
    tensors: model.tensors.map(({ name, shape }) => ({ name, shape })),
    weights: { file, bytes: weights.length, sha256 },
    training: model.training,
    history: model.history,
  };
  writeAtomically(
    path.join(dir, MODEL_FILE),
    Buffer.from(JSON.stringify(json, null, 2) + '\n'),
  );
  // Weights nothing names now, and what saves cut off left behind: only
  // files of our own making.
  for (const name of fs.readdirSync(dir)) {
    const stale =
      (isWeightsName(name) && name !== file) ||
      /^(model\.json|weights-[0-9a-f]{16}\.bin)\.\d+\.tmp$/.test(name);
    if (stale) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** Reads the model in `dir`, checking it whole; a UserError if it is not. */
export function loadModel(dir: string): SavedModel {
  const jsonPath = path.join(dir, MODEL_FILE);
  const fail = (what: string): never => {
    throw new UserError(`${jsonPath}: ${what}`);
  };
  let text: string;
  try {
    const stat = fs.statSync(jsonPath);
    // A pipe or a device would never end, or never stop giving.
    if (!stat.isFile()) fail('expected a file but found something else');
    if (stat.size > MAX_JSON_BYTES) {
      fail(`${stat.size} bytes is too large for a model`);
    }
    text = fs.readFileSync(jsonPath, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `no model at ${dir}: expected ${jsonPath} (written by mnistlab train ` +
        `--save) but could not read it: ${(error as Error).message}`,
    );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`not a mnistlab model (bad JSON: ${(error as Error).message})`);
  }
  if (
    json === null ||
    typeof json !== 'object' ||
    json.format !== FORMAT_NAME
  ) {
    fail(`not a mnistlab model (expected "format": "${FORMAT_NAME}")`);
  }
  const version = json.version;
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    fail(`expected a format version but found ${JSON.stringify(version)}`);
  }
  if ((version as number) > MODEL_FORMAT_VERSION) {
    fail(
      `written by a newer mnistlab (format version ${version}; this one ` +
        `reads up to ${MODEL_FORMAT_VERSION}): upgrade mnistlab to load it`,
    );
  }

  const kind = json.kind;
  if (kind !== 'softmax' && kind !== 'layers') {
    fail(`expected "kind" softmax or layers but found ${JSON.stringify(kind)}`);
  }
  const layers = json.layers;
  if (kind === 'layers' ? typeof layers !== 'string' : layers !== null) {
    fail(
      `expected "layers" to be the spec of a layer model (null for softmax)`,
    );
  }
  const inputShape = shapeOf(json.inputShape, 'inputShape', fail);
  const tensorList = json.tensors;
  if (!Array.isArray(tensorList) || tensorList.length === 0) {
    fail('expected a list of "tensors"');
  }
  let floats = 0;
  const headers = (tensorList as unknown[]).map((entry, i) => {
    const { name, shape } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string') fail(`expected tensor ${i} to have a name`);
    const dims = shapeOf(shape, `tensor ${name}`, fail);
    floats += dims.reduce((a, b) => a * b, 1);
    if (floats > MAX_FLOATS) fail(`expected at most ${MAX_FLOATS} weights`);
    return { name: name as string, shape: dims };
  });

  const weights = (json.weights ?? {}) as Record<string, unknown>;
  const file = weights.file;
  if (typeof file !== 'string' || !isWeightsName(file)) {
    fail('expected "weights.file" to name a weights-HASH.bin file');
  }
  const bytes = floats * 4;
  if (weights.bytes !== bytes) {
    fail(
      `expected "weights.bytes" to be ${bytes} for its tensors but found ` +
        JSON.stringify(weights.bytes),
    );
  }
  if (
    typeof weights.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(weights.sha256)
  ) {
    fail('expected "weights.sha256" to be a SHA-256 in hex');
  }
  const weightsPath = path.join(dir, file as string);
  let found: number;
  try {
    const stat = fs.statSync(weightsPath);
    if (!stat.isFile()) {
      throw new UserError(
        `${weightsPath}: expected the weights file but found something else`,
      );
    }
    found = stat.size;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `${weightsPath}: the model's weights are missing: ` +
        (error as Error).message,
    );
  }
  if (found !== bytes) {
    throw new UserError(
      `${weightsPath}: expected ${bytes} bytes of weights but found ` +
        `${found}${found < bytes ? ' (truncated?)' : ''}`,
    );
  }
  const data = fs.readFileSync(weightsPath);
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== weights.sha256) {
    throw new UserError(
      `${weightsPath}: the weights do not match the checksum in ` +
        `${MODEL_FILE}: the file is damaged or was changed`,
    );
  }

  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  const tensors = headers.map(({ name, shape }) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++, offset += 4) {
      values[i] = view.getFloat32(offset, true);
      if (!Number.isFinite(values[i])) {
        throw new UserError(
          `${weightsPath}: tensor ${name} holds ${values[i]} at ${i}: a ` +
            'model from a run that diverged does not predict anything',
        );
      }
    }
    return { name, shape, data: values };
  });
  const history = (json.history ?? {}) as Record<string, unknown>;
  return {
    kind: kind as SavedModel['kind'],
    layers: layers as string | null,
    inputShape,
    training: (json.training ?? {}) as Record<string, unknown>,
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
    tensors,
  };
}

/** The tensors' values, float32 little-endian, one after another. */
function weightBytes(tensors: NamedTensor[]): Buffer {
  const total = tensors.reduce((sum, t) => sum + t.data.length, 0);
  const bytes = Buffer.alloc(total * 4);
  let offset = 0;
  for (const { data } of tensors) {
    for (let i = 0; i < data.length; i++, offset += 4) {
      bytes.writeFloatLE(data[i], offset);
    }
  }
  return bytes;
}

/** Writes `bytes` to a temporary file beside `file`, then renames it. */
function writeAtomically(file: string, bytes: Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new UserError(`could not write ${file}: ${(error as Error).message}`);
  }
}

function isWeightsName(file: string): boolean {
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

function numbersOf(value: unknown): number[] {
  return Array.isArray(value)
    ? value.filter((v): v is number => typeof v === 'number')
    : [];
}
