// Checks the bytes of one MNIST file, gzip or raw, against the raw file's
// known size and SHA-256 as they stream past, stopping as soon as they stray.
// Reads no network itself: the downloads and the cache check feed it.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GZIP_MAGIC } from './idx.js';

/** Size in bytes and SHA-256 (hex) of one raw, uncompressed MNIST file. */
export interface FileChecksum {
  size: number;
  sha256: string;
}

/** What a stream of a file's bytes held once decompressed. */
export interface Unpacked {
  gzipped: boolean;
  /** Raw bytes, after gunzip when gzipped. */
  bytes: number;
  sha256: string;
}

/**
 * Bytes that are not the file asked for: their raw start is not the IDX
 * magic number asked for ('not-idx'), or they run past its size
 * ('too-large'). `head` holds their first raw bytes (up to 16).
 */
export class ContentError extends Error {
  constructor(
    readonly reason: 'not-idx' | 'too-large',
    readonly gzipped: boolean,
    readonly head: Uint8Array,
  ) {
    super(reason === 'not-idx' ? 'not an IDX file' : 'too large');
    this.name = 'ContentError';
  }
}

const HEAD_BYTES = 16;

/**
 * Reads `chunks` to the end, gunzipping them if they start with gzip's
 * magic, and hashes the raw bytes, each handed to `write` as well. Throws
 * a ContentError as soon as the raw bytes do not start with the big-endian
 * uint32 `magic` or exceed `size`; zlib's errors (code Z_...) pass through.
 */
export async function unpack(
  chunks: AsyncIterable<Uint8Array>,
  size: number,
  magic: number,
  write?: (raw: Uint8Array) => void,
): Promise<Unpacked> {
  const { head, all } = await peek(chunks[Symbol.asyncIterator](), 2);
  const gzipped = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  let start = Buffer.alloc(0);
  let magicChecked = false;
  let bytes = 0;
  const hash = createHash('sha256');
  const fail = (reason: ContentError['reason']) =>
    new ContentError(reason, gzipped, start);

  const consume = async (raws: AsyncIterable<Uint8Array>) => {
    for await (const raw of raws) {
      if (start.length < HEAD_BYTES) {
        start = Buffer.concat([
          start,
          raw.subarray(0, HEAD_BYTES - start.length),
        ]);
      }
      if (!magicChecked && start.length >= 4) {
        magicChecked = true;
        if (start.readUInt32BE(0) !== magic) throw fail('not-idx');
      }
      if (bytes + raw.length > size) throw fail('too-large');
      bytes += raw.length;
      hash.update(raw);
      write?.(raw);
    }
  };
  if (gzipped) await pipeline(all, createGunzip(), consume);
  else await consume(all);
  if (start.length < 4) throw fail('not-idx');
  return { gzipped, bytes, sha256: hash.digest('hex') };
}

/**
 * Whether the file at `path` holds the raw file of `expected`, as it is or
 * gzipped: null when it does, else a few words saying what is wrong.
 */
export async function checkFile(
  path: string,
  expected: FileChecksum,
  magic: number,
): Promise<string | null> {
  let unpacked: Unpacked;
  try {
    unpacked = await unpack(fs.createReadStream(path), expected.size, magic);
  } catch (error) {
    if (error instanceof ContentError) {
      return error.reason === 'not-idx'
        ? 'not an IDX file'
        : `more than ${count(expected.size)} bytes` +
            (error.gzipped ? ' once decompressed' : '');
    }
    const { code, message } = error as NodeJS.ErrnoException;
    if (code?.startsWith('Z_')) return `a corrupt gzip file (zlib: ${message})`;
    return `unreadable: ${message}`;
  }
  return mismatch(unpacked, expected);
}

/** Null when `unpacked` is the file of `expected`, else what differs. */
export function mismatch(
  unpacked: Unpacked,
  expected: FileChecksum,
): string | null {
  const once = unpacked.gzipped ? ' once decompressed' : '';
  if (unpacked.bytes !== expected.size) {
    return `${count(unpacked.bytes)} bytes${once}, not ${count(expected.size)}`;
  }
  if (unpacked.sha256 !== expected.sha256) return 'SHA-256 mismatch';
  return null;
}

/** A byte count as people read it: 9,912,422. */
export function count(bytes: number): string {
  return bytes.toLocaleString('en-US');
}

/** The first `length` bytes of `chunks` (fewer if it ends first), and all
 * of its chunks again, those read included. */
async function peek(
  chunks: AsyncIterator<Uint8Array>,
  length: number,
): Promise<{ head: Uint8Array; all: AsyncIterable<Uint8Array> }> {
  const seen: Uint8Array[] = [];
  let seenBytes = 0;
  let ended = false;
  while (seenBytes < length && !ended) {
    const next = await chunks.next();
    if (next.done) ended = true;
    else {
      seen.push(next.value);
      seenBytes += next.value.length;
    }
  }
  async function* all(): AsyncGenerator<Uint8Array> {
    yield* seen;
    while (!ended) {
      const next = await chunks.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head: Buffer.concat(seen).subarray(0, length), all: all() };
}
