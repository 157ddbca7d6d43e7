// A training run's checkpoint on disk, beside the model in a --save folder:
// checkpoint.json (the run's settings, its place, its random states and
// the order of the training set) and its arrays (the model's tensors, then
// the optimizer's), float32 little-endian, in checkpoint-HASH.bin. Written
// as models are (arrays first, JSON last, each renamed into place), so an
// interrupted write leaves the previous checkpoint whole.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Checkpoint } from '../train/checkpoint.js';
import { UserError } from '../util/errors.js';
import { weightBytes, type NamedTensor } from './model-format.js';
import { writeAtomically } from './model-file.js';

const FORMAT_NAME = 'mnistlab-checkpoint';
const FORMAT_VERSION = 1;
export const CHECKPOINT_FILE = 'checkpoint.json';
const MAX_JSON_BYTES = 16 << 20;
// Arrays of one checkpoint: 2^28 floats (1 GiB).
const MAX_FLOATS = 2 ** 28;

function isArraysName(name: string): boolean {
  return /^checkpoint-[0-9a-f]{16}\.bin$/.test(name);
}

/** A checkpoint as saved, with what its writer noted of the run. */
export interface SavedCheckpoint {
  checkpoint: Checkpoint;
  /** The writer's own notes (the command line's data settings). */
  run: Record<string, unknown>;
}

/**
 * Writes `checkpoint` into `dir` (made if missing), replacing any there;
 * `run` is kept beside it as it is.
 */
export function saveCheckpoint(
  dir: string,
  checkpoint: Checkpoint,
  run: Record<string, unknown> = {},
): void {
  fs.mkdirSync(dir, { recursive: true });
  const optimizer = checkpoint.model === 'layers' ? checkpoint.optimizer : null;
  const arrays: NamedTensor[] = [...checkpoint.tensors];
  optimizer?.slots.forEach(({ arrays: slots }, i) =>
    slots.forEach((data, j) =>
      arrays.push({ name: `slot:${i}:${j}`, shape: [data.length], data }),
    ),
  );
  const bytes = weightBytes(arrays);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file = `checkpoint-${sha256.slice(0, 16)}.bin`;
  writeAtomically(path.join(dir, file), bytes);

  const { order, ...place } = checkpoint.data;
  const json = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    model: checkpoint.model,
    config: checkpoint.config,
    position: checkpoint.position,
    trainSeconds: checkpoint.trainSeconds,
    data: {
      ...place,
      order: Buffer.from(
        order.buffer,
        order.byteOffset,
        order.byteLength,
      ).toString('base64'),
    },
    random: checkpoint.model === 'layers' ? checkpoint.random : null,
    optimizer:
      optimizer === null
        ? null
        : {
            iterations: optimizer.iterations,
            slots: optimizer.slots.map((slot) => ({
              count: slot.count,
              arrays: slot.arrays.length,
            })),
          },
    tensors: checkpoint.tensors.map(({ name, shape }) => ({ name, shape })),
    arrays: { file, bytes: bytes.length, sha256 },
    run,
  };
  writeAtomically(
    path.join(dir, CHECKPOINT_FILE),
    Buffer.from(JSON.stringify(json) + '\n'),
  );
  removeStale(dir, file);
}

/** Removes the checkpoint in `dir`, if any: the run it was of has ended. */
export function removeCheckpoint(dir: string): void {
  fs.rmSync(path.join(dir, CHECKPOINT_FILE), { force: true });
  removeStale(dir, null);
}

