// Fuzzing saved models: a softmax model, a dense stack and a small CNN,
// saved, then their model.json edited (values, layer specs, nesting) or
// mangled as text, and their weights cut or given NaN and infinities,
// often with the checksum and sizes fixed up so that the loader gets past
// them. Each case is loaded, rebuilt and run on one blank image, and must
// give predictions or a UserError within a second, allocating at most 64
// bytes per byte of its files plus 8 MiB: util/fuzz.ts says how that is
// measured.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { makeTempDir } from '../data/fixtures.js';
import { INITIALIZERS } from '../nn/initializers.js';
import { Sequential } from '../nn/sequential.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import { parseLayers } from '../nn/spec.js';
import { tensor } from '../tensor/creation.js';
import { sizeOf } from '../tensor/shape.js';
import { restoreModel, savedLayers, savedSoftmax } from '../train/saved.js';
import {
  caseRandom,
  assertSpread,
  caseNumbers,
  FUZZ_SEED,
  FuzzRunner,
  summaryLine,
  makeFuzzDir,
  mutateBytes,
  pick,
} from '../util/fuzz.js';
import { Random } from '../util/random.js';
import { loadModel, saveModel, type SavedModel } from './model-file.js';
import { modelJson } from './model-format.js';

const dir = makeFuzzDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const description = {
  training: { epochs: 1, learningRate: 0.1 },
  history: { costs: [1.5], validationAccuracy: [0.5], testAccuracy: 0.6 },
};

function layers(spec: string, inputShape: number[]): SavedModel {
  const init = { init: INITIALIZERS.xavier, dropout: 0.2 };
  const model = new Sequential(parseLayers(spec, init), { inputShape });
  return savedLayers(model, description);
}

type Json = Record<string, unknown>;

/** A saved model as its two files: model.json parsed, and the weights. */
interface Files {
  json: Json;
  weights: Uint8Array;
}

const SEEDS: { name: string; files: Files }[] = [
  [
    'softmax 16x10',
    savedSoftmax(new SoftmaxRegression(16, 10, 'normal', new Random(9)), {
      ...description,
    }),
  ],
  [
    'dense stack',
    layers('dense:8,relu,batchnorm,dropout:0.5,dense:10,softmax', [16]),
  ],
  ['small CNN', layers('conv:2:3,relu,maxpool:2,flatten,dense:10', [6, 6, 1])],
].map(([name, model]) => {
  const seedDir = makeTempDir();
  saveModel(seedDir, model as SavedModel);
  const json = JSON.parse(
    fs.readFileSync(path.join(seedDir, 'model.json'), 'utf8'),
  ) as Json;
  const weightsEntry = json.weights as Json;
  const weights = fs.readFileSync(
    path.join(seedDir, weightsEntry.file as string),
  );
  fs.rmSync(seedDir, { recursive: true });
  return { name: name as string, files: { json, weights } };
});

const LAYER_SPECS = [
  'dense:99999999',
  'dense:0',
  'dense:-1',
  'dense:1e9',
  'dense:10.5',
  'dense:10',
  'flatten,dense:10',
  'conv:1:999',
  'conv:99999:3,flatten,dense:10',
  'conv:2:3:99999999,flatten,dense:10',
  'conv:2:3:1:valid,flatten,dense:10',
  'conv:2:7:1:valid,flatten,dense:10',
  'maxpool:999,flatten,dense:10',
  'avgpool:2:1:same,flatten,dense:10',
  'maxpool:2,maxpool:2,maxpool:2,flatten,dense:10',
  'batchnorm,dense:10',
  'batchnorm',
  'flatten,batchnorm',
  'batchnorm,flatten,batchnorm',
  'conv:10:1,avgpool:1000,flatten',
  'softmax',
  'relu',
  'flatten',
  'dropout:2',
  'dropout:0.5,dense:10',
  '',
  ',',
  ',,,',
  'dense:10,'.repeat(500),
  'relu,'.repeat(5000) + 'dense:10',
  'dense:8,relu,batchnorm,dropout:0.5,dense:10,softmax',
  'conv:2:3,relu,maxpool:2,flatten,dense:10',
  'dense:8,relu,batchnorm,dropout:0.5,dense:10,softmax'.replace('8', '80'),
  'dense:1:2:3',
  'conv',
  'conv:2',
  'unknown:3',
  'dense:10\u0000',
  'DENSE:10',
  ' dense : 10 ',
];

