// A per-epoch progress bar on standard error, drawn only when standard
// error is a terminal, so pipes and log files get results alone. It leaves
// the cursor and line wrapping alone: Ctrl-C can then end the process
// at any point without leaving the terminal in a changed state.

import cliProgress from 'cli-progress';

import type { StepReport } from '../train/lab.js';

export interface EpochProgress {
  step(report: StepReport): void;
  /** Clears the bar; call before printing the epoch's line, and on errors. */
  endEpoch(): void;
}

const SILENT: EpochProgress = { step() {}, endEpoch() {} };

export function epochProgress(
  stream: NodeJS.WriteStream = process.stderr,
): EpochProgress {
  if (!stream.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'Epoch {epoch} [{bar}] {value}/{total} steps | loss {loss}',
      hideCursor: false,
      // true: cut the bar to the terminal's width rather than turn
      // wrapping off.
      linewrap: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    step({ epoch, step, stepsPerEpoch, loss }) {
      const payload = {
        epoch: String(epoch).padStart(4, '0'),
        loss: loss.toFixed(4),
      };
      if (!running) {
        bar.start(stepsPerEpoch, step, payload);
        running = true;
      } else {
        bar.update(step, payload);
      }
    },
    endEpoch() {
      if (running) bar.stop();
      running = false;
    },
  };
}
