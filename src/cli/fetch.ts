// `mnistlab fetch`: the four MNIST files from a mirror into a folder, each
// checked against its size and SHA-256, for `train --data` to read.
// Progress goes to standard error, one line per file to standard output.

import { Command } from 'commander';
import * as path from 'node:path';

import { DEFAULT_MIRROR, fetchMnist } from '../data/fetch.js';
import { downloadProgress } from './download-progress.js';
import { checkOutputFolder, httpUrl, nonNegativeInt } from './options.js';

interface FetchCommandOptions {
  dir: string;
  mirror?: string;
  retries: number;
}

export function fetchCommand(): Command {
  return new Command('fetch')
    .description(
      'download the four MNIST files from a mirror into a folder, each ' +
        'checked against its size and SHA-256; files already there that ' +
        'match are kept',
    )
    .requiredOption(
      '--dir <dir>',
      'folder to put the files in (made if missing)',
    )
    .option(
      '--mirror <url>',
      `base URL of the files, each NAME.gz or raw (default: ${DEFAULT_MIRROR})`,
      httpUrl,
    )
    .option(
      '--retries <n>',
      'tries after the first for faults that may pass (network, 5xx, stalls)',
      nonNegativeInt,
      4,
    )
    .option('--verbose', 'show stack traces of errors')
    .addHelpText(
      'after',
      '\nExamples:\n  mnistlab fetch --dir data\n' +
        '  mnistlab train --data data',
    )
    .action(fetch);
}

async function fetch(options: FetchCommandOptions): Promise<void> {
  checkOutputFolder('--dir', options.dir);
  const progress = downloadProgress();
  let fetched;
  try {
    fetched = await fetchMnist(options.dir, {
      mirror: options.mirror,
      retries: options.retries,
      onProgress: (report) => progress.progress(report),
      onEvent: (event) => progress.event(event),
    });
  } finally {
    progress.stop();
  }
  const names = fetched.map((file) => path.basename(file.path));
  const sizes = fetched.map((file) => file.bytes.toLocaleString('en-US'));
  const nameWidth = Math.max(...names.map((name) => name.length));
  const sizeWidth = Math.max(...sizes.map((size) => size.length));
  fetched.forEach((file, i) => {
    console.log(
      `${names[i].padEnd(nameWidth)}  ${sizes[i].padStart(sizeWidth)} bytes  ` +
        (file.downloaded ? 'downloaded' : 'already there'),
    );
  });
}
