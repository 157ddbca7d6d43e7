// The HTTP side of `mnistlab serve`: the page (bundled at build time into
// dist/web, read once, served from memory: no request reaches the file
// system), the model it predicts with, training runs and their events as
// server-sent events, and the test digits the model misreads. Fastify
// parses and bounds requests; anything else gets a 4xx with a message.

import * as fs from 'node:fs';
import type { Writable } from 'node:stream';

import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';

import type { SavedModel } from '../io/model-format.js';
import { UserError } from '../util/errors.js';
import {
  checkTrainRequest,
  FIRST_MODEL,
  type TrainRequest,
} from './protocol.js';
import { Trainer, type TrainerListener } from './trainer.js';

const PAGE_DIR = new URL('../../web/', import.meta.url);
const KERNELS_URL = new URL(
  '../tensor/kernels/wasm/kernels.wasm',
  import.meta.url,
);
const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
// A training request is a hundred bytes.
const BODY_LIMIT = 4096;
// A watcher that has not taken this much of its stream is dropped.
const MAX_UNSENT = 1 << 20;
const KEEP_ALIVE_MS = 15_000;
const MISTAKES_PER_PAGE = 60;
const MAX_MISTAKES_PER_PAGE = 500;

// Every answer: the page may run only its own scripts and wasm, talk only
// to this server, and be framed by nobody. Isolation (COOP and COEP) lets
// it share WebAssembly memory, as the engine's kernels want.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
    "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface ServeOptions {
  /** Folder of the four MNIST files training and misreads read. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A model to predict with at once; without one, FIRST_MODEL is trained. */
  model?: { saved: SavedModel; name: string };
  /** What to train when there is no model; null trains nothing. */
  firstModel?: TrainRequest | null;
  /** Bounds on each client (defaults: SERVER_LIMITS). */
  limits?: Partial<ServerLimits>;
}

/** What one client may take of the server. */
export interface ServerLimits {
  /** To send a request's headers, and the whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Open connections at once; more are refused. */
  maxConnections: number;
  /** Event-stream watchers at once; more get a 503. */
  maxWatchers: number;
}

export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 1024,
  maxWatchers: 256,
};

export interface Server {
  /** http://host:port/ of the page. */
  url: string;
  trainer: Trainer;
  close(): Promise<void>;
}

interface Asset {
  type: string;
  body: Buffer;
}

/** The built page's files, or a UserError saying how to build them. */
function readAssets(): Map<string, Asset> {
  const files: [string, URL, string][] = [
    ['/', new URL('index.html', PAGE_DIR), 'text/html; charset=utf-8'],
    ['/app.js', new URL('app.js', PAGE_DIR), 'text/javascript; charset=utf-8'],
    ['/app.css', new URL('app.css', PAGE_DIR), 'text/css; charset=utf-8'],
    ['/kernels.wasm', KERNELS_URL, 'application/wasm'],
  ];
  const assets = new Map<string, Asset>();
  for (const [route, file, type] of files) {
    try {
      assets.set(route, { type, body: fs.readFileSync(file) });
    } catch (error) {
      throw new UserError(
        `the web page is not built (${(error as Error).message}); run ` +
          '`npm run build`',
      );
    }
  }
  return assets;
}

/** Starts serving; resolves once the server listens. */
export async function startServer(options: ServeOptions): Promise<Server> {
  const assets = readAssets();
  const trainer = new Trainer(options.dataDir);
  const limits = { ...SERVER_LIMITS, ...options.limits };
  // A slow client (slowloris) is cut off once its request is overdue; an
  // event stream, whose request is done at once, is not.
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    requestTimeout: limits.requestTimeoutMs,
    // Closing drops every connection, not only the idle ones.
    forceCloseConnections: true,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // How often overdue requests are looked for.
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
  });
  app.server.maxConnections = limits.maxConnections;
  const streams = new Set<FastifyReply>();
  // Requests are JSON or nothing: a text body is refused (415), not parsed.
  app.removeContentTypeParser('text/plain');

  app.addHook('onSend', async (request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    if (request.url.startsWith('/api/'))
      reply.header('cache-control', 'no-store');
    return payload;
  });
  // Pages of other sites may not act here (a form or a no-cors fetch
  // could stop a run), and on loopback only loopback names are answered,
  // which keeps DNS rebinding out.
  let names: Set<string> | null = null;
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host ?? '';
    if (names !== null && !names.has(host)) {
      return reply.code(403).send({ error: `unexpected Host ${host}` });
    }
    const { origin } = request.headers;
    const reads = request.method === 'GET' || request.method === 'HEAD';
    if (!reads && origin !== undefined && origin !== `http://${host}`) {
      return reply
        .code(403)
        .send({ error: `requests from ${origin} are refused` });
    }
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ error: `no such page: ${request.method} ${request.url}` });
  });
  app.setErrorHandler(
    (error: { statusCode?: number; message: string }, _, reply) => {
      const status = error.statusCode ?? 500;
      // Fastify's own 4xx messages (bad JSON, too large) say what is wrong.
      const message = status < 500 ? error.message : 'internal error';
      reply.code(status).send({ error: message });
    },
  );

  for (const [route, asset] of assets) {
    app.get(route, (_, reply) => {
      reply
        .type(asset.type)
        .header('cache-control', 'no-cache')
        .send(asset.body);
    });
  }
  routes(app, trainer, streams, limits.maxWatchers);

  const host = options.host ?? '127.0.0.1';
  const url = await listen(app, host, options.port ?? 8080);
  if (LOOPBACK.includes(host)) {
    const { port } = new URL(url);
    names = new Set(LOOPBACK_NAMES.map((name) => `${name}:${port}`));
  }
  // Work starts once the server is there to show it.
  if (options.model !== undefined) {
    trainer.use(options.model.saved, options.model.name);
  } else {
    const first =
      options.firstModel === undefined ? FIRST_MODEL : options.firstModel;
    if (first !== null) trainer.start(first);
  }
  return {
    url,
    trainer,
    async close() {
      for (const stream of streams) stream.raw.end();
      await trainer.close();
      await app.close();
    },
  };
}

