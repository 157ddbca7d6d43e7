// Downloads one MNIST file over HTTP or HTTPS into a temporary file beside
// its destination, checked as it streams, and renames it into place only
// once it is right. One try: retrying is the caller's (fetch.ts) choice.

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { UserError } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import {
  ContentError,
  count,
  mismatch,
  unpack,
  type FileChecksum,
  type Unpacked,
} from './checksum.js';

/** A failure worth another try: the network, a 5xx answer, a stall. */
export class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientError';
  }
}

/** The file wanted: its name, IDX magic number, size and SHA-256. */
export interface DownloadTarget extends FileChecksum {
  name: string;
  magic: number;
}

export interface DownloadOptions {
  /** A stall: this long without a byte, while waiting for one. */
  idleTimeoutMs: number;
  /** Bytes received so far, and how many the server announced. */
  onProgress?: (bytes: number, total: number | null) => void;
}

const MAX_REDIRECTS = 5;
// Most bytes of a wrong answer (a web page, say) read to give its length.
const MAX_MEASURED = 1 << 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Client errors that say "later" rather than "wrong".
const RETRIED_4XX = new Set([408, 429]);

/**
 * Most bytes read for a file of `size` raw bytes: gzip never grows data by
 * more than a few bytes per 16 KiB block, but its header may carry a name.
 */
export function compressedLimit(size: number): number {
  return size + Math.ceil(size / 64) + 65536;
}

/**
 * Downloads `url` (gzip or raw) to `destination` through the temporary file
 * `destination.PID.part`, which is removed on failure. Throws a
 * TransientError for what another try may fix, a UserError otherwise.
 */
export async function download(
  url: URL,
  destination: string,
  target: DownloadTarget,
  options: DownloadOptions,
): Promise<void> {
  const { request, response, at } = await open(url, target.name, options);
  const part = `${destination}.${process.pid}.part`;
  let fd: number | undefined;
  try {
    const header = response.headers['content-length'];
    const length = header === undefined ? null : Number(header);
    const type = response.headers['content-type'] ?? 'no stated type';
    // Whether HTTP says where the body ends; if not, a cut looks like an end.
    const framed =
      length !== null || response.headers['transfer-encoding'] === 'chunked';
    const limit = compressedLimit(target.size);
    if (length !== null && length > limit) {
      throw new UserError(
        `${at}: expected at most ${count(limit)} bytes for ${target.name} ` +
          `but the server announces ${count(length)}; is the mirror right?`,
      );
    }
    fd = openPart(part);

    let received = 0;
    const body = bodyOf(response, options, (chunk) => {
      received += chunk.length;
      options.onProgress?.(received, length);
      if (received > limit) {
        throw new UserError(
          `${at}: expected at most ${count(limit)} bytes for ` +
            `${target.name} but the server sends more; is the mirror right?`,
        );
      }
    });
    const write = writer(fd, part);
    const unpacked = await unpack(body, target.size, target.magic, write).catch(
      async (error: unknown) => {
        let bodySize = length === null ? null : count(length);
        if (error instanceof ContentError && error.reason === 'not-idx') {
          bodySize ??= await measure(body, () => received);
        }
        throw explain(error, { at, target, type, bodySize, framed });
      },
    );

    const wrong = verdict(unpacked, target, at, framed);
    if (wrong !== null) throw wrong;
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(part, destination);
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(part, { force: true });
    if (error instanceof TransientError || error instanceof UserError) {
      throw error;
    }
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === undefined) throw error;
    throw new UserError(`could not write ${destination}: ${message}`);
  } finally {
    request.destroy();
  }
}

interface Opened {
  request: http.ClientRequest;
  response: http.IncomingMessage;
  /** The URL answered, after redirects. */
  at: URL;
}

/** GETs `url`, following redirects, up to an answer of 2xx. */
async function open(
  url: URL,
  name: string,
  options: DownloadOptions,
): Promise<Opened> {
  let at = url;
  for (let hops = 0; ; hops++) {
    const { request, response } = await get(at, options.idleTimeoutMs);
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return { request, response, at };
    request.destroy();

    const location = response.headers.location;
    if (REDIRECTS.has(status) && location !== undefined) {
      const next = new URL(location, at);
      if (hops >= MAX_REDIRECTS) {
        throw new UserError(
          `${url}: expected the MNIST file ${name} but found more than ` +
            `${MAX_REDIRECTS} redirects; is the mirror right?`,
        );
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new UserError(
          `${at}: expected a redirect to an http or https URL but found ` +
            `${next}`,
        );
      }
      at = next;
      continue;
    }
    const answer = `${status} ${response.statusMessage ?? ''}`.trim();
    if (status >= 500 || RETRIED_4XX.has(status)) {
      throw new TransientError(`the server answered ${answer}`);
    }
    throw new UserError(
      `${at}: expected the MNIST file ${name} but the server answered ` +
        `${answer}; is the mirror right?`,
    );
  }
}

/** One GET, resolved once the answer's headers are in. */
function get(
  url: URL,
  idleTimeoutMs: number,
): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    // agent false: a connection of our own, closed with the request.
    const request = client.get(url, {
      agent: false,
      headers: {
        'user-agent': `mnistlab/${VERSION}`,
        'accept-encoding': 'identity',
      },
    });
    const stall = setTimeout(() => {
      request.destroy(
        new TransientError(`stalled: no answer for ${duration(idleTimeoutMs)}`),
      );
    }, idleTimeoutMs);
    request.on('error', (error) => {
      clearTimeout(stall);
      reject(
        error instanceof TransientError
          ? error
          : new TransientError(error.message),
      );
    });
    request.on('response', (response) => {
      clearTimeout(stall);
      resolve({ request, response });
    });
  });
}

