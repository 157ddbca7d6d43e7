// Reads MNIST's IDX files, raw or gzip, into byte arrays, checking the header
// against the file's size before reading the body. Only unsigned-byte data
// (type 0x08) in the two MNIST shapes: images [n, rows, cols], labels [n].

import * as fs from 'node:fs';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';

/** Magic number of an IDX images file: ubyte data, 3 dimensions. */
export const IMAGES_MAGIC = 2051;
/** Magic number of an IDX labels file: ubyte data, 1 dimension. */
export const LABELS_MAGIC = 2049;
/** IDX type code of unsigned bytes, the only one MNIST uses. */
export const IDX_UBYTE = 0x08;
/** First two bytes of every gzip stream. */
export const GZIP_MAGIC = [0x1f, 0x8b] as const;
/** Largest IDX file read, after decompression; MNIST's largest is 47 MB. */
export const MAX_IDX_BYTES = 2 ** 30;

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** An IDX images file; pixels are [count, rows * cols] bytes, row-major. */
export interface IdxImages {
  path: string;
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

/** An IDX labels file; labels are [count] class indices 0..9. */
export interface IdxLabels {
  path: string;
  count: number;
  labels: Uint8Array;
}

type Kind = 'images' | 'labels';

const KINDS = {
  images: { magic: IMAGES_MAGIC, dims: 3, other: 'labels' },
  labels: { magic: LABELS_MAGIC, dims: 1, other: 'images' },
} as const;

/** Reads an IDX images file (magic 2051), raw or gzip. */
export function readIdxImages(path: string): IdxImages {
  const { dims, body } = readIdx(path, 'images');
  const [count, rows, cols] = dims;
  return { path, count, rows, cols, pixels: body };
}

/** Reads an IDX labels file (magic 2049), raw or gzip; labels must be 0..9. */
export function readIdxLabels(path: string): IdxLabels {
  const { dims, body } = readIdx(path, 'labels');
  const bad = body.findIndex((label) => label > 9);
  if (bad >= 0) {
    throw new UserError(
      `${path}: expected labels 0 to 9 but found ${body[bad]} at index ${bad}`,
    );
  }
  return { path, count: dims[0], labels: body };
}

function readIdx(
  path: string,
  kind: Kind,
): { dims: number[]; body: Uint8Array } {
  // stat before open: opening a FIFO named like a data file would block.
  const stat = statOf(path, kind);
  if (!stat.isFile()) {
    const found = stat.isDirectory() ? 'a directory' : 'a special file';
    throw new UserError(
      `${path}: expected an IDX ${kind} file but found ${found}`,
    );
  }
  const fd = open(path, kind);
  try {
    const head = readAt(path, fd, 0, Math.min(stat.size, 16));

    if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
      if (stat.size > MAX_IDX_BYTES) {
        throw new UserError(
          `${path}: expected a gzip file of at most ${MAX_IDX_BYTES} bytes ` +
            `but found ${stat.size} bytes`,
        );
      }
      const compressed = readAt(path, fd, 0, stat.size);
      // The header comes first, so a small file that declares far more
      // than it holds is refused before it is inflated any further.
      const headerBytes = 4 + 4 * KINDS[kind].dims;
      const start = gunzipStart(compressed, headerBytes);
      const declared =
        start.length >= headerBytes
          ? parseHeader(path, kind, start, null, true)
          : null;
      const data = gunzip(path, compressed, declared?.declared);
      const header = parseHeader(path, kind, data, data.length, true);
      return { dims: header.dims, body: data.subarray(header.bytes) };
    }

    // Sizes are checked against the header before the body is allocated.
    const header = parseHeader(path, kind, head, stat.size, false);
    const body = readAt(path, fd, header.bytes, stat.size - header.bytes);
    return { dims: header.dims, body };
  } finally {
    fs.closeSync(fd);
  }
}

function statOf(path: string, kind: Kind): fs.Stats {
  try {
    return fs.statSync(path);
  } catch (error) {
    throw notOpened(path, kind, error);
  }
}

function open(path: string, kind: Kind): number {
  try {
    return fs.openSync(path, 'r');
  } catch (error) {
    throw notOpened(path, kind, error);
  }
}

function notOpened(path: string, kind: Kind, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const found =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'a file it may not read'
        : `error ${code}`;
  return new UserError(
    `${path}: expected an IDX ${kind} file but found ${found}`,
  );
}

function readAt(
  path: string,
  fd: number,
  position: number,
  length: number,
): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let done = 0; done < length;) {
    const n = fs.readSync(fd, bytes, done, length - done, position + done);
    if (n === 0) {
      throw new UserError(
        `${path}: expected ${length} more bytes but found the file shrinking`,
      );
    }
    done += n;
  }
  return bytes;
}

// The most a prefix of a gzip file is inflated to in looking for the
// header. Deflate gives at most 1032 bytes per byte, so some prefix gives
// between a header's worth and this.
const START_LIMIT = 1 << 20;

/**
 * The decompressed start of a gzip file, at least `want` bytes of it (or
 * all, if shorter), inflating at most START_LIMIT bytes. The header need
 * not lie in the first kilobyte (a long file name, empty members or empty
 * blocks come first), so the prefix inflated doubles until it gives the
 * header, and halves where it gives too much. Empty if corrupt so far.
 */