const ENTRY = { file: 'weights-0123456789abcdef.bin', bytes: 0, sha256: '' };

const DEEP = '\u0000deep\u0000';

/** Values a JSON field is set to: wrong types, edges, huge and odd. */
function drawValue(random: Random): unknown {
  return pick(random, [
    () => pick(random, [0, 1, -1, 2.5, -0.5, 1e-300, 7, 10, 16, 784]),
    () => pick(random, [2 ** 28, 2 ** 28 + 1, 2 ** 31 - 1, 2 ** 32, 2 ** 53]),
    () => pick(random, [1e308, -1e308, 2 ** 53 + 2, -(2 ** 31)]),
    () => pick(random, ['', 'softmax', 'layers', 'mnistlab-model', '10']),
    () => pick(random, ['__proto__', 'constructor', 'toString', '\u0000']),
    () => pick(random, ['x'.repeat(100_000), 'weights-0123456789abcdef.bin']),
    () => pick(random, ['../model.json', '/etc/passwd', 'model.json']),
    () => pick(random, LAYER_SPECS),
    () => pick(random, [[], [0], [1], [-1], [1.5], ['1'], [[2]], [null]]),
    () =>
      pick(random, [
        [2 ** 28, 2],
        [1e6, 1e6],
        [2 ** 14, 2 ** 14, 1],
      ]),
    () => pick(random, [[784], [28, 28, 1], [16], [6, 6, 1], [10, 16]]),
    () => pick(random, [[16, 10], [10], [3, 3, 1, 2], [2], [8], [72, 10]]),
    () => pick(random, [{}, { name: 'weights', shape: [16, 10] }]),
    () => JSON.parse('{"__proto__": {"polluted": 1}}') as unknown,
    () => pick(random, [null, true, false]),
    () => DEEP,
  ])();
}

/** Every place in a JSON value, as the keys that lead there. */
function places(value: unknown, at: (string | number)[] = []) {
  const found: (string | number)[][] = [at];
  if (Array.isArray(value)) {
    value.slice(0, 50).forEach((v, i) => found.push(...places(v, [...at, i])));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      found.push(...places(v, [...at, key]));
    }
  }
  return found;
}

/** Sets (or deletes, with undefined) the value at `place` of `root`. */
function setAt(root: Json, place: (string | number)[], value: unknown): Json {
  if (place.length === 0) return value as Json;
  let parent = root as Record<string | number, unknown>;
  for (const key of place.slice(0, -1)) {
    parent = parent[key] as Record<string | number, unknown>;
  }
  const key = place[place.length - 1];
  if (value === undefined && !Array.isArray(parent)) delete parent[key];
  else parent[key] = value;
  return root;
}

/** model.json with 1 to 3 of its values replaced, deleted or added to. */
function mutateJson(json: Json, random: Random) {
  let out = structuredClone(json);
  const steps: string[] = [];
  // The fields a reader checks most, hit more often than history's.
  const hot = ['kind', 'layers', 'inputShape', 'tensors', 'weights', 'version'];
  for (let n = 1 + random.int(3); n > 0; n--) {
    const all = places(out);
    const focused = all.filter((p) => hot.includes(String(p[0])));
    const pool = focused.length > 0 && random.int(3) > 0 ? focused : all;
    const place = pick(random, pool);
    const where = place.length === 0 ? 'the root' : place.join('.');
    const choice = random.int(8);
    if (choice === 0 && place.length > 0) {
      steps.push(`delete ${where}`);
      out = setAt(out, place, undefined);
    } else if (choice === 1 && String(place[0]) === 'layers') {
      const spec = pick(random, LAYER_SPECS);
      steps.push(`layers = ${JSON.stringify(spec).slice(0, 80)}`);
      out.layers = spec;
    } else if (choice === 2 && Array.isArray(lookup(out, place))) {
      const list = lookup(out, place) as unknown[];
      const item =
        list.length > 0 && random.int(2) ? list[0] : drawValue(random);
      steps.push(`append ${short(item)} to ${where}`);
      list.push(structuredClone(item));
    } else {
      const value = drawValue(random);
      steps.push(`${where} = ${short(value)}`);
      out = setAt(out, place, value);
    }
  }
  return { json: out, mutation: steps.join('; ') };
}

