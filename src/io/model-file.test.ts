// Saved models: a round trip predicts the same bits and re-saves the same
// bytes; damaged, truncated, newer or half-written models are refused
// with a message that says which.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { makeTempDir } from '../data/fixtures.js';
import { INITIALIZERS } from '../nn/initializers.js';
import { BatchNorm } from '../nn/layers.js';
import { Sequential } from '../nn/sequential.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import { parseLayers } from '../nn/spec.js';
import { randomNormal } from '../tensor/creation.js';
import { restoreModel, savedLayers, savedSoftmax } from '../train/saved.js';
import { UserError } from '../util/errors.js';
import { Random } from '../util/random.js';
import { loadModel, saveModel, type SavedModel } from './model-file.js';

const random = new Random(3);
const description = {
  training: { epochs: 1, learningRate: 0.1 },
  history: { costs: [1.5], validationAccuracy: [0.5], testAccuracy: 0.6 },
};

function layerModel(): Sequential {
  const layers = parseLayers(
    'dense:8,relu,batchnorm,dropout:0.5,dense:10,softmax',
    { init: INITIALIZERS.xavier, dropout: 0.2 },
  );
  const model = new Sequential(layers, { inputShape: [16], seed: 5 });
  // Running statistics that are not the defaults.
  const norm = model.layers[2] as BatchNorm;
  norm.movingMean.set(randomNormal([8], random).data);
  norm.movingVariance.set(randomNormal([8], random).data.map(Math.abs));
  return model;
}

function softmaxModel(): SoftmaxRegression {
  return new SoftmaxRegression(16, 10, 'normal', new Random(9));
}

