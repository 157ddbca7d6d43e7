#!/usr/bin/env node
// The mnistlab command line. Subcommands are thin clients of the library;
// this file owns exit codes: 0 done, 1 failed, 2 bad usage.

import { Command, CommanderError } from 'commander';

import { setKernels } from '../tensor/kernels/index.js';
import { nodeWasmKernels } from '../tensor/kernels/node.js';
import { USAGE_EXIT, UserError } from '../util/errors.js';
import { benchCommand } from './bench.js';
import { evalCommand } from './eval.js';
import { predictCommand } from './predict.js';
import { serveCommand } from './serve.js';
import { sweepCommand } from './sweep.js';
import { exportCommand } from './export.js';
import { fetchCommand } from './fetch.js';
import { trainCommand } from './train.js';
import { VERSION } from '../util/version.js';

const USAGE_HINT = '(add --help for usage)';

function program(): Command {
  const root = new Command('mnistlab')
    .description(
      'Handwritten-digit classification on MNIST: the TensorFlow Lab 7 run ' +
        'in TypeScript',
    )
    .version(VERSION)
    .option('--verbose', 'show stack traces of errors')
    .showHelpAfterError(USAGE_HINT)
    .exitOverride();
  const train = trainCommand().showHelpAfterError(USAGE_HINT).exitOverride();
  root.addCommand(train);
  root.addCommand(evalCommand().showHelpAfterError(USAGE_HINT).exitOverride());
  root.addCommand(
    predictCommand().showHelpAfterError(USAGE_HINT).exitOverride(),
  );
  root.addCommand(sweepCommand().showHelpAfterError(USAGE_HINT).exitOverride());
  root.addCommand(
    exportCommand().showHelpAfterError(USAGE_HINT).exitOverride(),
  );
  root.addCommand(fetchCommand().showHelpAfterError(USAGE_HINT).exitOverride());
  root.addCommand(serveCommand().showHelpAfterError(USAGE_HINT).exitOverride());
  root.addCommand(benchCommand().showHelpAfterError(USAGE_HINT).exitOverride());
  return root;
}

function exitCodeOf(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message or the help text; it
    // exits 0 for help asked for, 1 for help shown because of an error.
    return error.exitCode === 0 ? 0 : USAGE_EXIT;
  }
  if (error instanceof UserError) {
    console.error(`error: ${error.message}`);
    if (error.exitCode === USAGE_EXIT) console.error(USAGE_HINT);
    if (verbose) console.error(error.stack);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  console.error(`error: ${message}`);
  console.error(
    verbose && error instanceof Error
      ? error.stack
      : '(this looks like a bug in mnistlab; add --verbose for details)',
  );
  return 1;
}

async function main(argv: string[]): Promise<number> {
  // A closed pipe (`mnistlab train | head`) is the reader's choice.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') {
      console.error(`error: cannot write standard output: ${error.message}`);
    }
    process.exit(error.code === 'EPIPE' ? 0 : 1);
  });
  try {
    // Every command computes on the WebAssembly kernels, one thread per
    // core; train's --kernels and --threads choose for it.
    setKernels(nodeWasmKernels());
    await program().parseAsync(argv);
    return 0;
  } catch (error) {
    return exitCodeOf(error, argv.includes('--verbose'));
  }
}

process.exitCode = await main(process.argv);