// Arrays nothing names now, and what cut-off writes left: ours only.
function removeStale(dir: string, keep: string | null): void {
  for (const name of fs.readdirSync(dir)) {
    const stale =
      (isArraysName(name) && name !== keep) ||
      /^(checkpoint\.json|checkpoint-[0-9a-f]{16}\.bin)\.\d+\.tmp$/.test(name);
    if (stale) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** The checkpoint in `dir`, checked whole; null when there is none. */
export function loadCheckpoint(dir: string): SavedCheckpoint | null {
  const jsonPath = path.join(dir, CHECKPOINT_FILE);
  const fail = (what: string): never => {
    throw new UserError(`${jsonPath}: ${what}`);
  };
  if (!fs.existsSync(jsonPath)) return null;
  const stat = fs.statSync(jsonPath);
  if (!stat.isFile() || stat.size > MAX_JSON_BYTES) {
    fail('expected a checkpoint file of at most 16 MB');
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  } catch (error) {
    return fail(`not a checkpoint (bad JSON: ${(error as Error).message})`);
  }
  if (
    json === null ||
    typeof json !== 'object' ||
    json.format !== FORMAT_NAME
  ) {
    fail(`not a checkpoint (expected "format": "${FORMAT_NAME}")`);
  }
  if (json.version !== FORMAT_VERSION) {
    fail(
      `expected checkpoint format version ${FORMAT_VERSION} but found ` +
        `${JSON.stringify(json.version)}: resume with the mnistlab that ` +
        'wrote it',
    );
  }
  const model = json.model;
  if (model !== 'softmax' && model !== 'layers') {
    fail(
      `expected "model" softmax or layers but found ${JSON.stringify(model)}`,
    );
  }
  const object = (value: unknown, what: string) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      fail(`expected "${what}" to be an object`);
    }
    return value as Record<string, unknown>;
  };
  const config = object(json.config, 'config');
  const position = object(json.position, 'position');
  const history = position.history;
  const report = (entry: unknown) => {
    const { epoch, loss, validationAccuracy } = (entry ?? {}) as Record<
      string,
      unknown
    >;
    return (
      Number.isSafeInteger(epoch) &&
      Number.isFinite(loss) &&
      (validationAccuracy === null || Number.isFinite(validationAccuracy))
    );
  };
  const entryFits =
    model === 'softmax' ? (entry: unknown) => Number.isFinite(entry) : report;
  if (!Array.isArray(history) || !history.every(entryFits)) {
    fail('expected "position.history" to list the finished epochs');
  }
  const trainSeconds = json.trainSeconds;
  if (typeof trainSeconds !== 'number' || !(trainSeconds >= 0)) {
    fail('expected "trainSeconds" to be a number of seconds');
  }

  const data = object(json.data, 'data');
  if (typeof data.order !== 'string') fail('expected "data.order" in base64');
  const orderBytes = Buffer.from(data.order as string, 'base64');
  if (orderBytes.length % 4 !== 0 || orderBytes.length > 4 * MAX_FLOATS) {
    fail('expected "data.order" to hold 32-bit indices');
  }
  const order = new Uint32Array(orderBytes.length / 4);
  new Uint8Array(order.buffer).set(orderBytes);

  // The arrays: the model's named tensors, then each slot, flat.
  const shapes: number[][] = [];
  const tensorList = Array.isArray(json.tensors) ? json.tensors : [];
  if (tensorList.length === 0) fail('expected a list of "tensors"');
  const names = tensorList.map((entry: unknown, i: number) => {
    const { name, shape } = (entry ?? {}) as Record<string, unknown>;
    const fits =
      typeof name === 'string' &&
      Array.isArray(shape) &&
      shape.length > 0 &&
      shape.every((d) => Number.isSafeInteger(d) && d > 0 && d <= MAX_FLOATS);
    if (!fits) fail(`expected tensor ${i} to have a name and a shape`);
    shapes.push(shape as number[]);
    return name as string;
  });
  const optimizerJson =
    json.optimizer === null ? null : object(json.optimizer, 'optimizer');
  if ((model === 'layers') !== (optimizerJson !== null)) {
    fail('expected an optimizer state for a layer model, and only then');
  }
  const slotCounts: { count: number; arrays: number }[] = [];
  if (optimizerJson !== null) {
    const slots = Array.isArray(optimizerJson.slots) ? optimizerJson.slots : [];
    for (const slot of slots) {
      const { count, arrays } = (slot ?? {}) as Record<string, unknown>;
      if (
        !Number.isSafeInteger(count) ||
        !Number.isSafeInteger(arrays) ||
        (arrays as number) < 0 ||
        (arrays as number) > 2
      ) {
        fail('expected each optimizer slot to have a count and 0 to 2 arrays');
      }
      slotCounts.push({ count: count as number, arrays: arrays as number });
    }
  }

  const values = readArrays(dir, json.arrays, fail);
  let offset = 0;
  const take = (size: number): Float32Array => {
    if (offset + size > values.length) {
      fail('expected the arrays file to hold every tensor it lists');
    }
    const part = values.slice(offset, offset + size);
    offset += size;
    return part;
  };
  const tensors = names.map((name: string, i: number) => ({
    name,
    shape: shapes[i],
    data: take(shapes[i].reduce((a, b) => a * b, 1)),
  }));
  // A slot's arrays are the size of its variable: the model's variables
  // are its tensors but batch norm's statistics, in order.
  const sizes = tensors
    .filter((t) => !/:moving(Mean|Variance)$/.test(t.name))
    .map((t) => t.data.length);
  const optimizer =
    optimizerJson === null
      ? null
      : {
          iterations: optimizerJson.iterations as number,
          slots: slotCounts.map(({ count, arrays }, i) => ({
            count,
            arrays: Array.from({ length: arrays }, () => take(sizes[i] ?? 0)),
          })),
        };
  if (offset !== values.length) {
    fail('expected the arrays file to hold the listed tensors exactly');
  }

  const base = {
    config,
    position,
    tensors,
    trainSeconds,
    data: {
      order,
      indexInEpoch: data.indexInEpoch,
      epochsCompleted: data.epochsCompleted,
      random: data.random,
    },
  };
  // The loops check the place, the states and sizes as they take them up.
  const checkpoint = (model === 'softmax'
    ? { model, ...base }
    : {
        model,
        ...base,
        optimizer,
        random: json.random,
      }) as unknown as Checkpoint;
  const run = json.run;
  const notes =
    run !== null && typeof run === 'object' && !Array.isArray(run) ? run : {};
  return { checkpoint, run: notes as Record<string, unknown> };
}