/**
 * The answer's body, chunk by chunk, each shown to `onChunk` first. The
 * idle timer runs only while waiting for the network, not while the
 * consumer works.
 */
async function* bodyOf(
  response: http.IncomingMessage,
  options: DownloadOptions,
  onChunk: (chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  const chunks: AsyncIterator<Uint8Array> = response[Symbol.asyncIterator]();
  const header = response.headers['content-length'];
  let received = 0;
  for (;;) {
    const stall = setTimeout(() => {
      response.destroy(
        new TransientError(
          `stalled: no bytes for ${duration(options.idleTimeoutMs)}`,
        ),
      );
    }, options.idleTimeoutMs);
    let next: IteratorResult<Uint8Array>;
    try {
      next = await chunks.next();
    } catch (error) {
      if (error instanceof TransientError) throw error;
      throw new TransientError(
        header === undefined
          ? `connection lost after ${count(received)} bytes ` +
              `(${(error as Error).message})`
          : `truncated: ${count(received)} of ${count(Number(header))} bytes`,
      );
    } finally {
      clearTimeout(stall);
    }
    if (next.done) return;
    received += next.value.length;
    onChunk(next.value);
    yield next.value;
  }
}

/** Null when a whole body unpacked to the file; else why not, as an error. */
function verdict(
  unpacked: Unpacked,
  target: DownloadTarget,
  at: URL,
  framed: boolean,
): Error | null {
  if (mismatch(unpacked, target) === null) return null;
  const once = unpacked.gzipped ? ' once decompressed' : '';
  const short = unpacked.bytes < target.size;
  // Raw bytes that HTTP does not frame may have lost their end on the way.
  if (short && !framed && !unpacked.gzipped) {
    return new TransientError(
      `truncated: ${count(unpacked.bytes)} of ${count(target.size)} bytes`,
    );
  }
  return new UserError(
    short
      ? `${at}: expected ${target.name} of ${count(target.size)} bytes but ` +
          `got ${count(unpacked.bytes)}${once}; is the mirror's copy cut short?`
      : `${at}: expected ${target.name} with SHA-256 ${target.sha256} but ` +
          `got ${unpacked.sha256}${once} (SHA-256 mismatch); the mirror's ` +
          'copy is not the original',
  );
}

/** Says why the body is not the file, in words for the user. */
function explain(
  error: unknown,
  context: {
    at: URL;
    target: DownloadTarget;
    type: string;
    /** The body's length in bytes, as text. */
    bodySize: string | null;
    /** Whether HTTP framed the body, so that its end was its end. */
    framed: boolean;
  },
): unknown {
  const { at, target, type, bodySize } = context;
  if (error instanceof ContentError) {
    const once = error.gzipped ? ' once decompressed' : '';
    if (error.reason === 'too-large') {
      return new UserError(
        `${at}: expected ${target.name} of ${count(target.size)} bytes but ` +
          `got more${once}; is the mirror right?`,
      );
    }
    return new UserError(
      `${at}: expected the MNIST file ${target.name} (IDX, raw or gzip) but ` +
        `got ${bodySize} bytes of ${type} starting ` +
        `"${printable(error.head)}"${once}; is the mirror right?`,
    );
  }
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'Z_BUF_ERROR') {
    return !context.framed
      ? new TransientError('truncated: the gzip stream stops early')
      : new UserError(
          `${at}: expected a complete gzip file of ${target.name} but ` +
            "found one cut short; is the mirror's copy whole?",
        );
  }
  if (code?.startsWith('Z_')) {
    return new UserError(
      `${at}: expected a gzip file of ${target.name} but found a corrupt ` +
        `one (zlib: ${message}); is the mirror right?`,
    );
  }
  return error;
}

/**
 * The length of a body that is not the file, read on to its end (at most
 * MAX_MEASURED bytes) to say so: `received` counts what was read.
 */
async function measure(
  body: AsyncIterable<Uint8Array>,
  received: () => number,
): Promise<string> {
  try {
    for await (const _ of body) {
      if (received() > MAX_MEASURED) break;
    }
  } catch {
    // A stall or the bound: say what came.
  }
  const bytes = received();
  return bytes > MAX_MEASURED
    ? `more than ${count(MAX_MEASURED)}`
    : count(bytes);
}

function openPart(part: string): number {
  try {
    return fs.openSync(part, 'w');
  } catch (error) {
    throw new UserError(`could not write ${part}: ${(error as Error).message}`);
  }
}

/** Writes each chunk whole to `fd`, a UserError naming `file` if it cannot. */
function writer(fd: number, file: string): (bytes: Uint8Array) => void {
  return (bytes) => {
    try {
      for (let done = 0; done < bytes.length;) {
        done += fs.writeSync(fd, bytes, done, bytes.length - done);
      }
    } catch (error) {
      throw new UserError(
        `could not write ${file}: ${(error as Error).message}`,
      );
    }
  };
}

/** A duration as people read it: 30 s, 150 ms. */
export function duration(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Bytes as text, with a dot for each byte that is not printable ASCII. */
function printable(bytes: Uint8Array): string {
  return Array.from(bytes, (b) =>
    b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.',
  ).join('');
}