/** Asserts that `read` throws a UserError with exactly `message`. */
function assertUserError(read: () => unknown, message: string): void {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

const files = (dir: string) =>
  Object.fromEntries(
    fs
      .readdirSync(dir)
      .map((name) => [name, fs.readFileSync(path.join(dir, name))]),
  );

describe('saveModel and loadModel', () => {
  for (const [kind, make] of [
    ['softmax', () => savedSoftmax(softmaxModel(), description)],
    ['layers', () => savedLayers(layerModel(), description)],
  ] as [string, () => SavedModel][]) {
    it(`round-trips a ${kind} model: same predictions, same bytes`, () => {
      const dir = makeTempDir();
      const saved = make();
      saveModel(dir, saved);
      const loaded = restoreModel(loadModel(dir));
      const original = restoreModel(saved);
      const images = randomNormal([5, 16], random);
      assert.deepEqual(
        loaded.predict(images).data,
        original.predict(images).data,
      );
      assert.deepEqual(loaded.description.history, description.history);
      assert.deepEqual(loaded.description.training, description.training);
      const again = makeTempDir();
      saveModel(again, loadModel(dir));
      assert.deepEqual(files(again), files(dir));
    });
  }

  it('keeps the old model when a save is cut off, and ends with the new', () => {
    const dir = makeTempDir();
    const first = savedSoftmax(softmaxModel(), description);
    saveModel(dir, first);
    const other = new SoftmaxRegression(16, 10, 'normal', new Random(10));
    const second = savedSoftmax(other, description);
    assert.throws(
      () =>
        saveModel(dir, second, {
          afterWeights: () => {
            throw new Error('killed');
          },
        }),
      /killed/,
    );
    assert.deepEqual(loadModel(dir).tensors, first.tensors);
    saveModel(dir, second);
    assert.deepEqual(loadModel(dir).tensors, second.tensors);
    // Only the new weights are left, and no leftovers of the cut-off save.
    fs.writeFileSync(path.join(dir, 'model.json.1234.tmp'), '{');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    saveModel(dir, second);
    const names = fs.readdirSync(dir).sort();
    assert.equal(names.filter((f) => f.endsWith('.bin')).length, 1);
    assert.deepEqual(
      names.filter((f) => !f.endsWith('.bin')),
      ['model.json', 'notes.txt'],
    );
  });

  it('never puts a file cut short by a size limit in place of a whole one', () => {
    const dir = makeTempDir();
    const small = savedSoftmax(softmaxModel(), description);
    saveModel(dir, small);
    // Weights of 120 KB under a file size limit of 64 KB (ulimit -f;
    // bash counts in KB), saved by another process.
    const here = (file: string) =>
      JSON.stringify(new URL(file, import.meta.url).href);
    const script = path.join(makeTempDir(), 'save.mjs');
    fs.writeFileSync(
      script,
      `import { saveModel } from ${here('./model-file.js')};\n` +
        `import { SoftmaxRegression } from ${here('../nn/softmax-regression.js')};\n` +
        `import { savedSoftmax } from ${here('../train/saved.js')};\n` +
        `import { Random } from ${here('../util/random.js')};\n` +
        "const big = new SoftmaxRegression(3000, 10, 'normal', new Random(3));\n" +
        'const history = { costs: [], validationAccuracy: [], testAccuracy: null };\n' +
        'try { saveModel(process.argv[2], savedSoftmax(big, { training: {}, history })); }\n' +
        'catch (error) { console.log(error.message); process.exit(3); }\n',
    );
    let status = 0;
    let output = '';
    try {
      execFileSync(
        'bash',
        [
          '-c',
          'ulimit -f 64; exec "$0" "$1" "$2"',
          process.execPath,
          script,
          dir,
        ],
        {
          encoding: 'utf8',
        },
      );
    } catch (error) {
      const failed = error as { status: number; stdout: string };
      status = failed.status;
      output = failed.stdout;
    }
    assert.equal(status, 3);
    assert.match(output, /could not write .*weights-[0-9a-f]{16}\.bin: /);
    assert.deepEqual(loadModel(dir).tensors, small.tensors);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  describe('refuses a model that is not whole', () => {
    const saved = () => {
      const dir = makeTempDir();
      saveModel(dir, savedSoftmax(softmaxModel(), description));
      const json = JSON.parse(
        fs.readFileSync(path.join(dir, 'model.json'), 'utf8'),
      );
      return { dir, json, weights: path.join(dir, json.weights.file) };
    };
    const rewrite = (dir: string, json: unknown) =>
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));

    it('from a newer format version', () => {
      const { dir, json } = saved();
      rewrite(dir, { ...json, version: 2 });
      assert.throws(
        () => loadModel(dir),
        /written by a newer mnistlab \(format version 2; this one reads up to 1\)/,
      );
    });

    it('whose weights fail their checksum', () => {
      const { dir, weights } = saved();
      const bytes = fs.readFileSync(weights);
      bytes[100] ^= 1;
      fs.writeFileSync(weights, bytes);
      assert.throws(
        () => loadModel(dir),
        /do not match the checksum in model.json: the file is damaged/,
      );
    });

    it('whose weights are cut short or missing', () => {
      const { dir, weights } = saved();
      fs.truncateSync(weights, 300);
      assert.throws(
        () => loadModel(dir),
        /expected 680 bytes of weights but found 300 \(truncated\?\)/,
      );
      fs.rmSync(weights);
      assert.throws(() => loadModel(dir), /the model's weights are missing/);
    });

    it('with no model.json, bad JSON, or another file format', () => {
      const empty = makeTempDir();
      assert.throws(
        () => loadModel(empty),
        /no model at .*: expected .*model\.json/,
      );
      const { dir, json } = saved();
      fs.writeFileSync(
        path.join(dir, 'model.json'),
        '{"format": "mnistlab-model", ',
      );
      assert.throws(() => loadModel(dir), /not a mnistlab model \(bad JSON/);
      rewrite(dir, { format: 'keras' });
      assert.throws(
        () => loadModel(dir),
        /not a mnistlab model \(expected "format": "mnistlab-model"\)/,
      );
      rewrite(dir, {
        ...json,
        tensors: [{ name: 'weights', shape: [2 ** 20, 2 ** 20] }],
      });
      assert.throws(() => loadModel(dir), /expected at most \d+ weights/);
      rewrite(dir, {
        ...json,
        tensors: [{ name: 'weights', shape: [16, -10] }],
      });
      assert.throws(
        () => loadModel(dir),
        /expected tensor weights to be a shape of positive integers/,
      );
    });

    it('whose model.json is a pipe, or whose weights are not finite', () => {
      const { dir, json, weights } = saved();
      const pipe = makeTempDir();
      execFileSync('mkfifo', [path.join(pipe, 'model.json')]);
      assert.throws(
        () => loadModel(pipe),
        /expected a file but found something else/,
      );
      // NaN weights with a checksum to match: refused, not predicted from.
      const bytes = fs.readFileSync(weights);
      bytes.writeFloatLE(NaN, 8);
      fs.writeFileSync(weights, bytes);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      rewrite(dir, { ...json, weights: { ...json.weights, sha256 } });
      assert.throws(
        () => loadModel(dir),
        /tensor weights holds NaN at 2: a model from a run that diverged/,
      );
      rewrite(dir, { ...json, weights: { ...json.weights, sha256: 5 } });
      assert.throws(
        () => loadModel(dir),
        /expected "weights\.sha256" to be a SHA-256 in hex/,
      );
    });

    it('whose values nest deep, or are too long to show whole', () => {
      const { dir, json } = saved();
      const jsonPath = path.join(dir, 'model.json');
      const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
      // Written as text: JSON.stringify itself overflows on such nesting.
      const text = JSON.stringify({ ...json, version: 'VERSION' });
      for (const depth of [100_000, 40]) {
        fs.writeFileSync(jsonPath, text.replace('"VERSION"', deep(depth)));
        assertUserError(
          () => loadModel(dir),
          `${jsonPath}: expected values nested at most 32 deep but found ` +
            'deeper',
        );
      }
      rewrite(dir, { ...json, kind: 'x'.repeat(100_000) });
      assertUserError(
        () => loadModel(dir),
        `${jsonPath}: expected "kind" softmax or layers but found ` +
          `"${'x'.repeat(30)}"... (100000 characters)`,
      );
      rewrite(dir, { ...json, version: [1] });
      assertUserError(
        () => loadModel(dir),
        `${jsonPath}: expected a format version but found an array`,
      );
    });

    it('whose softmax inputShape is not one flat size', () => {
      // [16, 16] built a model of 16 inputs, which predict then fed 256.
      const { dir, json } = saved();
      rewrite(dir, { ...json, inputShape: [16, 16] });
      assertUserError(
        () => restoreModel(loadModel(dir)),
        "expected the saved softmax model's inputShape to be [inputs] but " +
          'found [16, 16]',
      );
    });

    it('whose layers were edited to need more weights than it holds', () => {
      const dir = makeTempDir();
      const model = savedLayers(layerModel(), description);
      saveModel(dir, { ...model, layers: 'dense:4000000,dense:4000000' });
      const refusal =
        "the saved model's layers need more weights than its weights file " +
        'holds';
      assertUserError(() => restoreModel(loadModel(dir)), refusal);
      // A batch norm's arrays count too: 4 of 64M floats for [8192, 8192],
      // a gigabyte, were made for a 1 KB model before it was refused.
      saveModel(dir, {
        ...model,
        layers: 'flatten,batchnorm',
        inputShape: [8192, 8192],
      });
      assertUserError(() => restoreModel(loadModel(dir)), refusal);
    });

    it('whose tensors do not fit its layers', () => {
      const dir = makeTempDir();
      const model = savedLayers(layerModel(), description);
      saveModel(dir, {
        ...model,
        layers: 'dense:9,relu,batchnorm,dropout:0.5,dense:10,softmax',
      });
      assert.throws(
        () => restoreModel(loadModel(dir)),
        new RegExp(
          'tensor 1 is 1:dense:8:variable0 \\[16, 8\\] but its layers ' +
            'take 1:dense:9:variable0 \\[16, 9\\]',
        ),
      );
    });
  });
});
