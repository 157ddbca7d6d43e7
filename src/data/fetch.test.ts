// Tests of fetching MNIST from a mirror: a server on 127.0.0.1 plays each
// fault. Most use tiny fixture files and their own checksums; one fetches
// the real files to prove the real checksums. No outside network.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createGzip, gzipSync } from 'node:zlib';
import { UserError } from '../util/errors.js';
import {
  fetchDataSets,
  fetchMnist,
  MNIST_CHECKSUMS,
  type FetchEvent,
  type FetchOptions,
  type FetchProgress,
  type MnistChecksums,
} from './fetch.js';
import { defaultDataDir, mnistFileNames, type MnistFiles } from './files.js';
import { encodeIdx, makeTempDir, writeMnistFolder } from './fixtures.js';
import { LABELS_MAGIC } from './idx.js';

const root = makeTempDir();
after(() => fs.rmSync(root, { recursive: true, force: true }));

const FILES: (keyof MnistFiles)[] = [
  'trainImages',
  'trainLabels',
  'testImages',
  'testLabels',
];
const NAME = Object.fromEntries(
  FILES.map((file) => [file, mnistFileNames(file)[0]]),
) as Record<keyof MnistFiles, string>;

// Tiny MNIST files, raw and gzipped, with their checksums.
const fixtureDir = path.join(root, 'fixture');
fs.mkdirSync(fixtureDir);
writeMnistFolder(fixtureDir, { train: 20, test: 10 });
const RAW = Object.fromEntries(
  FILES.map((file) => [
    file,
    fs.readFileSync(path.join(fixtureDir, NAME[file])),
  ]),
) as Record<keyof MnistFiles, Buffer>;
const GZ = Object.fromEntries(
  FILES.map((file) => [file, gzipSync(RAW[file])]),
) as Record<keyof MnistFiles, Buffer>;
const TINY = Object.fromEntries(
  FILES.map((file) => [
    file,
    { size: RAW[file].length, sha256: sha256(RAW[file]) },
  ]),
) as MnistChecksums;

/** A byte count as the messages give it: 15,696. */
function commas(bytes: number): string {
  return bytes.toLocaleString('en-US');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Answers one request; `n` counts the requests for this path, from 1. */
type Handler = (
  request: http.IncomingMessage,
  response: http.ServerResponse,
  n: number,
) => void;

interface Mirror {
  base: string;
  /** Requests per path, e.g. '/t10k-labels-idx1-ubyte.gz'. */
  requests: Map<string, number>;
  close: () => void;
}

/**
 * A mirror on 127.0.0.1: `routes` by path, and every other path of a
 * fixture file (NAME.gz) answered with its gzip, the rest with 404.
 */
async function serve(
  routes: Record<string, Handler> = {},
  files: Record<keyof MnistFiles, Buffer> = GZ,
): Promise<Mirror> {
  const requests = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const url = request.url ?? '';
    const n = (requests.get(url) ?? 0) + 1;
    requests.set(url, n);
    const route = routes[url];
    if (route !== undefined) return route(request, response, n);
    const file = FILES.find((f) => url === `/${NAME[f]}.gz`);
    if (file === undefined) {
      response.writeHead(404).end('not here');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/gzip' });
    response.end(files[file]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/`,
    requests,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

function gzPath(file: keyof MnistFiles): string {
  return `/${NAME[file]}.gz`;
}

/** A fresh folder to fetch into. */
function freshDir(): string {
  return fs.mkdtempSync(path.join(root, 'dir-'));
}

/** Fast settings for the tiny files, with the events and progress kept. */
function quick(mirror: Mirror, extra: FetchOptions = {}) {
  const events: FetchEvent[] = [];
  const progress: FetchProgress[] = [];
  const options: FetchOptions = {
    mirror: mirror.base,
    checksums: TINY,
    retries: 2,
    retryDelayMs: 5,
    // Long enough not to fire on a busy machine; stall tests set less.
    idleTimeoutMs: 1000,
    onEvent: (event) => events.push(event),
    onProgress: (report) => progress.push(report),
    ...extra,
  };
  return { options, events, progress };
}

async function assertFails(
  promise: Promise<unknown>,
  message: string,
  exitCode = 1,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${error}`);
    assert.equal(error.message, message);
    assert.equal(error.exitCode, exitCode);
    return true;
  });
}

