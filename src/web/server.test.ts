// mnistlab serve's HTTP side on a slice of the real digits: runs, their
// events as every watcher sees them, the model and its misreads, and bad
// requests answered with a 4xx while the server keeps serving.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { writeMnistSubset } from '../data/fixtures.js';
import { decodeModel, readModelHeader } from '../io/model-format.js';
import { SoftmaxRegression } from '../nn/softmax-regression.js';
import { savedSoftmax } from '../train/saved.js';
import { Random } from '../util/random.js';
import type { RunEvent, Snapshot, TrainRequest } from './protocol.js';
import { startServer, type Server } from './server.js';

// 5,000 validation digits, then 2,000 to train on: 20 steps an epoch.
const dataDir = writeMnistSubset({ train: 7000, test: 300 });
const quick: TrainRequest = {
  model: 'softmax',
  learningRate: 0.01,
  epochs: 2,
  batchSize: 100,
  optimizer: 'adam',
};

interface Watcher {
  events: RunEvent[];
  snapshot: Promise<Snapshot>;
  /** Resolves with the events up to the first of `type` in run `run`. */
  until(type: RunEvent['type'], run: number): Promise<RunEvent[]>;
  close(): void;
}

/** A client of /api/events that keeps every run event it is sent. */
async function watch(url: string): Promise<Watcher> {
  const controller = new AbortController();
  const answer = await fetch(`${url}api/events`, { signal: controller.signal });
  assert.equal(
    answer.headers.get('content-type'),
    'text/event-stream; charset=utf-8',
  );
  const events: RunEvent[] = [];
  const waiting: (() => void)[] = [];
  let gotSnapshot = (_: Snapshot) => {};
  const snapshot = new Promise<Snapshot>((resolve) => (gotSnapshot = resolve));
  (async () => {
    const decoder = new TextDecoder();
    let text = '';
    try {
      for await (const chunk of answer.body!) {
        text += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const message = text.slice(0, end);
          text = text.slice(end + 2);
          const kind = /^event: (.*)$/m.exec(message)?.[1];
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (kind === 'snapshot') gotSnapshot(JSON.parse(data!));
          if (kind === 'run') events.push(JSON.parse(data!));
          waiting.splice(0).forEach((wake) => wake());
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    events,
    snapshot,
    async until(type, run) {
      for (;;) {
        const at = events.findIndex((e) => e.type === type && e.run === run);
        if (at >= 0) return events.slice(0, at + 1);
        await new Promise<void>((wake) => waiting.push(wake));
      }
    },
    close: () => controller.abort(),
  };
}

/** POSTs `body` (none if empty); the status and the JSON answered. */
async function post(url: string, body = '', type = 'application/json') {
  const answer = await fetch(url, {
    method: 'POST',
    headers: body === '' ? {} : { 'content-type': type },
    body: body === '' ? undefined : body,
  });
  return { status: answer.status, json: await answer.json() };
}

// Answers in these tests are checked field by field.
async function getJson(url: string): Promise<any> {
  return (await fetch(url)).json();
}

/** The status line of a request sent byte for byte, as no browser would. */
function rawRequest(
  url: string,
  target: string,
  host = new URL(url).host,
): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.end(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n` +
          'Connection: close\r\n\r\n',
      );
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

describe('mnistlab serve', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = await startServer({ dataDir, port: 0, firstModel: null });
    url = server.url;
  });
  after(() => server.close());

  it('serves the page, its script and the kernels, isolated and same-origin only', async () => {
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /data-testid="canvas"/);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(
      page.headers.get('cross-origin-embedder-policy'),
      'require-corp',
    );
    assert.match(
      page.headers.get('content-security-policy')!,
      /default-src 'self'/,
    );
    const script = await fetch(`${url}app.js`);
    assert.equal(
      script.headers.get('content-type'),
      'text/javascript; charset=utf-8',
    );
    assert.doesNotMatch(await script.text(), /https?:\/\/(?!www\.w3\.org)/);
    const wasm = await fetch(`${url}kernels.wasm`);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.ok(WebAssembly.validate(new Uint8Array(await wasm.arrayBuffer())));
  });

  it('has no model before the first run ends', async () => {
    const answer = await fetch(`${url}api/model`);
    assert.equal(answer.status, 404);
    assert.deepEqual(await answer.json(), {
      error: 'no model yet: train one',
    });
  });

  it('streams a run alike to two watchers, one leaving, then serves its model', async () => {
    const first = await watch(url);
    const second = await watch(url);
    const leaving = await watch(url);
    assert.deepEqual((await first.snapshot).events, []);
    const started = await post(`${url}api/train`, JSON.stringify(quick));
    assert.equal(started.status, 202);
    const { run } = started.json as { run: number };
    // A watcher gone mid-run does not touch it.
    await leaving.until('start', run);
    leaving.close();
    const seen = await first.until('done', run);
    assert.deepEqual(await second.until('done', run), seen);

    const types = seen.map((event) => event.type);
    assert.equal(types[0], 'start');
    assert.equal(types.filter((type) => type === 'epoch').length, 2);
    assert.ok(types.includes('progress'));
    const done = seen.at(-1) as Extract<RunEvent, { type: 'done' }>;
    assert.equal(done.stopped, false);
    assert.ok(done.testAccuracy > 0.5, `test accuracy ${done.testAccuracy}`);

    // A page that connects now catches up on the same events.
    const late = await watch(url);
    assert.deepEqual((await late.snapshot).events, seen);
    for (const watcher of [first, second, late]) watcher.close();

    const { summary, model } = await getJson(`${url}api/model`);
    assert.equal(summary.name, 'softmax');
    assert.equal(summary.testAccuracy, done.testAccuracy);
    const weights = await fetch(`${url}api/model/weights/${summary.version}`);
    const bytes = new Uint8Array(await weights.arrayBuffer());
    const saved = decodeModel(
      readModelHeader(model, 'model'),
      bytes,
      'weights',
    );
    assert.equal(saved.layers, 'dense:10');
    assert.deepEqual(
      saved.tensors.map((t) => t.shape),
      [[784, 10], [10]],
    );
  });

  it('lists the misread test digits, of any class or of one', async () => {
    const all = await getJson(`${url}api/mistakes?limit=500`);
    assert.equal(all.pending, false);
    assert.equal(all.mistakes.length, all.total);
    assert.ok(all.total > 0 && all.total < 150, `${all.total} misreads`);
    for (const mistake of all.mistakes) {
      assert.notEqual(mistake.label, mistake.prediction);
      assert.equal(Buffer.from(mistake.pixels, 'base64').length, 784);
    }
    const sevens = await getJson(`${url}api/mistakes?label=7`);
    const expected = all.mistakes.filter(
      (m: { label: number }) => m.label === 7,
    );
    assert.deepEqual(sevens.mistakes, expected.slice(0, 60));
    assert.equal(sevens.total, expected.length);
  });

  it('stops a run when asked, keeping the model it has so far', async () => {
    const watcher = await watch(url);
    const long = { ...quick, epochs: 50 };
    const { json } = await post(`${url}api/train`, JSON.stringify(long));
    const run = (json as { run: number }).run;
    await watcher.until('epoch', run);
    const again = await post(`${url}api/train`, JSON.stringify(quick));
    assert.deepEqual(again, {
      status: 409,
      json: { error: 'a run is going; stop it first' },
    });
    assert.equal((await post(`${url}api/stop`)).status, 200);
    const events = await watcher.until('done', run);
    watcher.close();
    const done = events.at(-1) as Extract<RunEvent, { type: 'done' }>;
    assert.deepEqual([done.stopped, done.kept], [true, true]);
    assert.ok(events.filter((e) => e.type === 'epoch').length < 50);
    const { summary } = await getJson(`${url}api/model`);
    assert.equal(summary.testAccuracy, done.testAccuracy);
    assert.deepEqual(await post(`${url}api/stop`), {
      status: 409,
      json: { error: 'no run is going' },
    });
  });

  it('answers bad requests with a 4xx that says why, and keeps serving', async () => {
    const train = `${url}api/train`;
    const cases: [
      Promise<{ status: number; json: unknown }>,
      number,
      RegExp,
    ][] = [
      [post(train, '{"model": "mlp",'), 400, /JSON/],
      [post(train, 'model=mlp', 'text/plain'), 415, /Unsupported Media Type/],
      [
        post(train, JSON.stringify({ ...quick, pad: 'x'.repeat(5000) })),
        413,
        /too large/,
      ],
      [post(train, '[1, 2]'), 400, /expected a JSON object/],
      [
        post(train, JSON.stringify({ ...quick, epochs: 0 })),
        400,
        /expected epochs to be an integer from 1 to 50 but found 0/,
      ],
      [post(train, JSON.stringify({ ...quick, epochs: 2.5 })), 400, /epochs/],
      [
        post(train, JSON.stringify({ ...quick, learningRate: 'fast' })),
        400,
        /expected learningRate to be a number from 0.000001 to 10 but found "fast"/,
      ],
      [
        post(train, JSON.stringify({ ...quick, model: 'resnet' })),
        400,
        /expected model softmax, mlp, cnn but found "resnet"/,
      ],
      [
        post(train, JSON.stringify({ ...quick, optimizer: null })),
        400,
        /optimizer/,
      ],
      [
        post(train, JSON.stringify({ ...quick, seed: 1 })),
        400,
        /unknown field "seed"/,
      ],
      // Prototype poisoning is refused by Fastify's parser.
      [post(train, '{"__proto__": {"x": 1}}'), 400, /not valid JSON/],
    ];
    for (const [answer, status, message] of cases) {
      const { status: found, json } = await answer;
      assert.equal(found, status, JSON.stringify(json));
      assert.match((json as { error: string }).error, message);
    }

    for (const query of [
      'label=10',
      'label=-1',
      'label=x',
      'offset=1.5',
      'limit=0',
      'limit=501',
    ]) {
      const answer = await fetch(`${url}api/mistakes?${query}`);
      assert.equal(answer.status, 400, query);
    }
    const stale = await fetch(`${url}api/model/weights/999`);
    assert.equal(stale.status, 404);
    const unknown = await fetch(`${url}api/nothing`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), {
      error: 'no such page: GET /api/nothing',
    });
    assert.equal((await fetch(`${url}api/train`)).status, 404);
  });

  it('keeps its model when a run stopped before an epoch ends reads worse', async () => {
    const before = (await getJson(`${url}api/model`)).summary;
    const watcher = await watch(url);
    const long = { ...quick, epochs: 50, batchSize: 1 };
    const { json } = await post(`${url}api/train`, JSON.stringify(long));
    const run = (json as { run: number }).run;
    await watcher.until('start', run);
    await post(`${url}api/stop`);
    const events = await watcher.until('done', run);
    watcher.close();
    const done = events.at(-1) as Extract<RunEvent, { type: 'done' }>;
    assert.deepEqual([done.stopped, done.kept], [true, false]);
    assert.deepEqual((await getJson(`${url}api/model`)).summary, before);
  });

  it('refuses other sites and other host names', async () => {
    const stop = await fetch(`${url}api/stop`, {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(stop.status, 403);
    assert.deepEqual(await stop.json(), {
      error: 'requests from http://evil.example are refused',
    });
    const { port } = new URL(url);
    const rebound = await rawRequest(
      url,
      '/api/status',
      `evil.example:${port}`,
    );
    assert.equal(rebound, 'HTTP/1.1 403 Forbidden');
    for (const name of ['localhost', '127.0.0.1']) {
      const ok = await rawRequest(url, '/api/status', `${name}:${port}`);
      assert.equal(ok, 'HTTP/1.1 200 OK');
    }
    // Its own page may post.
    const own = await fetch(`${url}api/stop`, {
      method: 'POST',
      headers: { origin: url.slice(0, -1) },
    });
    assert.equal(own.status, 409);
    const head = await fetch(`${url}api/events`, { method: 'HEAD' });
    assert.equal(head.status, 404);
  });

  it('reads no file a request names: traversal finds nothing', async () => {
    for (const target of [
      '/../package.json',
      '/..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/app.js/../../../../etc/passwd',
      '//etc/passwd',
      '/index.html',
      '/src/web/server.ts',
      '/kernels.wasm%00.txt',
    ]) {
      const status = await rawRequest(url, target);
      assert.match(status, /^HTTP\/1\.1 4\d\d /, target);
    }
    assert.equal((await fetch(`${url}api/status`)).status, 200);
  });
});

describe('mnistlab serve with a model and damaged data', () => {
  it('says why it cannot list the misreads', async () => {
    const broken = writeMnistSubset({ train: 5100, test: 50 });
    const images = path.join(broken, 't10k-images-idx3-ubyte');
    fs.truncateSync(images, 5000);
    const model = new SoftmaxRegression(784, 10, 'zeros', new Random(1));
    const saved = savedSoftmax(model, {
      training: {},
      history: { costs: [], validationAccuracy: [], testAccuracy: null },
    });
    const server = await startServer({
      dataDir: broken,
      port: 0,
      model: { saved, name: 'zeros' },
    });
    try {
      let page;
      do {
        await new Promise((wake) => setTimeout(wake, 50));
        page = await getJson(`${server.url}api/mistakes`);
      } while (page.pending);
      assert.match(
        page.error,
        /t10k-images-idx3-ubyte: expected 39216 bytes .* is the file truncated\?$/,
      );
    } finally {
      await server.close();
    }
  });
});