const INPUT_SHAPES = [
  [16],
  [784],
  [4, 4],
  [16, 1],
  [6, 6, 1],
  [7, 7, 1],
  [1, 1, 1],
  [8192, 8192],
  [4096, 4096, 1],
  [2 ** 28],
  [1000, 1000, 1],
];

/**
 * model.json whose layer spec or input shape is another, its tensors left
 * as they are: restoreModel must refuse what does not fit them.
 */
function editLayers(json: Json, random: Random) {
  const out = structuredClone(json);
  const steps: string[] = [];
  if (random.int(3) > 0) {
    out.kind = 'layers';
    out.layers = pick(random, LAYER_SPECS);
    steps.push(`layers = ${JSON.stringify(out.layers).slice(0, 80)}`);
  }
  if (steps.length === 0 || random.int(2) === 0) {
    out.inputShape = pick(random, INPUT_SHAPES);
    steps.push(`inputShape = ${JSON.stringify(out.inputShape)}`);
  }
  return { json: out, mutation: steps.join('; ') };
}

function lookup(root: unknown, place: (string | number)[]): unknown {
  let value = root as Record<string | number, unknown> | undefined;
  for (const key of place) {
    value = value?.[key] as Record<string | number, unknown> | undefined;
  }
  return value;
}

function short(value: unknown): string {
  if (value === DEEP) return 'nesting 20000 deep';
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 40)}... (${text.length})` : text;
}

/** JSON text, with DEEP replaced by arrays nested 20000 deep. */
function jsonText(json: unknown): string {
  const text = JSON.stringify(json, null, 2);
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  return text.replaceAll(JSON.stringify(DEEP), deep);
}

/** Float32 bit patterns a weights file may hold where it should not. */
const ODD_FLOATS = [
  0x7fc00000, // NaN
  0xffc00000, // -NaN
  0x7f800001, // signalling NaN
  0x7f800000, // Infinity
  0xff800000, // -Infinity
  0x00000001, // smallest subnormal
  0x7f7fffff, // largest finite
  0x80000000, // -0
];

/** The weights with some floats made odd, cut short or grown. */
function mutateWeights(weights: Uint8Array, random: Random) {
  if (random.int(3) === 0) return mutateBytes(weights, random);
  const out = Uint8Array.from(weights);
  const view = new DataView(out.buffer);
  const steps: string[] = [];
  for (let n = 1 + random.int(3); n > 0 && out.length >= 4; n--) {
    const i = random.int(out.length >> 2);
    const bits = pick(random, ODD_FLOATS);
    steps.push(`float ${i} = 0x${bits.toString(16)}`);
    view.setUint32(i * 4, bits, true);
  }
  return { bytes: out, mutation: steps.join('; ') };
}

/**
 * model.json made to agree with `weights` (their size and checksum), and,
 * when its tensors' shapes are all sound and small, weights of the size
 * those shapes take: so that cases reach the decoding and the layers.
 */
function agree(json: Json, weights: Uint8Array, random: Random) {
  let bytes = weights;
  const tensors = json.tensors;
  if (Array.isArray(tensors)) {
    const shapes = tensors.map((t) => (t as Json | null)?.shape);
    const sound = shapes.every(
      (s) =>
        Array.isArray(s) &&
        s.every((d) => Number.isSafeInteger(d) && d > 0 && d < 1e5),
    );
    const floats = sound
      ? shapes.reduce((sum: number, s) => sum + sizeOf(s as number[]), 0)
      : Infinity;
    if (floats <= 100_000 && floats * 4 !== bytes.length) {
      bytes = new Uint8Array(floats * 4);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < floats; i++) {
        view.setFloat32(i * 4, random.normal(), true);
      }
    }
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const entry = (json.weights ?? {}) as Json;
  if (typeof entry === 'object' && entry !== null) {
    json.weights = { ...entry, bytes: bytes.length, sha256 };
  }
  return bytes;
}

interface Case {
  text: string;
  weightsName: string;
  weights: Uint8Array;
  mutation: string;
}

function makeCase(random: Random): Case {
  const seed = pick(random, SEEDS);
  const weightsName = (seed.files.json.weights as Json).file as string;
  const form = random.int(6);
  if (form === 0) {
    // model.json mangled as text: cut, flipped, bytes inserted.
    const text = JSON.stringify(seed.files.json, null, 2);
    const m = mutateBytes(new TextEncoder().encode(text), random);
    return {
      text: new TextDecoder().decode(m.bytes),
      weightsName,
      weights: seed.files.weights,
      mutation: `${seed.name}, model.json text: ${m.mutation}`,
    };
  }
  if (form === 1) {
    const m = mutateWeights(seed.files.weights, random);
    const json = structuredClone(seed.files.json);
    const fixed = random.int(4) > 0;
    if (fixed) {
      const sha256 = createHash('sha256').update(m.bytes).digest('hex');
      json.weights = {
        ...(json.weights as Json),
        bytes: m.bytes.length,
        sha256,
      };
    }
    return {
      text: JSON.stringify(json),
      weightsName,
      weights: m.bytes,
      mutation:
        `${seed.name}, weights: ${m.mutation}` +
        (fixed ? ' (checksum and size fixed)' : ''),
    };
  }
  const { json, mutation } =
    form === 5
      ? editLayers(seed.files.json, random)
      : mutateJson(seed.files.json, random);
  let weights = seed.files.weights;
  let fixed = '';
  if (form >= 3 && json !== null && typeof json === 'object') {
    weights = agree(json, weights, random);
    fixed = ' (weights made to agree)';
  }
  const file = (json as Json | null)?.weights as Json | undefined;
  const name =
    typeof file?.file === 'string' &&
    /^weights-[0-9a-f]{16}\.bin$/.test(file.file)
      ? file.file
      : weightsName;
  return {
    text: jsonText(json),
    weightsName: name,
    weights,
    mutation: `${seed.name}, model.json: ${mutation}${fixed}`,
  };
}

describe('model loading under fuzzing', () => {
  it('gives predictions or a UserError for every edited model', (t) => {
    const runner = new FuzzRunner('model fuzz');
    const modelDir = path.join(dir, 'model');
    fs.mkdirSync(modelDir);
    let predicted = 0;
    for (const i of caseNumbers(3000)) {
      const random = caseRandom(i);
      const { text, weightsName, weights, mutation } = makeCase(random);
      for (const name of fs.readdirSync(modelDir)) {
        fs.rmSync(path.join(modelDir, name));
      }
      fs.writeFileSync(path.join(modelDir, 'model.json'), text);
      fs.writeFileSync(path.join(modelDir, weightsName), weights);
      const label = `seed ${FUZZ_SEED} case ${i}: ${mutation}`;
      const fileBytes = Buffer.byteLength(text) + weights.length;
      runner.check(label, fileBytes, () => {
        const saved = loadModel(modelDir);
        // What is loaded can be saved again (and sent to the web page).
        JSON.stringify(modelJson(saved, ENTRY));
        const loaded = restoreModel(saved);
        const inputs = sizeOf(loaded.description.inputShape);
        // A blank image larger than this would be memory the test spends.
        if (inputs > 10_000) return;
        const probs = loaded.predict(
          tensor(new Float32Array(inputs), [1, inputs]),
        );
        assert.equal(probs.shape.length, 2, 'probabilities [1, classes]');
        assert.equal(probs.shape[0], 1, 'one row of probabilities');
        predicted++;
        return probs.size * 4;
      });
    }
    const summary = runner.finish();
    t.diagnostic(`${summaryLine(summary)}; ${predicted} predicted`);
    assert.deepEqual(summary.findings, []);
    assertSpread(summary, 1 / 20, 1 / 2);
  });
});
