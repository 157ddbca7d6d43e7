// Fetches the four MNIST files from a mirror into a folder: keeps those
// already there that match their SHA-256, downloads the rest with retries.
// Never prints; it reports through callbacks.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors.js';
import { isRunning } from '../util/process.js';
import { checkFile, count, type FileChecksum } from './checksum.js';
import { download, TransientError } from './download.js';
import { mnistFileNames, type MnistFiles } from './files.js';
import { IMAGES_MAGIC, LABELS_MAGIC } from './idx.js';
import {
  readDataSets,
  type DataSets,
  type ReadDataSetsOptions,
} from './mnist.js';

/** The mirror TensorFlow's read_data_sets downloaded from. */
export const DEFAULT_MIRROR =
  'https://storage.googleapis.com/cvdf-datasets/mnist/';

/** Size and SHA-256 of each of the four MNIST files. */
export type MnistChecksums = Record<keyof MnistFiles, FileChecksum>;

/** The original raw files (their MD5s match those published with them). */
export const MNIST_CHECKSUMS: MnistChecksums = {
  trainImages: {
    size: 47040016,
    sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  },
  trainLabels: {
    size: 60008,
    sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  },
  testImages: {
    size: 7840016,
    sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  },
  testLabels: {
    size: 10008,
    sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
  },
};

/** Something fetchMnist did or found, with a line saying it. */
export type FetchEvent = { message: string } & (
  | { kind: 'stale-part'; path: string }
  | { kind: 'cached'; file: keyof MnistFiles; path: string }
  | {
      kind: 'cache-failed';
      file: keyof MnistFiles;
      path: string;
      reason: string;
    }
  | { kind: 'download'; file: keyof MnistFiles; url: string }
  | {
      kind: 'retry';
      file: keyof MnistFiles;
      url: string;
      /** 1 for the first retry. */
      attempt: number;
      error: string;
      delayMs: number;
    }
  | {
      kind: 'done';
      file: keyof MnistFiles;
      path: string;
      bytes: number;
      downloaded: boolean;
    }
);

/** How far one file's download is. */
export interface FetchProgress {
  file: keyof MnistFiles;
  /** The file's name on the mirror, e.g. train-images-idx3-ubyte.gz. */
  name: string;
  /** Bytes received so far in this try. */
  bytes: number;
  /** Bytes the server announced; null when it did not say. */
  total: number | null;
}

/** Settings of fetchMnist. */
export interface FetchOptions {
  /** Base URL (http or https) of the files; default DEFAULT_MIRROR. */
  mirror?: string;
  /** Tries after the first for failures that may pass; default 4. */
  retries?: number;
  /** Wait before the first retry, doubled for each next; default 500. */
  retryDelayMs?: number;
  /** A download that gets no byte for this long has stalled; default 30 s. */
  idleTimeoutMs?: number;
  /** The files expected; default MNIST_CHECKSUMS. Tests give their own. */
  checksums?: MnistChecksums;
  onProgress?: (progress: FetchProgress) => void;
  onEvent?: (event: FetchEvent) => void;
}

/** One MNIST file in the folder after fetchMnist. */
export interface FetchedFile {
  file: keyof MnistFiles;
  path: string;
  /** Its size on disk. */
  bytes: number;
  /** False when a matching copy was there already. */
  downloaded: boolean;
}

const FILES: (keyof MnistFiles)[] = [
  'trainImages',
  'trainLabels',
  'testImages',
  'testLabels',
];
const MAX_DELAY_MS = 60_000;

type Settings = Required<Omit<FetchOptions, 'mirror' | 'onProgress'>> &
  Pick<FetchOptions, 'onProgress'> & { mirror: URL };

/**
 * Makes `dir` (created if missing) hold the four MNIST files, each checked
 * against its size and SHA-256. A file already there under any name
 * findMnistFiles accepts is kept if it matches, raw or gzipped; otherwise
 * NAME.gz is downloaded from the mirror (raw bytes are taken too) and
 * renamed into place as the raw NAME only once it matches. Failures that
 * may pass (network, 5xx, stalls, cut-off bodies) are retried with
 * exponential backoff; the rest fail at once with a UserError. Returns the
 * files in the order train images, train labels, test images, test labels.
 */
export async function fetchMnist(
  dir: string,
  options: FetchOptions = {},
): Promise<FetchedFile[]> {
  const settings: Settings = {
    mirror: mirrorUrl(options.mirror ?? DEFAULT_MIRROR),
    retries: options.retries ?? 4,
    retryDelayMs: options.retryDelayMs ?? 500,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    checksums: options.checksums ?? MNIST_CHECKSUMS,
    onEvent: options.onEvent ?? (() => {}),
    onProgress: options.onProgress,
  };
  checkCount('retries', settings.retries, 0);
  checkCount('retryDelayMs', settings.retryDelayMs, 0);
  checkCount('idleTimeoutMs', settings.idleTimeoutMs, 1);
  makeFolder(dir);
  removeStaleParts(dir, settings.onEvent);

  const fetched: FetchedFile[] = [];
  for (const file of FILES) {
    const found = await cachedCopy(dir, file, settings);
    const at = found ?? (await downloadWithRetries(dir, file, settings));
    const bytes = fs.statSync(at).size;
    const downloaded = found === null;
    settings.onEvent({
      kind: 'done',
      file,
      path: at,
      bytes,
      downloaded,
      message:
        `${at}: ${count(bytes)} bytes, ` +
        (downloaded ? 'downloaded' : 'already there'),
    });
    fetched.push({ file, path: at, bytes, downloaded });
  }
  return fetched;
}

