// The server's side of training for the page: one run at a time in a
// worker thread, its events kept and passed to every watcher, and the
// model the page predicts with, swapped in when a run ends. Closing a
// watcher never touches the run.

import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

import { modelJson, weightBytes, type SavedModel } from '../io/model-format.js';
import type {
  Mistake,
  MistakePage,
  ModelSummary,
  RunEvent,
  Snapshot,
  TrainRequest,
} from './protocol.js';
import type {
  Misreads,
  WorkerData,
  WorkerJob,
  WorkerMessage,
} from './train-worker.js';

const WORKER_URL = new URL('./train-worker.js', import.meta.url);

/** The model as the page fetches it: model.json's object and the weights. */
export interface ServedModel {
  summary: ModelSummary;
  json: object;
  weights: Uint8Array;
}

export type TrainerListener =
  { kind: 'run'; event: RunEvent } | { kind: 'model'; summary: ModelSummary };

export class Trainer {
  private readonly dataDir: string;
  private readonly listeners = new Set<(message: TrainerListener) => void>();
  private events: RunEvent[] = [];
  private runs = 0;
  private worker: Worker | null = null;
  private stopFlag: Int32Array | null = null;
  // The worker finding a loaded model's misreads, while it does.
  private finder: Worker | null = null;
  private served: ServedModel | null = null;
  // The served model's misreads once found, or why they could not be.
  private misreads: Misreads | string | null = null;
  private versions = 0;
  private closing = false;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  get training(): boolean {
    return this.worker !== null;
  }

  get model(): ServedModel | null {
    return this.served;
  }

  snapshot(): Snapshot {
    return {
      training: this.training,
      events: [...this.events],
      model: this.served?.summary ?? null,
    };
  }

  /** Calls `listener` with every event from now on; returns an unsubscribe. */
  watch(listener: (message: TrainerListener) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Serves `model` (loaded from disk) and finds its misreads in a worker. */
  use(model: SavedModel, name: string): void {
    const version = this.serve(model, name);
    const finder = this.spawn(
      { kind: 'mistakes', model, dataDir: this.dataDir },
      (message) => {
        // Misreads of a model replaced meanwhile are of no use.
        if (this.served?.summary.version !== version) return;
        if (message.kind === 'misreads') this.misreads = message.misreads;
        if (message.kind === 'error') this.misreads = message.message;
      },
      () => {
        if (this.finder === finder) this.finder = null;
      },
    );
    this.finder = finder;
  }

  /** Starts a run; its number, or null while another one runs. */
  start(request: TrainRequest): number | null {
    if (this.worker !== null || this.closing) return null;
    const run = ++this.runs;
    this.events = [];
    const stop = new Int32Array(new SharedArrayBuffer(4));
    let kept = false;
    let ended = false;
    const end = (failure: string | null) => {
      if (ended) return;
      ended = true;
      if (this.worker === worker) {
        this.worker = null;
        this.stopFlag = null;
      }
      if (failure !== null && !this.closing) {
        this.emit({ type: 'failed', run, message: failure });
      }
    };
    const worker = this.spawn(
      { kind: 'train', run, request, dataDir: this.dataDir },
      (message) => {
        switch (message.kind) {
          case 'event': {
            const { event } = message;
            // Over for watchers once done: a new run may start.
            if (event.type === 'done') end(null);
            this.emit(event.type === 'done' ? { ...event, kept } : event);
            break;
          }
          case 'model':
            // A model stopped before it learned an epoch replaces the one
            // there only if it reads the test set better.
            kept =
              !message.early ||
              this.served === null ||
              (message.model.history.testAccuracy ?? 0) >
                (this.served.summary.testAccuracy ?? 0);
            if (kept) {
              this.serve(message.model, request.model);
              this.misreads = message.misreads;
            }
            break;
          case 'error':
            end(message.message);
            break;
        }
      },
      (failure) => end(failure),
      stop,
    );
    this.worker = worker;
    this.stopFlag = stop;
    return run;
  }

  /** Asks the run to end after its current step; false if none runs. */
  stop(): boolean {
    if (this.stopFlag === null) return false;
    Atomics.store(this.stopFlag, 0, 1);
    return true;
  }

  /** Ends any run and search at once (the server is closing). */
  async close(): Promise<void> {
    this.closing = true;
    const workers = [this.worker, this.finder];
    this.worker = null;
    this.stopFlag = null;
    this.finder = null;
    await Promise.all(workers.map((worker) => worker?.terminate()));
  }

  /** Misread test digits, of one true class or all, a page at a time. */
  mistakes(label: number | null, offset: number, limit: number): MistakePage {
    const misreads = this.misreads;
    if (typeof misreads === 'string') {
      return { total: 0, mistakes: [], pending: false, error: misreads };
    }
    if (misreads === null) {
      return { total: 0, mistakes: [], pending: this.served !== null };
    }
    const { indices, labels, predictions, pixels } = misreads;
    const size = pixels.length / Math.max(1, indices.length);
    const matching: number[] = [];
    labels.forEach((truth, k) => {
      if (label === null || truth === label) matching.push(k);
    });
    const mistakes: Mistake[] = matching
      .slice(offset, offset + limit)
      .map((k) => ({
        index: indices[k],
        label: labels[k],
        prediction: predictions[k],
        pixels: Buffer.from(pixels.subarray(k * size, (k + 1) * size)).toString(
          'base64',
        ),
      }));
    return { total: matching.length, mistakes, pending: false };
  }

  /**
   * A worker on `job`: its messages to `onMessage`, and `onEnd` once it
   * ends, with why if it failed.
   */
  private spawn(
    job: WorkerJob,
    onMessage: (message: WorkerMessage) => void,
    onEnd: (failure: string | null) => void,
    stop = new Int32Array(new SharedArrayBuffer(4)),
  ): Worker {
    const data: WorkerData = { job, stop };
    const worker = new Worker(WORKER_URL, { workerData: data });
    worker.on('message', onMessage);
    worker.on('error', (error) => onEnd(error.message));
    worker.on('exit', (code) => {
      onEnd(code === 0 ? null : `the training worker exited with code ${code}`);
    });
    return worker;
  }

  /** Makes `model` the one served; its version. */
  private serve(model: SavedModel, name: string): number {
    const weights = weightBytes(model.tensors);
    const sha256 = createHash('sha256').update(weights).digest('hex');
    const file = `weights-${sha256.slice(0, 16)}.bin`;
    const summary: ModelSummary = {
      version: ++this.versions,
      name,
      testAccuracy: model.history.testAccuracy,
    };
    this.served = {
      summary,
      json: modelJson(model, { file, bytes: weights.length, sha256 }),
      weights,
    };
    this.misreads = null;
    // A search for the old model's misreads is of no use now.
    void this.finder?.terminate();
    this.finder = null;
    for (const listener of this.listeners) listener({ kind: 'model', summary });
    return summary.version;
  }

  private emit(event: RunEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener({ kind: 'run', event });
  }
}
