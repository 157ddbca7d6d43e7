// mnistlab sweep: the same model trained once per learning rate, same seed,
// with a table of how each ended and, with --out, their cost curves in
// one chart.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Command, InvalidArgumentError, Option } from 'commander';

import { defaultDataDir } from '../data/files.js';
import { readDataSets, type DataSets } from '../data/mnist.js';
import { chartSvg, costCurves } from '../io/charts.js';
import { LAB_DEFAULTS, runLab } from '../train/lab.js';
import { NETWORK_PRESETS, trainNetwork } from '../train/networks.js';
import {
  sweepLearningRates,
  type RateTrainer,
  type SweepRun,
} from '../train/sweep.js';
import { UserError } from '../util/errors.js';
import { checkOutputFolder, positiveInt, seed } from './options.js';

const MODELS = ['softmax', 'mlp', 'cnn'] as const;
type SweepModel = (typeof MODELS)[number];

interface SweepOptions {
  learningRates: number[];
  model: SweepModel;
  epochs?: number;
  data?: string;
  seed: number;
  out?: string;
  json?: boolean;
}

/** "0.001,0.01,0.1" as positive rates. */
function rateList(text: string): number[] {
  const rates = text.split(',').map((part) => Number(part.trim()));
  if (
    text.trim() === '' ||
    !rates.every((rate) => Number.isFinite(rate) && rate > 0)
  ) {
    throw new InvalidArgumentError(
      'Expected a comma-separated list of positive learning rates.',
    );
  }
  return rates;
}

export function sweepCommand(): Command {
  return new Command('sweep')
    .description(
      'train one model per learning rate with the same seed and compare ' +
        "how they end: the lab's lesson on learning rates",
    )
    .option(
      '--learning-rates <list>',
      'comma-separated rates',
      rateList,
      [0.001, 0.01, 0.1, 1, 10],
    )
    .addOption(
      new Option('--model <name>', 'what to train')
        .choices(MODELS)
        .default('softmax'),
    )
    .option(
      '--epochs <n>',
      "epochs of each run (default: the model's)",
      positiveInt,
    )
    .option('--data <dir>', 'folder with the four MNIST IDX files')
    .option('--seed <n>', 'seed of every run', seed, LAB_DEFAULTS.seed)
    .option(
      '--out <dir>',
      'also write costs.svg (all cost curves) and sweep.json',
    )
    .option('--json', 'print one line of JSON instead of the table')
    .option('--verbose', 'show stack traces of errors')
    .addHelpText(
      'after',
      '\nExample:\n  mnistlab sweep --learning-rates 0.001,0.01,0.1,1,10 --epochs 5 --out sweep',
    )
    .action(sweep);
}

async function sweep(options: SweepOptions): Promise<void> {
  if (options.out !== undefined) checkOutputFolder('--out', options.out);
  const dataDir = options.data ?? defaultDataDir();
  const runs = sweepLearningRates(
    options.learningRates,
    trainer(options, dataDir),
    {
      onRunStart: (rate) => {
        if (!options.json) console.error(`sweep: learning rate ${rate}`);
      },
    },
  );
  if (options.out !== undefined) {
    try {
      await writeOut(options.out, options, runs);
    } catch (error) {
      throw new UserError(
        `--out ${options.out}: could not write the results: ` +
          (error as Error).message,
      );
    }
  }
  if (options.json) {
    console.log(JSON.stringify({ model: options.model, dataDir, runs }));
    return;
  }
  console.log(table(runs));
}

/** Each run on fresh data sets, so that every rate sees the same batches. */
function trainer(options: SweepOptions, dataDir: string): RateTrainer {
  // Read once; each run gets sets that have handed out nothing yet.
  const data = readDataSets(dataDir, { oneHot: true, seed: options.seed });
  const read = (): DataSets => ({
    ...data,
    train: data.train.fresh(),
    validation: data.validation.fresh(),
    test: data.test.fresh(),
  });
  if (options.model === 'softmax') {
    return (learningRate, onStep, onEpochEnd) => {
      const result = runLab(
        read(),
        {
          ...LAB_DEFAULTS,
          epochs: options.epochs ?? LAB_DEFAULTS.epochs,
          learningRate,
          seed: options.seed,
        },
        {
          onStep: ({ loss }) => onStep(loss),
          onEpochEnd: ({ cost }) => onEpochEnd(cost),
        },
      );
      return {
        costs: result.costs,
        validationAccuracy: result.validationAccuracy,
        testAccuracy: result.testAccuracy,
      };
    };
  }
  const preset = NETWORK_PRESETS[options.model];
  return (learningRate, onStep, onEpochEnd) => {
    const result = trainNetwork(
      read(),
      {
        ...preset,
        epochs: options.epochs ?? preset.epochs,
        learningRate,
        seed: options.seed,
      },
      {
        onStep: ({ loss }) => onStep(loss),
        onEpochEnd: ({ loss }) => onEpochEnd(loss),
      },
    );
    const last = result.history[result.history.length - 1];
    return {
      costs: result.history.map((h) => h.loss),
      validationAccuracy: last?.validationAccuracy ?? null,
      testAccuracy: result.testAccuracy,
    };
  };
}

function table(runs: SweepRun[]): string {
  const number = (x: number | null, digits: number) =>
    x === null ? '-' : x.toFixed(digits);
  const rows = runs.map((run) => [
    String(run.learningRate),
    number(run.costs[run.costs.length - 1] ?? null, 6),
    number(run.validationAccuracy, 4),
    number(run.testAccuracy, 4),
    run.status === 'diverged'
      ? `diverged at epoch ${run.costs.length + 1}`
      : run.status,
  ]);
  const header = [
    'learning rate',
    'final cost',
    'validation',
    'test',
    'status',
  ];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : cell.padEnd(widths[i]),
      )
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

async function writeOut(
  dir: string,
  options: SweepOptions,
  runs: SweepRun[],
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const series = runs.map((run) => ({
    name:
      `rate ${run.learningRate}` +
      (run.status === 'learned' ? '' : ` (${run.status})`),
    // A diverged run ends where its last epoch had got to.
    costs: [
      ...run.costs,
      ...(run.lastCost === null ? [] : [run.lastCost]),
    ].filter((cost) => Number.isFinite(cost) && cost > 0),
  }));
  const title = `${options.model}: cost per epoch by learning rate`;
  fs.writeFileSync(
    path.join(dir, 'costs.svg'),
    await chartSvg(costCurves(title, series)),
  );
  fs.writeFileSync(
    path.join(dir, 'sweep.json'),
    JSON.stringify(
      { model: options.model, seed: options.seed, runs },
      null,
      2,
    ) + '\n',
  );
}
