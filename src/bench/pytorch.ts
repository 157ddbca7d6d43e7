// The PyTorch peer: ../shared/peers/pytorch_mnist.py run by the system's
// Python, when it and torch are there. Installs nothing.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { mnistFileNames, type MnistFiles } from '../data/files.js';
import { runChild } from './child.js';

/** Debian's python3-torch imports under the system Python. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** Thread counts tried; the faster run is kept. */
export const PYTORCH_THREADS = [1, 2] as const;

// Seconds `python -c "import torch"` may take.
const IMPORT_LIMIT_SECONDS = 60;

/** The peer script beside the repository: ../shared/peers from its root. */
export function defaultPytorchScript(): string {
  // This file is dist/src/bench/pytorch.js, three folders under the root.
  const url = new URL(
    '../../../../shared/peers/pytorch_mnist.py',
    import.meta.url,
  );
  return fileURLToPath(url);
}

/**
 * Why the PyTorch peer cannot run on the files in `dataDir`, or null if it
 * can: the script is missing, `python` cannot import torch, or the folder
 * lacks the raw files under the names the script opens.
 */
export async function pytorchMissing(
  python: string,
  script: string,
  dataDir: string,
): Promise<string | null> {
  if (!existsSync(script)) {
    return (
      `expected the peer script at ${script} but found nothing ` +
      '(give --pytorch-script PATH)'
    );
  }
  const files: (keyof MnistFiles)[] = [
    'trainImages',
    'trainLabels',
    'testImages',
    'testLabels',
  ];
  // The script reads e.g. train-images-idx3-ubyte, raw, and no other name.
  const raw = files.map((file) => mnistFileNames(file)[0]);
  const absent = raw.filter((name) => !existsSync(path.join(dataDir, name)));
  if (absent.length > 0) {
    return (
      `expected the raw files ${raw.join(', ')} in ${dataDir} but found ` +
      `no ${absent.join(', ')}`
    );
  }
  const outcome = await runChild(
    python,
    ['-c', 'import torch'],
    IMPORT_LIMIT_SECONDS,
  );
  if (outcome.status === 'exited' && outcome.code === 0) return null;
  return (
    `expected ${python} to import torch but it ` +
    (outcome.status === 'not started'
      ? `could not start (${outcome.message})`
      : outcome.status === 'timed out'
        ? `took over ${IMPORT_LIMIT_SECONDS} s`
        : `failed (apt-get install python3-torch)`)
  );
}