/**
 * The path of the copy of `file` that readDataSets would read, if there is
 * one and it matches; null when it must be fetched.
 */
async function cachedCopy(
  dir: string,
  file: keyof MnistFiles,
  { checksums, onEvent }: Settings,
): Promise<string | null> {
  const at = mnistFileNames(file)
    .map((name) => path.join(dir, name))
    .find((candidate) => fs.existsSync(candidate));
  if (at === undefined) return null;
  if (!fs.statSync(at).isFile()) {
    throw new UserError(
      `${at}: expected the MNIST file or nothing but found something ` +
        'else; move it away',
    );
  }
  const wrong = await checkFile(at, checksums[file], magicOf(file));
  if (wrong !== null) {
    onEvent({
      kind: 'cache-failed',
      file,
      path: at,
      reason: wrong,
      message: `${at}: cached file fails its checksum (${wrong}); fetching again`,
    });
    return null;
  }
  onEvent({
    kind: 'cached',
    file,
    path: at,
    message: `${at}: already there, size and SHA-256 match`,
  });
  return at;
}

/** Downloads `file` into `dir`, retrying what may pass; returns its path. */
async function downloadWithRetries(
  dir: string,
  file: keyof MnistFiles,
  settings: Settings,
): Promise<string> {
  const { retries, retryDelayMs, idleTimeoutMs, onEvent } = settings;
  const name = mnistFileNames(file)[0];
  const destination = path.join(dir, name);
  const url = new URL(`${name}.gz`, settings.mirror);
  const target = { name, magic: magicOf(file), ...settings.checksums[file] };
  const onProgress = (bytes: number, total: number | null) =>
    settings.onProgress?.({ file, name: `${name}.gz`, bytes, total });
  onEvent({
    kind: 'download',
    file,
    url: url.href,
    message: `${name}: fetching ${url}`,
  });

  for (let attempt = 0; ; attempt++) {
    try {
      await download(url, destination, target, { idleTimeoutMs, onProgress });
      return destination;
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (attempt >= retries) {
        throw new UserError(
          `${url}: expected the MNIST file ${name} but ${attempt + 1} ` +
            `tries failed, the last with: ${error.message}; try again ` +
            'later, or another mirror',
        );
      }
      const delayMs = Math.min(retryDelayMs * 2 ** attempt, MAX_DELAY_MS);
      onEvent({
        kind: 'retry',
        file,
        url: url.href,
        attempt: attempt + 1,
        error: error.message,
        delayMs,
        message:
          `${name}: retry ${attempt + 1} of ${retries} after error ` +
          `"${error.message}" in ${delayMs} ms`,
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function magicOf(file: keyof MnistFiles): number {
  return file.endsWith('Images') ? IMAGES_MAGIC : LABELS_MAGIC;
}

/** Settings of fetchDataSets: those of fetchMnist and readDataSets. */
export interface FetchDataSetsOptions
  extends FetchOptions, ReadDataSetsOptions {}

/**
 * readDataSets(dir) after fetchMnist(dir): the data sets, downloaded first
 * where the folder lacks a file or holds a wrong one.
 */
export async function fetchDataSets(
  dir: string,
  options: FetchDataSetsOptions = {},
): Promise<DataSets> {
  await fetchMnist(dir, options);
  return readDataSets(dir, options);
}

/** The mirror as a base URL, ending in / so that names resolve under it. */
function mirrorUrl(mirror: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(mirror.endsWith('/') ? mirror : `${mirror}/`);
  } catch {
    // Reported below with the other kinds of bad URL.
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UserError(
      `mirror ${mirror}: expected an http or https URL but found ` +
        (url === null ? 'no URL' : `protocol ${url.protocol}`),
      2,
    );
  }
  return url;
}

function checkCount(option: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UserError(
      `${option}: expected an integer of ${min} or more but found ${value}`,
      2,
    );
  }
}

function makeFolder(dir: string): void {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new UserError(
      `${dir}: expected a folder for the MNIST files but found a file`,
    );
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new UserError(`could not make ${dir}: ${(error as Error).message}`);
  }
}

/** Removes our NAME.PID.part files whose process is gone: a killed run's. */
function removeStaleParts(
  dir: string,
  onEvent: (event: FetchEvent) => void,
): void {
  const names = FILES.map((file) => mnistFileNames(file)[0]);
  for (const entry of fs.readdirSync(dir)) {
    const match = /^(.+)\.(\d+)\.part$/.exec(entry);
    if (match === null || !names.includes(match[1])) continue;
    if (isRunning(Number(match[2]))) continue;
    const at = path.join(dir, entry);
    fs.rmSync(at, { force: true });
    onEvent({
      kind: 'stale-part',
      path: at,
      message: `${at}: removed, a partial download left by an earlier run`,
    });
  }
}
