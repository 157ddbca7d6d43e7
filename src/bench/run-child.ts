// One bench run in a process of its own, so that its peak memory is its
// own and no run slows the next:
//   node run-child.js mnistlab|tfjs-wasm|tfjs-cpu CONFIG --data DIR
//     [--threads N]
// Prints one JSON line (a RunReport) on standard output; on failure, exits
// 1 with one line on standard error. The bench's only printing outside
// the CLI: this script is the child's end of the pipe.

import { parseArgs } from 'node:util';

import {
  BENCH_CONFIGS,
  CHILD_RUNNERS,
  type BenchConfig,
  type ChildRunner,
} from './configs.js';
import { runOurs } from './ours.js';
import { readBenchData, type RunReport } from './report.js';
import { runTfjs } from './tfjs.js';
import { VERSION } from '../util/version.js';

const USAGE =
  'run-child.js mnistlab|tfjs-wasm|tfjs-cpu softmax|mlp|cnn --data DIR ' +
  '[--threads N]';

async function main(argv: string[]): Promise<RunReport> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { data: { type: 'string' }, threads: { type: 'string' } },
  });
  const [runner, config] = positionals;
  if (
    positionals.length !== 2 ||
    !CHILD_RUNNERS.includes(runner as ChildRunner) ||
    !BENCH_CONFIGS.includes(config as BenchConfig) ||
    values.data === undefined
  ) {
    throw new Error(`expected ${USAGE} but found ${argv.join(' ')}`);
  }
  const threads =
    values.threads === undefined ? undefined : Number(values.threads);
  const data = readBenchData(values.data);
  if (runner === 'mnistlab') {
    return runOurs(config as BenchConfig, data, `mnistlab ${VERSION}`, threads);
  }
  const backend = runner === 'tfjs-wasm' ? 'wasm' : 'cpu';
  return runTfjs(backend, config as BenchConfig, data);
}

try {
  const report = await main(process.argv.slice(2));
  console.log(JSON.stringify(report));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(message.split('\n')[0]);
  process.exitCode = 1;
}