function gunzipStart(compressed: Uint8Array, want: number): Uint8Array {
  // Prefix lengths known to give too little and too much.
  let short = 0;
  let long = Infinity;
  let size = Math.min(1024, compressed.length);
  for (;;) {
    let start: Uint8Array;
    try {
      start = gunzipSync(compressed.subarray(0, size), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        maxOutputLength: START_LIMIT,
      });
    } catch (error) {
      // Not decodable even this far: gunzip() below says why.
      const { code } = error as NodeJS.ErrnoException;
      if (code !== 'ERR_BUFFER_TOO_LARGE') return new Uint8Array(0);
      long = size;
      start = new Uint8Array(0);
    }
    if (size < long) {
      if (start.length >= want || size === compressed.length) return start;
      short = size;
    }
    if (long === Infinity) {
      size = Math.min(2 * size, compressed.length);
    } else if (long - short > 1) {
      size = short + ((long - short) >> 1);
    } else {
      return new Uint8Array(0);
    }
  }
}

/** Decompresses a whole gzip file; `declared`, if known, bounds it. */
function gunzip(
  path: string,
  compressed: Uint8Array,
  declared?: bigint,
): Uint8Array {
  const limit = declared === undefined ? MAX_IDX_BYTES : Number(declared) + 1;
  try {
    const data = gunzipSync(compressed, { maxOutputLength: limit });
    // A plain Uint8Array view, so that callers never see a Buffer.
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      const expected =
        declared === undefined
          ? `at most ${MAX_IDX_BYTES} bytes`
          : `the ${declared} bytes its header declares`;
      throw new UserError(
        `${path}: expected a gzip file that decompresses to ${expected} ` +
          'but found more',
      );
    }
    throw new UserError(
      `${path}: expected a complete gzip file but found a truncated or ` +
        `corrupt one (zlib: ${message})`,
    );
  }
}

/**
 * Checks an IDX header (big-endian: two zero bytes, type code, number of
 * dimensions, then one uint32 per dimension) against the data's size in
 * bytes, which for a gzip file is its size once decompressed; null when
 * that is not known yet, for the start of a gzip stream.
 */
function parseHeader(
  path: string,
  kind: Kind,
  head: Uint8Array,
  size: number | null,
  gzipped: boolean,
): { dims: number[]; bytes: number; declared: bigint } {
  const expected = KINDS[kind];
  const wanted = `an IDX ${kind} file (magic ${expected.magic})`;
  const headerBytes = 4 + 4 * expected.dims;
  const found =
    size === null
      ? 'unknown size'
      : `${size} bytes` + (gzipped ? ' once decompressed' : '');
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);

  if (head.length >= 2 && (head[0] !== 0 || head[1] !== 0)) {
    throw new UserError(
      `${path}: expected ${wanted} but found ${describeStart(head, gzipped)}`,
    );
  }
  const tooShort = () =>
    new UserError(
      `${path}: expected ${wanted} of at least ${headerBytes} bytes ` +
        `but found ${found}`,
    );
  if (head.length < 4) throw tooShort();

  const magic = view.getUint32(0);
  const other = expected.other;
  if (magic === KINDS[other].magic) {
    throw new UserError(
      `${path}: expected ${wanted} but found magic ${magic}, which is an ` +
        `IDX ${other} file; are the images and labels files swapped?`,
    );
  }
  if (head[2] !== IDX_UBYTE) {
    throw new UserError(
      `${path}: expected ${wanted} of unsigned bytes (type 0x08) but ` +
        `found type 0x${hex(head[2])} (${TYPE_NAMES[head[2]] ?? 'unknown'})`,
    );
  }
  if (head[3] !== expected.dims) {
    throw new UserError(
      `${path}: expected ${wanted} with ${expected.dims} dimensions but ` +
        `found ${head[3]} (magic ${magic})`,
    );
  }
  if (size !== null && size < headerBytes) throw tooShort();

  // BigInt keeps the product exact however large the header's claims.
  const dims: number[] = [];
  for (let i = 0; i < expected.dims; i++) dims.push(view.getUint32(4 + 4 * i));
  const itemBytes = dims.slice(1).reduce((a, b) => a * BigInt(b), 1n);
  const declared = BigInt(headerBytes) + BigInt(dims[0]) * itemBytes;
  const items =
    `${dims[0]} ${kind}` +
    (kind === 'images' ? ` of ${dims[1]}x${dims[2]}` : '');
  if (declared > BigInt(MAX_IDX_BYTES)) {
    throw new UserError(
      `${path}: expected a header declaring at most ${MAX_IDX_BYTES} ` +
        `bytes but found ${items} (${declared} bytes) in a file of ` +
        `${found}; is the header corrupt?`,
    );
  }
  if (size === null) return { dims, bytes: headerBytes, declared };
  const actual = BigInt(size);
  if (declared !== actual) {
    let hint: string;
    if (declared > actual) {
      // Then itemBytes > 0, or declared would be the header alone.
      const held = (actual - BigInt(headerBytes)) / itemBytes;
      hint = `, room for ${held} ${kind}; is the file truncated?`;
    } else {
      hint = `, ${actual - declared} more than declared`;
    }
    throw new UserError(
      `${path}: expected ${declared} bytes (${headerBytes} of header, ` +
        `then ${items}) as the header declares, but found ${found}${hint}`,
    );
  }
  return { dims, bytes: headerBytes, declared };
}

/** Names data's first bytes, with a hint when they look like a web page. */
function describeStart(head: Uint8Array, gzipped: boolean): string {
  const start = Array.from(head.subarray(0, 4));
  const text = start
    .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'))
    .join('');
  const what = gzipped
    ? ' inside the gzip, which is not IDX'
    : ', which is neither IDX nor gzip';
  const hint = text.startsWith('<')
    ? '; is it a web page saved by a failed download?'
    : '';
  return `bytes ${start.map(hex).join(' ')} ("${text}")${what}${hint}`;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
