// The bench: our trainer and its peers on the same configurations, one
// child process per run and one run at a time, gathered into rows and
// notes. Prints nothing; progress goes to a callback.

import * as os from 'node:os';
import { fileURLToPath } from 'node:url';

import {
  expectedSeconds,
  type BenchConfig,
  type ChildRunner,
  type PeerName,
} from './configs.js';
import { failureOf, jsonReport, runChild } from './child.js';
import { PYTORCH_THREADS, pytorchMissing } from './pytorch.js';
import { tfjsMissing } from './tfjs.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./run-child.js', import.meta.url));

export interface BenchSettings {
  configs: readonly BenchConfig[];
  peers: readonly PeerName[];
  /** Limit of each run; runs known to take longer are skipped. */
  maxSeconds: number;
  /** Folder of the four MNIST files every runner reads. */
  dataDir: string;
  /** Python that runs the PyTorch peer. */
  python: string;
  pytorchScript: string;
  /** Threads asked of our engine; unset leaves its default. */
  threads?: number;
  /**
   * The whole `mnistlab train --json` command on dataDir, start-up and
   * data loading included, timed as a row of softmax; unset to leave out.
   */
  trainCommand?: { command: string; args: string[] };
}

/** Whose run a row is. */
export type Role = 'ours' | 'command' | 'peer';

export interface BenchRow {
  config: BenchConfig;
  runner: string;
  role: Role;
  trainSeconds: number;
  testAccuracy: number;
  /** Ours only: predicting the 10,000 test images. */
  inferSeconds: number | null;
  /** Peak resident memory of the run's process, MiB, where it reports it. */
  peakRssMb: number | null;
  /** From starting the process to its exit: start-up and data included. */
  wallSeconds: number;
  /** Threads the runner computed on, where it says. */
  threads: number | null;
  /** Peers: our trainSeconds over theirs, same config; else null. */
  oursPerPeer: number | null;
}

export interface BenchNote {
  /** A runner id: mnistlab, mnistlab train, pytorch, tfjs-wasm, tfjs-cpu. */
  runner: string;
  /** null when the note is about every configuration. */
  config: BenchConfig | null;
  kind: 'skipped' | 'timed out' | 'failed' | 'info';
  /** What happened, in a line that starts with `kind` unless info. */
  text: string;
}

export interface BenchResult {
  rows: BenchRow[];
  notes: BenchNote[];
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    /** 1-minute load average at the start: others' work skews timings. */
    loadAverage: number;
  };
  maxSeconds: number;
}

/** A run's progress: `started`, then how it ended. */
export interface BenchEvent {
  config: BenchConfig;
  runner: string;
  state: 'started' | 'done' | BenchNote['kind'];
  /** Wall time of the run so far; 0 when started or skipped. */
  seconds: number;
  /** Which of a runner's runs this is ("1 thread"), when it has several. */
  detail?: string;
}

export interface BenchCallbacks {
  onProgress?: (event: BenchEvent) => void;
}

/** One child process to run for a row. */
interface Job {
  config: BenchConfig;
  /** A runner id, as in BenchNote. */
  runner: string;
  role: Role;
  command: string;
  args: string[];
  /** The row's runner when the child's report names none. */
  label?: string;
  /** Which of a runner's runs this is, for the progress lines. */
  detail?: string;
}

/** Runs every configuration of `settings` on ours and on the peers. */
export async function runBench(
  settings: BenchSettings,
  callbacks: BenchCallbacks = {},
): Promise<BenchResult> {
  const loadAverage = os.loadavg()[0];
  const rows: BenchRow[] = [];
  const notes: BenchNote[] = [];
  const progress = (event: BenchEvent) => callbacks.onProgress?.(event);
  const run = (job: Job) => runJob(job, settings.maxSeconds, notes, progress);

  const missing = await peersMissing(settings);
  for (const [runner, why] of missing) {
    const text = `skipped: ${why}`;
    notes.push({ runner, config: null, kind: 'skipped', text });
  }
  const { trainCommand } = settings;
  if (trainCommand !== undefined && settings.configs.includes('softmax')) {
    const row = await run({
      config: 'softmax',
      runner: 'mnistlab train',
      role: 'command',
      ...trainCommand,
      label: 'mnistlab train (whole command)',
    });
    if (row) rows.push(row);
  }
  for (const config of settings.configs) {
    const ours = await run(childJob('mnistlab', config, settings));
    if (ours) rows.push(ours);
    for (const peer of settings.peers) {
      if (missing.has(peer)) continue;
      const row =
        peer === 'pytorch'
          ? await runPytorch(config, settings, notes, run)
          : await run(childJob(peer, config, settings));
      if (row) rows.push(row);
    }
  }
  const cpus = os.cpus();
  return {
    rows: withRatios(rows),
    notes,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      node: process.version,
      loadAverage,
    },
    maxSeconds: settings.maxSeconds,
  };
}

/** Why each asked-for peer cannot run here, by peer; absent ones can. */
export async function peersMissing(
  settings: Pick<
    BenchSettings,
    'peers' | 'python' | 'pytorchScript' | 'dataDir'
  >,
): Promise<Map<PeerName, string>> {
  const missing = new Map<PeerName, string>();
  for (const peer of settings.peers) {
    const why =
      peer === 'pytorch'
        ? await pytorchMissing(
            settings.python,
            settings.pytorchScript,
            settings.dataDir,
          )
        : tfjsMissing(peer === 'tfjs-wasm' ? 'wasm' : 'cpu');
    if (why !== null) missing.set(peer, why);
  }
  return missing;
}