async function listen(app: FastifyInstance, host: string, port: number) {
  try {
    await app.listen({ host, port });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const hint = code === 'EADDRINUSE' ? '; choose another with --port' : '';
    throw new UserError(`cannot serve on ${host}:${port}: ${message}${hint}`);
  }
  const address = app.server.address();
  const bound =
    typeof address === 'object' && address !== null ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${bound}/`;
}

function routes(
  app: FastifyInstance,
  trainer: Trainer,
  streams: Set<FastifyReply>,
  maxWatchers: number,
): void {
  app.get('/api/status', () => trainer.snapshot());

  app.post('/api/train', (request, reply) => {
    const checked = checkTrainRequest(request.body);
    if (typeof checked === 'string') {
      return reply.code(400).send({ error: checked });
    }
    const run = trainer.start(checked);
    if (run === null) {
      return reply.code(409).send({ error: 'a run is going; stop it first' });
    }
    return reply.code(202).send({ run });
  });

  app.post('/api/stop', (_, reply) => {
    if (!trainer.stop()) {
      return reply.code(409).send({ error: 'no run is going' });
    }
    return reply.send({ stopping: true });
  });

  app.get('/api/model', (_, reply) => {
    const model = trainer.model;
    if (model === null) {
      const error = trainer.training
        ? 'no model yet: one is training'
        : 'no model yet: train one';
      return reply.code(404).send({ error });
    }
    return reply.send({ summary: model.summary, model: model.json });
  });

  app.get('/api/model/weights/:version', (request, reply) => {
    const { version } = request.params as { version: string };
    const model = trainer.model;
    if (model === null || String(model.summary.version) !== version) {
      return reply.code(404).send({
        error:
          `no model version ${version.slice(0, 20)} here; /api/model says ` +
          'which is',
      });
    }
    return reply
      .type('application/octet-stream')
      .send(Buffer.from(model.weights));
  });

  app.get('/api/mistakes', (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const label = intParam(query.label, 0, 9);
    const offset = intParam(query.offset, 0, 1e6);
    const limit = intParam(query.limit, 1, MAX_MISTAKES_PER_PAGE);
    for (const [name, value] of [
      ['label', label],
      ['offset', offset],
      ['limit', limit],
    ] as const) {
      if (value === undefined) {
        return reply
          .code(400)
          .send({ error: `bad ${name}: ${JSON.stringify(query[name])}` });
      }
    }
    return reply.send(
      trainer.mistakes(label ?? null, offset ?? 0, limit ?? MISTAKES_PER_PAGE),
    );
  });

  // No HEAD: an event stream has no end to answer it with.
  app.get('/api/events', { exposeHeadRoute: false }, (request, reply) => {
    if (streams.size >= maxWatchers) {
      return reply
        .code(503)
        .send({ error: `${maxWatchers} pages are watching already` });
    }
    reply.hijack();
    const stream = reply.raw;
    stream.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    streams.add(reply);
    const send = eventSender(stream, MAX_UNSENT);
    send('snapshot', trainer.snapshot());
    const unwatch = trainer.watch((message: TrainerListener) => {
      if (message.kind === 'run') send('run', message.event);
      else send('model', message.summary);
    });
    const beat = setInterval(
      () => stream.write(': keep-alive\n\n'),
      KEEP_ALIVE_MS,
    );
    const done = () => {
      unwatch();
      clearInterval(beat);
      streams.delete(reply);
    };
    stream.on('close', done);
    request.raw.on('close', done);
  });
}

/**
 * Writes server-sent events to `stream`; a watcher that has left more than
 * `maxUnsent` bytes untaken is let go rather than buffered for.
 */
export function eventSender(stream: Writable, maxUnsent: number) {
  return (event: string, data: unknown): void => {
    if (stream.destroyed) return;
    if (stream.writableLength > maxUnsent) {
      stream.destroy();
      return;
    }
    stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
}

/**
 * A query value as an integer in [min, max]: null when absent, undefined
 * when it is not one.
 */
function intParam(text: string | undefined, min: number, max: number) {
  if (text === undefined || text === '') return null;
  if (!/^\d{1,7}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}