/** The arrays file's floats, checked against its size and SHA-256. */
function readArrays(
  dir: string,
  entry: unknown,
  fail: (what: string) => never,
): Float32Array {
  const { file, bytes, sha256 } = (entry ?? {}) as Record<string, unknown>;
  if (
    typeof file !== 'string' ||
    !isArraysName(file) ||
    !Number.isSafeInteger(bytes) ||
    (bytes as number) % 4 !== 0 ||
    (bytes as number) > 4 * MAX_FLOATS ||
    typeof sha256 !== 'string'
  ) {
    fail('expected "arrays" to name a checkpoint-HASH.bin with its size');
  }
  const arraysPath = path.join(dir, file as string);
  let found: string | number = 'no such file';
  try {
    const stat = fs.statSync(arraysPath);
    found = stat.isFile() ? stat.size : 'something other than a file';
  } catch {
    // Reported below.
  }
  if (found !== bytes) {
    throw new UserError(
      `${arraysPath}: expected ${bytes} bytes of checkpoint arrays but ` +
        `found ${found}`,
    );
  }
  const content = fs.readFileSync(arraysPath);
  if (createHash('sha256').update(content).digest('hex') !== sha256) {
    throw new UserError(
      `${arraysPath}: the arrays do not match the checksum in ` +
        `${CHECKPOINT_FILE}: the file is damaged or was changed`,
    );
  }
  const view = new DataView(content.buffer, content.byteOffset, content.length);
  const values = new Float32Array(content.length / 4);
  for (let i = 0; i < values.length; i++) {
    values[i] = view.getFloat32(i * 4, true);
    if (!Number.isFinite(values[i])) {
      throw new UserError(
        `${arraysPath}: holds ${values[i]} at ${i}: a checkpoint is only ` +
          'written of finite weights',
      );
    }
  }
  return values;
}