function childJob(
  runner: ChildRunner,
  config: BenchConfig,
  settings: BenchSettings,
): Job {
  const args = [CHILD_SCRIPT, runner, config, '--data', settings.dataDir];
  if (runner === 'mnistlab' && settings.threads !== undefined) {
    args.push('--threads', String(settings.threads));
  }
  return {
    config,
    runner,
    role: runner === 'mnistlab' ? 'ours' : 'peer',
    command: process.execPath,
    args,
  };
}

/** The peer on each of PYTORCH_THREADS; the faster run is the row. */
async function runPytorch(
  config: BenchConfig,
  settings: BenchSettings,
  notes: BenchNote[],
  run: (job: Job) => Promise<BenchRow | null>,
): Promise<BenchRow | null> {
  const tried: BenchRow[] = [];
  for (const threads of PYTORCH_THREADS) {
    const row = await run({
      config,
      runner: 'pytorch',
      role: 'peer',
      command: settings.python,
      args: [settings.pytorchScript, settings.dataDir, config, `${threads}`],
      detail: threadCount(threads),
    });
    if (row) tried.push(row);
  }
  if (tried.length === 0) return null;
  const fastest = tried.reduce((a, b) =>
    b.trainSeconds < a.trainSeconds ? b : a,
  );
  if (tried.length > 1) {
    const times = tried.map((row) => `${row.trainSeconds.toFixed(2)} s`);
    notes.push({
      runner: 'pytorch',
      config,
      kind: 'info',
      text:
        `trained in ${times.join(' and ')} on ` +
        `${PYTORCH_THREADS.join(' and ')} threads; the table keeps the ` +
        `${fastest.threads}-thread run`,
    });
  }
  return fastest;
}

/** Runs `job` (or skips it) and makes its row, or a note of why none. */
async function runJob(
  job: Job,
  maxSeconds: number,
  notes: BenchNote[],
  progress: (event: BenchEvent) => void,
): Promise<BenchRow | null> {
  const { config, runner, detail } = job;
  const end = (kind: BenchNote['kind'], text: string, seconds: number) => {
    notes.push({ runner, config, kind, text });
    progress({ config, runner, state: kind, seconds, detail });
    return null;
  };
  const expected = expectedSeconds(runner, config);
  if (expected !== undefined && expected > maxSeconds) {
    return end(
      'skipped',
      `skipped: expected to take about ${expected} s, over the limit of ` +
        `${maxSeconds} s per run`,
      0,
    );
  }

  progress({ config, runner, state: 'started', seconds: 0, detail });
  const outcome = await runChild(job.command, job.args, maxSeconds);
  const seconds = outcome.wallSeconds;
  if (outcome.status !== 'exited' || outcome.code !== 0) {
    const kind = outcome.status === 'timed out' ? 'timed out' : 'failed';
    return end(kind, failureOf(outcome), seconds);
  }
  let report: Record<string, unknown>;
  try {
    report = jsonReport(outcome.stdout, ['trainSeconds', 'testAccuracy']);
  } catch (error) {
    return end('failed', `failed: ${(error as Error).message}`, seconds);
  }

  const optional = (name: string) =>
    typeof report[name] === 'number' ? (report[name] as number) : null;
  const row: BenchRow = {
    config,
    runner: job.label ?? runnerLabel(report),
    role: job.role,
    trainSeconds: report.trainSeconds as number,
    testAccuracy: report.testAccuracy as number,
    inferSeconds: optional('inferSeconds'),
    peakRssMb: optional('peakRssMb'),
    wallSeconds: seconds,
    threads: optional('threads'),
    oursPerPeer: null,
  };
  progress({ config, runner, state: 'done', seconds, detail });
  return row;
}

/**
 * `mnistlab 0.1.0, 2 threads`, `tfjs 4.22.0 wasm`, `pytorch 1.13.0, 1
 * thread`: the runner a report names, with the threads it says it used.
 */
function runnerLabel(report: Record<string, unknown>): string {
  // The PyTorch peer says `peer: "pytorch-VERSION"` instead of a runner.
  const name =
    typeof report.runner === 'string'
      ? report.runner
      : String(report.peer ?? 'peer').replace('-', ' ');
  const threads = report.threads;
  return typeof threads === 'number'
    ? `${name}, ${threadCount(threads)}`
    : name;
}

/** "1 thread", "2 threads". */
function threadCount(threads: number): string {
  return `${threads} thread${threads === 1 ? '' : 's'}`;
}

/**
 * `rows` with each peer's oursPerPeer: our train seconds on the same
 * configuration over the peer's, so 2 reads "we take twice as long".
 */
export function withRatios(rows: readonly BenchRow[]): BenchRow[] {
  return rows.map((row) => {
    const ours = rows.find((r) => r.role === 'ours' && r.config === row.config);
    const ratio =
      row.role === 'peer' && ours !== undefined && row.trainSeconds > 0
        ? ours.trainSeconds / row.trainSeconds
        : null;
    return { ...row, oursPerPeer: ratio };
  });
}
