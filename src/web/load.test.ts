// mnistlab serve under load and abuse on loopback, for a bounded time:
// many watchers and fetchers while a run streams, clients too slow to
// send or to read, oversize and endless requests. It keeps answering, lets
// the bad clients go, stays within its memory, and writes no file.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { writeMnistSubset } from '../data/fixtures.js';
import { eventSender, startServer, type Server } from './server.js';

const dataDir = writeMnistSubset({ train: 7000, test: 300 });
// A run far longer than the test, stopped at its end: events keep coming
// and the cores are busy all through.
const LONG_RUN = {
  model: 'cnn',
  learningRate: 0.001,
  epochs: 50,
  batchSize: 10,
  optimizer: 'adam',
};

/** Every file under `dir` with its size and modification time. */
function listing(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const stat = fs.statSync(file);
      return `${file} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

/** A socket to the server, and a promise of its closing. */
function connect(url: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const closed = new Promise<void>((done) => socket.on('close', () => done()));
  socket.on('error', () => {});
  // Its answers are read and dropped, so that the end of them is seen.
  socket.resume();
  return { socket, closed };
}

/** The Host header a client of `url` sends. */
const host = (url: string) => new URL(url).host;

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

describe('mnistlab serve under load and abuse', () => {
  let server: Server;
  let url: string;
  const cwdBefore = listing(process.cwd());
  const dataBefore = listing(dataDir);

  before(async () => {
    server = await startServer({
      dataDir,
      port: 0,
      limits: {
        headersTimeoutMs: 500,
        requestTimeoutMs: 800,
        maxWatchers: 100,
      },
    });
    url = server.url;
    // The first model, then the long run the rest of the test watches.
    while ((await fetch(`${url}api/model`)).status !== 200) await sleep(50);
    const started = await fetch(`${url}api/train`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(LONG_RUN),
    });
    assert.equal(started.status, 202);
  });
  after(() => server.close());

  it('serves many watchers and fetchers at once while a run streams', async () => {
    // The server's thread's heap: the run's worker has its own.
    const heapBefore = process.memoryUsage().heapUsed;
    const controllers = Array.from({ length: 80 }, () => new AbortController());
    const watchers = controllers.map(async (controller) => {
      const answer = await fetch(`${url}api/events`, {
        signal: controller.signal,
      });
      assert.equal(answer.status, 200);
      let bytes = 0;
      try {
        for await (const chunk of answer.body!) bytes += chunk.length;
      } catch {
        // Aborted at the end of the test.
      }
      return bytes;
    });
    const deadline = Date.now() + 2500;
    const fetchers = Array.from({ length: 20 }, async (_, i) => {
      let answered = 0;
      while (Date.now() < deadline) {
        const route = [
          '',
          'app.js',
          'api/model',
          'api/status',
          'api/mistakes?limit=5',
        ][i % 5];
        const answer = await fetch(url + route);
        assert.equal(answer.status, 200, route);
        await answer.arrayBuffer();
        answered++;
      }
      return answered;
    });
    const answered = (await Promise.all(fetchers)).reduce((a, b) => a + b, 0);
    controllers.forEach((controller) => controller.abort());
    const received = await Promise.all(watchers);
    assert.ok(answered > 200, `${answered} answers`);
    assert.ok(
      received.every((bytes) => bytes > 1000),
      `watchers got ${received.join(' ')}`,
    );
    // The run goes on through it all.
    const status = await (await fetch(`${url}api/status`)).json();
    assert.equal((status as { training: boolean }).training, true);
    const grown = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(grown < 150, `the heap grew ${grown.toFixed(0)} MB`);
  });

  it('turns away watchers past its limit with a 503', async () => {
    const controllers = Array.from(
      { length: 100 },
      () => new AbortController(),
    );
    const answers = await Promise.all(
      controllers.map((c) => fetch(`${url}api/events`, { signal: c.signal })),
    );
    assert.ok(answers.every((a) => a.status === 200));
    const over = await fetch(`${url}api/events`);
    assert.equal(over.status, 503);
    assert.deepEqual(await over.json(), {
      error: '100 pages are watching already',
    });
    controllers.forEach((controller) => controller.abort());
    await sleep(100);
    const again = new AbortController();
    const back = await fetch(`${url}api/events`, { signal: again.signal });
    assert.equal(back.status, 200);
    again.abort();
  });

  it('lets go of a watcher that does not take its events', () => {
    // A stream whose reader never reads: nothing written ever drains.
    let written = 0;
    const stalled = new Writable({
      highWaterMark: 1,
      write: (chunk, _, done) => {
        written += chunk.length;
        void done;
      },
    });
    const send = eventSender(stalled, 4096);
    for (let i = 0; i < 1000; i++) send('run', { i, pad: 'x'.repeat(100) });
    assert.equal(stalled.destroyed, true);
    assert.ok(
      stalled.writableLength < 4096 + 200,
      `${stalled.writableLength} bytes held`,
    );
    assert.ok(written > 0);
  });

  it('cuts off clients too slow to send their request, and keeps serving', async () => {
    const slow = Array.from({ length: 30 }, () => connect(url));
    // Headers that never end, a byte at a time (slowloris).
    const drip = setInterval(() => {
      for (const { socket } of slow) socket.write('X');
    }, 100);
    for (const { socket } of slow)
      socket.write(`GET / HTTP/1.1\r\nHost: ${host(url)}\r\nX-Slow: `);
    const answer = await fetch(`${url}api/status`);
    assert.equal(answer.status, 200);
    await Promise.all(slow.map(({ closed }) => closed));
    clearInterval(drip);

    // A body that never ends.
    const { socket, closed } = connect(url);
    socket.write(
      `POST /api/train HTTP/1.1\r\nHost: ${host(url)}\r\n` +
        'Content-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"model":',
    );
    await closed;
    assert.equal((await fetch(`${url}api/status`)).status, 200);
  });

  it('refuses oversize requests without reading them whole', async () => {
    const huge = 'x'.repeat(8 << 20);
    const answer = await fetch(`${url}api/train`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: huge,
    }).catch((error: Error) => error);
    // Refused with a 413, or the connection closed before it was all sent.
    if (answer instanceof Response) assert.equal(answer.status, 413);
    const headers = await fetch(`${url}api/status`, {
      headers: { 'x-big': 'y'.repeat(64 << 10) },
    });
    assert.equal(headers.status, 431);
    assert.equal((await fetch(`${url}api/status`)).status, 200);
  });

  it('wrote no file, in its folder or the data', () => {
    assert.deepEqual(listing(process.cwd()), cwdBefore);
    assert.deepEqual(listing(dataDir), dataBefore);
  });
});