/** The folder holds exactly `files`' raw names, each right; no .part. */
function assertHolds(dir: string, files: (keyof MnistFiles)[]): void {
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    files.map((file) => NAME[file]).sort(),
  );
  for (const file of files) {
    assert.ok(fs.readFileSync(path.join(dir, NAME[file])).equals(RAW[file]));
  }
}

function retries(events: FetchEvent[]): string[] {
  return events.filter((e) => e.kind === 'retry').map((e) => e.message);
}

/** Sends `bytes` in `pieces` writes `gapMs` apart, then ends. */
function trickle(bytes: Buffer, pieces: number, gapMs: number): Handler {
  return (_, response) => {
    response.writeHead(200, { 'content-length': bytes.length });
    const size = Math.ceil(bytes.length / pieces);
    let at = 0;
    const next = () => {
      if (response.destroyed) return;
      response.write(bytes.subarray(at, at + size));
      at += size;
      if (at >= bytes.length) response.end();
      else setTimeout(next, gapMs);
    };
    next();
  };
}

/** Headers and the first `bytes` bytes of `body`, then the connection cut. */
function cutAfter(body: Buffer, bytes: number): Handler {
  return (_, response) => {
    response.writeHead(200, { 'content-length': body.length });
    response.write(body.subarray(0, bytes), () =>
      setTimeout(() => response.socket?.destroy(), 10),
    );
  };
}

/** `start`, then the same byte forever, gzipped if asked. */
function endless(start: Uint8Array, byte: number, gzip: boolean): Handler {
  return (_, response) => {
    response.writeHead(200);
    let started = false;
    const source = new Readable({
      read() {
        this.push(started ? Buffer.alloc(65536, byte) : start);
        started = true;
      },
    });
    const done = () => {};
    if (gzip) pipeline(source, createGzip(), response, done);
    else pipeline(source, response, done);
  };
}

