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
  private served: ServedModel | null = null;
  private misreads: Misreads | null = null;
  private versions = 0;

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
    this.serve(model, name);
    this.misreads = null;
    this.spawn({ kind: 'mistakes', model, dataDir: this.dataDir });
  }

  /** Starts a run; its number, or null while another one runs. */
  start(request: TrainRequest): number | null {
    if (this.worker !== null) return null;
    const run = ++this.runs;
    this.events = [];
    this.spawn({ kind: 'train', run, request, dataDir: this.dataDir });
    return run;
  }

  /** Asks the run to end after its current step; false if none runs. */
  stop(): boolean {
    if (this.stopFlag === null) return false;
    Atomics.store(this.stopFlag, 0, 1);
    return true;
  }

  /** Ends any run at once (the server is closing). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.stopFlag = null;
    await worker?.terminate();
  }

  /** Misread test digits, of one true class or all, a page at a time. */
  mistakes(label: number | null, offset: number, limit: number): MistakePage {
    const misreads = this.misreads;
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

  private spawn(job: WorkerJob): void {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const data: WorkerData = { job, stop };
    const worker = new Worker(WORKER_URL, { workerData: data });
    const training = job.kind === 'train';
    if (training) {
      this.worker = worker;
      this.stopFlag = stop;
    }
    const run = training ? job.run : 0;
    let ended = false;
    const end = (failure: string | null) => {
      if (ended) return;
      ended = true;
      if (training && this.worker === worker) {
        this.worker = null;
        this.stopFlag = null;
      }
      if (failure !== null && training) {
        this.emit({ type: 'failed', run, message: failure });
      }
    };
    worker.on('message', (message: WorkerMessage) => {
      switch (message.kind) {
        case 'event':
          // The run is over for watchers once it is done: a new one may start.
          if (message.event.type === 'done') end(null);
          this.emit(message.event);
          break;
        case 'model':
          this.serve(
            message.model,
            (job as { request: TrainRequest }).request.model,
          );
          this.misreads = message.misreads;
          break;
        case 'misreads':
          this.misreads = message.misreads;
          break;
        case 'error':
          end(message.message);
          break;
      }
    });
    worker.on('error', (error) => end(error.message));
    worker.on('exit', (code) => {
      end(code === 0 ? null : `the training worker exited with code ${code}`);
    });
  }

  private serve(model: SavedModel, name: string): void {
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
    for (const listener of this.listeners) listener({ kind: 'model', summary });
  }

  private emit(event: RunEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener({ kind: 'run', event });
  }
}
