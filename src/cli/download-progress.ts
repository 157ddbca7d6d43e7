// Progress of `mnistlab fetch` on standard error: a bar for the file coming
// in when standard error is a terminal, else a line at each quarter of it;
// fetchMnist's events as lines either way, except "done", which is a result.

import cliProgress from 'cli-progress';

import type { FetchEvent, FetchProgress } from '../data/fetch.js';

export interface DownloadProgress {
  progress(report: FetchProgress): void;
  event(event: FetchEvent): void;
  /** Clears the bar; call before printing results, and on errors. */
  stop(): void;
}

// Without a stated total, a plain line each time this many more arrive.
const UNSIZED_STEP = 4 << 20;

export function downloadProgress(
  stream: NodeJS.WriteStream = process.stderr,
): DownloadProgress {
  return stream.isTTY ? barProgress(stream) : lineProgress(stream);
}

function lineProgress(stream: NodeJS.WriteStream): DownloadProgress {
  let name = '';
  let mark = -1;
  return {
    progress(report) {
      const { total } = report;
      const step = total === null ? UNSIZED_STEP : total / 4;
      const reached = Math.floor(report.bytes / step);
      // A retry starts the count again.
      if (report.name !== name || reached < mark) mark = 0;
      name = report.name;
      if (reached <= mark) return;
      mark = reached;
      const line =
        total === null
          ? `${name}: ${bytes(report.bytes)} bytes`
          : `${name}: ${bytes(report.bytes)} of ${bytes(total)} bytes ` +
            `(${percent(report.bytes, total)})`;
      stream.write(`${line}\n`);
    },
    event(event) {
      if (event.kind !== 'done') stream.write(`${event.message}\n`);
    },
    stop() {},
  };
}

function barProgress(stream: NodeJS.WriteStream): DownloadProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      // Under 80 columns for MNIST's names and sizes.
      format: '{name} [{bar}] {share} | {received} bytes',
      barsize: 20,
      hideCursor: false,
      // As in progress.ts: cut the bar to the terminal's width.
      linewrap: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let running: string | null = null;
  const stop = () => {
    if (running !== null) bar.stop();
    running = null;
  };
  return {
    progress({ name, bytes: received, total }) {
      const payload = {
        name,
        share: total === null ? '   ?' : percent(received, total).padStart(4),
        received: bytes(received),
      };
      // Unsized, the bar stays empty and the count moves.
      const value = total === null ? 0 : received;
      if (running !== name) {
        stop();
        bar.start(total ?? 1, value, payload);
        running = name;
      } else {
        bar.update(value, payload);
      }
    },
    event(event) {
      if (event.kind === 'done') return;
      stop();
      stream.write(`${event.message}\n`);
    },
    stop,
  };
}

function bytes(count: number): string {
  return count.toLocaleString('en-US');
}

function percent(part: number, whole: number): string {
  const share = whole === 0 ? 100 : (100 * part) / whole;
  return `${share.toFixed(0)}%`;
}
