// Runs one child process under a time limit and reads the JSON line it
// ends its output with. A child over its limit is killed, not waited for.

import { spawn } from 'node:child_process';

/** How a child process ended; wallSeconds from spawn to exit. */
export type ChildOutcome =
  | {
      status: 'exited';
      code: number;
      stdout: string;
      stderr: string;
      wallSeconds: number;
    }
  | { status: 'timed out'; wallSeconds: number }
  | { status: 'not started'; message: string; wallSeconds: number };

/** Runs `command args`, killing it after `limitSeconds`. */
export function runChild(
  command: string,
  args: string[],
  limitSeconds: number,
): Promise<ChildOutcome> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitSeconds * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({
        status: 'not started',
        message: error.message,
        wallSeconds: elapsed(),
      });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallSeconds = elapsed();
      if (timedOut) resolve({ status: 'timed out', wallSeconds });
      // A null code means a signal from outside: as good as a failure.
      else
        resolve({
          status: 'exited',
          code: code ?? 1,
          stdout,
          stderr,
          wallSeconds,
        });
    });
  });
}

/** The last non-empty line of `text`, or ''. */
export function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.length === 0 ? '' : lines[lines.length - 1].trim();
}

/**
 * Why a child did not succeed, in one line starting `timed out` or
 * `failed`: with its last line on standard error when it left one.
 */
export function failureOf(outcome: ChildOutcome): string {
  switch (outcome.status) {
    case 'timed out':
      return `timed out after ${Math.round(outcome.wallSeconds)} s`;
    case 'not started':
      return `failed to start: ${outcome.message}`;
    case 'exited': {
      const said = lastLine(outcome.stderr);
      return `failed (exit code ${outcome.code})` + (said ? `: ${said}` : '');
    }
  }
}

/**
 * The JSON object on the last line of `stdout`, with `numbers` checked to
 * be finite numbers; throws saying what was found instead.
 */
export function jsonReport(
  stdout: string,
  numbers: readonly string[],
): Record<string, unknown> {
  const line = lastLine(stdout);
  let report: unknown;
  try {
    report = JSON.parse(line);
  } catch {
    report = undefined;
  }
  if (typeof report !== 'object' || report === null) {
    throw new Error(
      `expected a JSON object as the last line of output but found ` +
        `'${line.slice(0, 80)}'`,
    );
  }
  const fields = report as Record<string, unknown>;
  for (const name of numbers) {
    if (typeof fields[name] !== 'number' || !Number.isFinite(fields[name])) {
      throw new Error(
        `expected ${name} as a number in '${line.slice(0, 80)}' but found ` +
          JSON.stringify(fields[name] ?? null),
      );
    }
  }
  return fields;
}
