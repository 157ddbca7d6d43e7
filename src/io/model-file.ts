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
import {
  checkWeightsSize,
  decodeModel,
  isWeightsName,
  modelJson,
  readModelHeader,
  weightBytes,
  type SavedModel,
} from './model-format.js';

export {
  MODEL_FORMAT_VERSION,
  type ModelDescription,
  type NamedTensor,
  type SavedModel,
} from './model-format.js';

const MODEL_FILE = 'model.json';
// A model.json is a few kilobytes; more is not one of ours.
const MAX_JSON_BYTES = 16 << 20;

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
  const json = modelJson(model, { file, bytes: weights.length, sha256 });
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`not a mnistlab model (bad JSON: ${(error as Error).message})`);
  }
  const header = readModelHeader(json, jsonPath);
  const { file } = header.weights;
  const weightsPath = path.join(dir, file);
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
  checkWeightsSize(header, found, weightsPath);
  const data = fs.readFileSync(weightsPath);
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== header.weights.sha256) {
    throw new UserError(
      `${weightsPath}: the weights do not match the checksum in ` +
        `${MODEL_FILE}: the file is damaged or was changed`,
    );
  }

  return decodeModel(header, data, weightsPath);
}

/** Writes `bytes` to a temporary file beside `file`, then renames it. */
export function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(temporary, 'w');
    try {
      // A write may take fewer bytes than asked (a full disk, a file size
      // limit): the rest is written, or the file is never renamed.
      for (let done = 0; done < bytes.length;) {
        const written = fs.writeSync(fd, bytes, done, bytes.length - done);
        if (written <= 0) {
          throw new Error(`wrote ${done} of ${bytes.length} bytes`);
        }
        done += written;
      }
      fs.fsyncSync(fd);
      const size = fs.fstatSync(fd).size;
      if (size !== bytes.length) {
        throw new Error(`wrote ${size} of ${bytes.length} bytes`);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new UserError(`could not write ${file}: ${(error as Error).message}`);
  }
}