describe('fetchMnist', () => {
  it('downloads the four gzipped files, each renamed into place raw', async () => {
    const mirror = await serve();
    const dir = path.join(freshDir(), 'made', 'on the way');
    const { options, events, progress } = quick(mirror);
    try {
      const fetched = await fetchMnist(dir, options);
      assert.deepEqual(
        fetched,
        FILES.map((file) => ({
          file,
          path: path.join(dir, NAME[file]),
          bytes: RAW[file].length,
          downloaded: true,
        })),
      );
      assertHolds(dir, FILES);
      assert.deepEqual(
        events.map((e) => e.message),
        FILES.flatMap((file) => [
          `${NAME[file]}: fetching ${mirror.base}${NAME[file]}.gz`,
          `${path.join(dir, NAME[file])}: ${commas(RAW[file].length)} bytes, ` +
            'downloaded',
        ]),
      );
      // Progress counts the bytes on the wire and ends at their total.
      for (const file of FILES) {
        const last = progress.filter((p) => p.file === file).at(-1);
        assert.deepEqual(last, {
          file,
          name: `${NAME[file]}.gz`,
          bytes: GZ[file].length,
          total: null,
        });
      }
    } finally {
      mirror.close();
    }
  });

  it('takes raw files from a mirror that serves them uncompressed', async () => {
    const mirror = await serve(
      Object.fromEntries(
        FILES.map((file) => [
          gzPath(file),
          (_, response) => {
            response.writeHead(200, { 'content-length': RAW[file].length });
            response.end(RAW[file]);
          },
        ]),
      ),
    );
    const dir = freshDir();
    const { options, progress } = quick(mirror);
    try {
      await fetchMnist(dir, options);
      assertHolds(dir, FILES);
      const last = progress.filter((p) => p.file === 'testLabels').at(-1);
      assert.equal(last?.total, RAW.testLabels.length);
    } finally {
      mirror.close();
    }
  });

  it('follows a redirect to another path', async () => {
    const mirror = await serve({
      [gzPath('testImages')]: (_, response) => {
        response.writeHead(302, { location: '/moved/t10k.gz' }).end();
      },
      '/moved/t10k.gz': (_, response) => response.end(GZ.testImages),
    });
    const dir = freshDir();
    try {
      await fetchMnist(dir, quick(mirror).options);
      assertHolds(dir, FILES);
      assert.equal(mirror.requests.get('/moved/t10k.gz'), 1);
    } finally {
      mirror.close();
    }
  });

  it('keeps matching files there, raw or gzipped, unrequested', async () => {
    const mirror = await serve();
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, NAME.trainImages), RAW.trainImages);
    // The other spelling, gzipped: any name findMnistFiles reads counts.
    fs.writeFileSync(
      path.join(dir, 't10k-images.idx3-ubyte.gz'),
      GZ.testImages,
    );
    const { options, events } = quick(mirror);
    try {
      const fetched = await fetchMnist(dir, options);
      assert.deepEqual(
        fetched.map((f) => [path.basename(f.path), f.downloaded]),
        [
          [NAME.trainImages, false],
          [NAME.trainLabels, true],
          ['t10k-images.idx3-ubyte.gz', false],
          [NAME.testLabels, true],
        ],
      );
      assert.deepEqual([...mirror.requests.keys()].sort(), [
        gzPath('testLabels'),
        gzPath('trainLabels'),
      ]);
      assert.equal(
        events.find((e) => e.kind === 'cached')?.message,
        `${path.join(dir, NAME.trainImages)}: already there, size and ` +
          'SHA-256 match',
      );
      assert.equal(
        events.find((e) => e.kind === 'done' && e.file === 'testImages')
          ?.message,
        `${path.join(dir, 't10k-images.idx3-ubyte.gz')}: ` +
          `${commas(GZ.testImages.length)} bytes, already there`,
      );
    } finally {
      mirror.close();
    }
  });

  it('reports a cached file that fails its checksum and fetches it again', async () => {
    const mirror = await serve();
    const dir = freshDir();
    const corrupt = Buffer.from(RAW.trainLabels);
    corrupt[20] ^= 1;
    const at = path.join(dir, NAME.trainLabels);
    fs.writeFileSync(at, corrupt);
    const short = path.join(dir, NAME.testLabels);
    fs.writeFileSync(short, RAW.testLabels.subarray(0, 12));
    const { options, events } = quick(mirror);
    try {
      await fetchMnist(dir, options);
      assertHolds(dir, FILES);
      assert.deepEqual(
        events.filter((e) => e.kind === 'cache-failed').map((e) => e.message),
        [
          `${at}: cached file fails its checksum (SHA-256 mismatch); ` +
            'fetching again',
          `${short}: cached file fails its checksum (12 bytes, not 18); ` +
            'fetching again',
        ],
      );
      assert.equal(mirror.requests.get(gzPath('trainLabels')), 1);
    } finally {
      mirror.close();
    }
  });

  it('retries a 500 answer and then succeeds', async () => {
    const mirror = await serve({
      [gzPath('trainLabels')]: (_, response, n) => {
        if (n === 1) response.writeHead(500).end('oops');
        else response.end(GZ.trainLabels);
      },
    });
    const dir = freshDir();
    const { options, events } = quick(mirror);
    try {
      await fetchMnist(dir, options);
      assertHolds(dir, FILES);
      assert.deepEqual(retries(events), [
        `${NAME.trainLabels}: retry 1 of 2 after error "the server ` +
          'answered 500 Internal Server Error" in 5 ms',
      ]);
    } finally {
      mirror.close();
    }
  });

  it('retries a body cut off before its Content-Length and then succeeds', async () => {
    const mirror = await serve({
      [gzPath('testImages')]: (request, response, n) => {
        if (n === 1) cutAfter(GZ.testImages, 100)(request, response, n);
        else response.end(GZ.testImages);
      },
    });
    const dir = freshDir();
    const { options, events } = quick(mirror);
    try {
      await fetchMnist(dir, options);
      assertHolds(dir, FILES);
      assert.deepEqual(retries(events), [
        `${NAME.testImages}: retry 1 of 2 after error "truncated: 100 of ` +
          `${commas(GZ.testImages.length)} bytes" in 5 ms`,
      ]);
    } finally {
      mirror.close();
    }
  });

  it('retries raw bytes that end short with no length or chunks to say so', async () => {
    const mirror = await serve({
      [gzPath('testLabels')]: (_, response, n) => {
        // A body that ends where the connection does, as in HTTP/1.0.
        const bytes = n === 1 ? RAW.testLabels.subarray(0, 12) : RAW.testLabels;
        response.socket?.end(
          Buffer.concat([
            Buffer.from('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n'),
            bytes,
          ]),
        );
      },
    });
    const dir = freshDir();
    const { options, events } = quick(mirror);
    try {
      await fetchMnist(dir, options);
      assertHolds(dir, FILES);
      assert.deepEqual(retries(events), [
        `${NAME.testLabels}: retry 1 of 2 after error "truncated: 12 of 18 ` +
          'bytes" in 5 ms',
      ]);
    } finally {
      mirror.close();
    }
  });

  it('gives up on a body cut off every time after the retries', async () => {
    const mirror = await serve({
      [gzPath('testImages')]: cutAfter(GZ.testImages, 100),
    });
    const dir = freshDir();
    const { options, events } = quick(mirror, { retryDelayMs: 10 });
    const total = commas(GZ.testImages.length);
    try {
      await assertFails(
        fetchMnist(dir, options),
        `${mirror.base}${NAME.testImages}.gz: expected the MNIST file ` +
          `${NAME.testImages} but 3 tries failed, the last with: ` +
          `truncated: 100 of ${total} bytes; try again later, or another ` +
          'mirror',
      );
      // Backoff doubles: 10 ms, then 20.
      assert.deepEqual(
        events.filter((e) => e.kind === 'retry').map((e) => e.delayMs),
        [10, 20],
      );
      assert.equal(mirror.requests.get(gzPath('testImages')), 3);
      assertHolds(dir, ['trainImages', 'trainLabels']);
    } finally {
      mirror.close();
    }
  });

  it('times out a stall after the headers, retries, then fails', async () => {
    const mirror = await serve({
      [gzPath('trainLabels')]: (_, response) => {
        response.writeHead(200, { 'content-length': GZ.trainLabels.length });
        response.write(GZ.trainLabels.subarray(0, 10));
      },
    });
    const dir = freshDir();
    const { options, events } = quick(mirror, { idleTimeoutMs: 100 });
    const started = Date.now();
    try {
      await assertFails(
        fetchMnist(dir, options),
        `${mirror.base}${NAME.trainLabels}.gz: expected the MNIST file ` +
          `${NAME.trainLabels} but 3 tries failed, the last with: ` +
          'stalled: no bytes for 100 ms; try again later, or another mirror',
      );
      assert.ok(Date.now() - started < 2000, 'the stall took too long');
      assert.equal(retries(events).length, 2);
      assertHolds(dir, ['trainImages']);
    } finally {
      mirror.close();
    }
  });

  it('times out a server that never answers', async () => {
    const mirror = await serve({ [gzPath('trainImages')]: () => {} });
    const dir = freshDir();
    const { options } = quick(mirror, { idleTimeoutMs: 100, retries: 1 });
    try {
      await assertFails(
        fetchMnist(dir, options),
        `${mirror.base}${NAME.trainImages}.gz: expected the MNIST file ` +
          `${NAME.trainImages} but 2 tries failed, the last with: ` +
          'stalled: no answer for 100 ms; try again later, or another mirror',
      );
      assertHolds(dir, []);
    } finally {
      mirror.close();
    }
  });

  it('lets a slow download finish when every gap is below the idle timeout', async () => {
    // 10 pieces 50 ms apart: the whole takes longer than the timeout.
    const mirror = await serve({
      [gzPath('testLabels')]: trickle(GZ.testLabels, 10, 50),
    });
    const dir = freshDir();
    const { options, events } = quick(mirror, { idleTimeoutMs: 300 });
    const started = Date.now();
    try {
      await fetchMnist(dir, options);
      assert.ok(Date.now() - started > 400);
      assertHolds(dir, FILES);
      assert.deepEqual(retries(events), []);
    } finally {
      mirror.close();
    }
  });

  it('retries a refused connection and then names it', async () => {
    const mirror = await serve();
    mirror.close();
    const dir = freshDir();
    const { options } = quick(mirror, { retries: 1 });
    try {
      await assertFails(
        fetchMnist(dir, options),
        `${mirror.base}${NAME.trainImages}.gz: expected the MNIST file ` +
          `${NAME.trainImages} but 2 tries failed, the last with: connect ` +
          `ECONNREFUSED ${mirror.base.slice(7, -1)}; try again later, or ` +
          'another mirror',
      );
      assertHolds(dir, []);
    } finally {
      mirror.close();
    }
  });

  // Each fails at once: trying again would get the same wrong answer.
  const labels = NAME.trainLabels;
  const size = RAW.trainLabels.length;
  const html = '<!DOCTYPE html><html><body>Sign in</body></html>';
  const sameSize = Buffer.from(RAW.trainLabels);
  sameSize[size - 1] ^= 1;
  const corruptGzip = Buffer.from(GZ.trainLabels);
  corruptGzip[2] = 0xe0;
  const badBodies: {
    what: string;
    handler: Handler;
    message: (url: string) => string;
  }[] = [
    {
      what: 'an HTML page answered with 200',
      handler: (_, response) => {
        response.writeHead(200, { 'content-type': 'text/html' }).end(html);
      },
      message: (url) =>
        `${url}: expected the MNIST file ${labels} (IDX, raw or gzip) but ` +
        `got ${html.length} bytes of text/html starting ` +
        `"${html.slice(0, 16)}"; is the mirror right?`,
    },
    {
      what: 'a gzipped page without a length',
      handler: (_, response) => {
        response.writeHead(200, { 'transfer-encoding': 'chunked' });
        response.end(gzipSync(html));
      },
      message: (url) =>
        `${url}: expected the MNIST file ${labels} (IDX, raw or gzip) but ` +
        `got ${gzipSync(html).length} bytes of no stated type starting ` +
        `"${html.slice(0, 16)}" once decompressed; is the mirror right?`,
    },
    {
      what: 'a 404',
      handler: (_, response) => response.writeHead(404).end('gone'),
      message: (url) =>
        `${url}: expected the MNIST file ${labels} but the server answered ` +
        '404 Not Found; is the mirror right?',
    },
    {
      what: 'a 403',
      handler: (_, response) => response.writeHead(403).end(),
      message: (url) =>
        `${url}: expected the MNIST file ${labels} but the server answered ` +
        '403 Forbidden; is the mirror right?',
    },
    {
      what: 'a file of the right size with other bytes',
      handler: (_, response) => response.end(sameSize),
      message: (url) =>
        `${url}: expected ${labels} with SHA-256 ${TINY.trainLabels.sha256} ` +
        `but got ${sha256(sameSize)} (SHA-256 mismatch); the mirror's copy ` +
        'is not the original',
    },
    {
      what: 'a whole gzip of a shorter file',
      handler: (_, response) => {
        response.end(gzipSync(RAW.trainLabels.subarray(0, 15)));
      },
      message: (url) =>
        `${url}: expected ${labels} of ${size} bytes but got 15 once ` +
        "decompressed; is the mirror's copy cut short?",
    },
    {
      what: 'a gzip file cut short, yet whole as HTTP goes',
      handler: (_, response) => response.end(GZ.trainLabels.subarray(0, 30)),
      message: (url) =>
        `${url}: expected a complete gzip file of ${labels} but found one ` +
        "cut short; is the mirror's copy whole?",
    },
    {
      what: 'a corrupt gzip file',
      handler: (_, response) => response.end(corruptGzip),
      message: (url) =>
        `${url}: expected a gzip file of ${labels} but found a corrupt one ` +
        '(zlib: unknown compression method); is the mirror right?',
    },
    {
      what: 'an announced length past the bound',
      handler: (_, response) => {
        response.writeHead(200, { 'content-length': 10_000_000 });
        response.write(GZ.trainLabels);
      },
      message: (url) =>
        `${url}: expected at most 65,565 bytes for ${labels} but the server ` +
        'announces 10,000,000; is the mirror right?',
    },
    {
      what: 'an endless gzip header, past the bound',
      // FCOMMENT set, and the comment never ends: zlib gives no byte.
      handler: endless(
        Buffer.from([0x1f, 0x8b, 8, 0x10, 0, 0, 0, 0, 0, 0xff]),
        0x61,
        false,
      ),
      message: (url) =>
        `${url}: expected at most 65,565 bytes for ${labels} but the server ` +
        'sends more; is the mirror right?',
    },
    {
      what: 'a gzip bomb, an IDX header then zeros without end',
      handler: endless(
        encodeIdx(LABELS_MAGIC, [1e6], new Uint8Array(0)),
        0,
        true,
      ),
      message: (url) =>
        `${url}: expected ${labels} of ${size} bytes but got more once ` +
        'decompressed; is the mirror right?',
    },
    {
      what: 'an endless raw file',
      handler: endless(
        encodeIdx(LABELS_MAGIC, [1e6], new Uint8Array(0)),
        1,
        false,
      ),
      message: (url) =>
        `${url}: expected ${labels} of ${size} bytes but got more; is the ` +
        'mirror right?',
    },
  ];
  for (const { what, handler, message } of badBodies) {
    // The timeout turns a download that never stops into a failure.
    it(
      `refuses ${what} at once, keeping only the right files`,
      { timeout: 5000 },
      async () => {
        const mirror = await serve({ [gzPath('trainLabels')]: handler });
        const dir = freshDir();
        const { options, events } = quick(mirror);
        try {
          await assertFails(
            fetchMnist(dir, options),
            message(`${mirror.base}${labels}.gz`),
          );
          assert.equal(mirror.requests.get(gzPath('trainLabels')), 1);
          assert.deepEqual(retries(events), []);
          assertHolds(dir, ['trainImages']);
        } finally {
          mirror.close();
        }
      },
    );
  }

  it('removes .part files of ours from a killed run, and no others', async () => {
    const mirror = await serve();
    const dir = freshDir();
    // No process has this id (Linux's limit is 2^22).
    const dead = path.join(dir, `${NAME.trainImages}.2147483646.part`);
    const running = path.join(dir, `${NAME.testImages}.${process.ppid}.part`);
    const other = path.join(dir, 'notes.2147483646.part');
    for (const file of [dead, running, other]) fs.writeFileSync(file, 'x');
    const { options, events } = quick(mirror);
    try {
      await fetchMnist(dir, options);
      assert.deepEqual(
        events.filter((e) => e.kind === 'stale-part').map((e) => e.message),
        [`${dead}: removed, a partial download left by an earlier run`],
      );
      assert.ok(!fs.existsSync(dead));
      assert.ok(fs.existsSync(running) && fs.existsSync(other));
    } finally {
      mirror.close();
    }
  });

  it('refuses a mirror that is not http or https, and bad counts', async () => {
    const dir = freshDir();
    await assertFails(
      fetchMnist(dir, { mirror: 'ftp://example.com/mnist' }),
      'mirror ftp://example.com/mnist: expected an http or https URL but ' +
        'found protocol ftp:',
      2,
    );
    await assertFails(
      fetchMnist(dir, { mirror: 'mnist' }),
      'mirror mnist: expected an http or https URL but found no URL',
      2,
    );
    await assertFails(
      fetchMnist(dir, { retries: -1 }),
      'retries: expected an integer of 0 or more but found -1',
      2,
    );
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    await assertFails(
      fetchMnist(file),
      `${file}: expected a folder for the MNIST files but found a file`,
    );
  });
});

