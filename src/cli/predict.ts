// mnistlab predict: a saved model reads people's own digits from PNG and
// JPEG files, each prepared as MNIST's digits were (data/prepare.ts).

import { Command } from 'commander';

import { DIGIT_SIDE, prepareDigit } from '../data/prepare.js';
import { digitArt } from '../io/digit-art.js';
import { readImageFile } from '../io/image-file.js';
import { loadModel } from '../io/model-file.js';
import { pixelTensor } from '../tensor/creation.js';
import {
  checkModelFits,
  restoreModel,
  type LoadedModel,
} from '../train/saved.js';
import { UserError } from '../util/errors.js';
import { positiveIntUpTo } from './options.js';

interface PredictOptions {
  model: string;
  json?: boolean;
  top: number;
  show?: boolean;
}

interface Prediction {
  file: string;
  /** Why the file could not be read; null when it was. */
  error: string | null;
  /** null when the image holds no ink. */
  digit: number | null;
  probability: number | null;
  probabilities: number[] | null;
  /** The prepared 28x28 input, for --show. */
  pixels: Uint8Array | null;
}

export function predictCommand(): Command {
  return new Command('predict')
    .description(
      'read digits from PNG or JPEG files with a model saved by ' +
        '`mnistlab train --save`, preparing each as MNIST digits were',
    )
    .argument('<files...>', 'pictures of one digit each')
    .requiredOption('--model <dir>', 'folder of the saved model')
    .option(
      '--top <k>',
      'show the k likeliest digits',
      positiveIntUpTo(10, 'the ten digits'),
      1,
    )
    .option('--show', 'draw the prepared 28x28 input, as the model sees it')
    .option('--json', 'print one line of JSON instead')
    .option('--verbose', 'show stack traces of errors')
    .addHelpText(
      'after',
      '\nExamples:\n  mnistlab train --model cnn --save runs/cnn\n' +
        '  mnistlab predict --model runs/cnn my-three.png --top 3 --show',
    )
    .action(predict);
}

function predict(files: string[], options: PredictOptions): void {
  const loaded = restoreModel(loadModel(options.model));
  const shape = { rows: DIGIT_SIDE, cols: DIGIT_SIDE, classes: 10 };
  checkModelFits(loaded, shape, `--model ${options.model}`);
  const predictions = files.map((file) => predictFile(loaded, file));
  if (options.json) {
    console.log(
      JSON.stringify({
        model: options.model,
        predictions: predictions.map(({ pixels, ...rest }) => rest),
      }),
    );
  } else {
    printPredictions(predictions, options);
  }
  // Every readable file has its answer; unreadable ones fail the command.
  const failed = predictions.filter((p) => p.error !== null);
  if (failed.length > 0) {
    throw new UserError(
      failed.length === 1
        ? failed[0].error!
        : `${failed.length} of ${files.length} files could not be read:\n` +
            failed.map((p) => `  ${p.error}`).join('\n'),
    );
  }
}

function printPredictions(
  predictions: Prediction[],
  options: PredictOptions,
): void {
  for (const p of predictions) {
    const name = p.file;
    if (p.error !== null) {
      console.log(`${name}: not read (see the error below)`);
      continue;
    }
    if (p.digit === null || p.probabilities === null) {
      console.log(`${name}: no ink found (an empty picture?)`);
      continue;
    }
    const likeliest = p.probabilities
      .map((probability, digit) => ({ digit, probability }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, options.top)
      .map(({ digit, probability }) => `${digit} (${probability.toFixed(4)})`);
    console.log(`${name}: ${likeliest.join(', ')}`);
    if (options.show && p.pixels !== null) {
      console.log(digitArt(p.pixels, DIGIT_SIDE, DIGIT_SIDE).join('\n'));
    }
  }
}

function predictFile(loaded: LoadedModel, file: string): Prediction {
  const none = { digit: null, probability: null, probabilities: null };
  let pixels: Uint8Array | null;
  try {
    pixels = prepareDigit(readImageFile(file));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { file, error: error.message, ...none, pixels: null };
  }
  if (pixels === null) return { file, error: null, ...none, pixels };
  const size = DIGIT_SIDE * DIGIT_SIDE;
  const probs = loaded.predict(pixelTensor(pixels, [1, size])).data;
  const probabilities = Array.from(probs);
  let digit = 0;
  for (let c = 1; c < probabilities.length; c++) {
    if (probabilities[c] > probabilities[digit]) digit = c;
  }
  return {
    file,
    error: null,
    digit,
    probability: probabilities[digit],
    probabilities,
    pixels,
  };
}