describe('fetchDataSets', () => {
  it('fetches what is missing, then reads the data sets', async () => {
    const mirror = await serve();
    const dir = freshDir();
    try {
      const data = await fetchDataSets(dir, {
        ...quick(mirror).options,
        validationSize: 5,
      });
      assert.equal(data.train.numExamples, 15);
      assert.equal(data.validation.numExamples, 5);
      assert.equal(data.test.numExamples, 10);
    } finally {
      mirror.close();
    }
  });

  it('fetches the real gzipped MNIST files, which match MNIST_CHECKSUMS', async () => {
    const real = defaultDataDir();
    const gzipped = Object.fromEntries(
      FILES.map((file) => [
        file,
        gzipSync(fs.readFileSync(path.join(real, NAME[file])), { level: 1 }),
      ]),
    ) as Record<keyof MnistFiles, Buffer>;
    const mirror = await serve({}, gzipped);
    const dir = freshDir();
    try {
      const data = await fetchDataSets(dir, { mirror: mirror.base });
      assert.equal(data.train.numExamples, 55000);
      assert.equal(data.test.numExamples, 10000);
      for (const file of FILES) {
        const { size } = MNIST_CHECKSUMS[file];
        assert.equal(fs.statSync(path.join(dir, NAME[file])).size, size);
      }
      // Again: all four are there, so nothing is asked for.
      const fetched = await fetchMnist(dir, { mirror: mirror.base });
      assert.ok(fetched.every((f) => !f.downloaded));
      assert.equal(mirror.requests.size, 4);
    } finally {
      mirror.close();
    }
  });
});
