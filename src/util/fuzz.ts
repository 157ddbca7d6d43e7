// Fuzzing for the readers' fuzz tests: seeded mutations of small valid
// files, and a runner that accepts only a result or a UserError, within a
// time and a memory budget. Not a coverage-guided fuzzer: the cases are
// drawn blind, so that every one is reproduced by its seed and number.
//
// Memory is measured two ways around each call, without forcing a garbage
// collection (which would cost more than the call). The growth of the
// heap in use plus ArrayBuffer memory (Buffers and typed arrays) counts
// what the call allocated and still holds or has not yet had collected;
// it may not pass the budget: 64 bytes per byte of the file, and of a
// result (for what is made of it), 3 per byte a compressed file holds and
// its header declares, and 8 MiB. The growth of the process's peak
// resident size counts what was written to and freed again within the
// call; it may pass the budget by 32 MiB more, which a collection can
// take in fresh pages for the young generation. Memory allocated but
// never touched, and freed within the call, is not seen.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { UserError } from './errors.js';
import { Random } from './random.js';

/** The seed of every fuzz test; FUZZ_SEED=n explores another. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 7);
/** Cases run per test, as a multiple of its own count; FUZZ_SCALE=n. */
export const FUZZ_SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** FUZZ_CASE=n runs case n alone, to rerun a finding. */
const FUZZ_CASE =
  process.env.FUZZ_CASE === undefined ? null : Number(process.env.FUZZ_CASE);

/** The numbers of a test's `count` cases, or FUZZ_CASE's alone. */
export function caseNumbers(count: number): number[] {
  if (FUZZ_CASE !== null) return [FUZZ_CASE];
  return Array.from({ length: count * FUZZ_SCALE }, (_, i) => i);
}

/**
 * Checks that enough of a run's cases gave results and refusals (shares
 * of its cases) for it to mean something; not for one case alone.
 */
export function assertSpread(
  summary: FuzzSummary,
  results: number,
  refusals: number,
): void {
  if (FUZZ_CASE !== null) return;
  const { cases } = summary;
  if (
    summary.results < results * cases ||
    summary.refusals < refusals * cases
  ) {
    throw new Error(
      `fuzz: expected at least ${results * cases} results and ` +
        `${refusals * cases} refusals of ${cases} cases but found ` +
        `${summary.results} and ${summary.refusals}`,
    );
  }
}

/** Bytes a case may allocate per byte of its file(s), and beyond that. */
export const BYTES_PER_FILE_BYTE = 64;
export const FIXED_BYTES = 8 << 20;
// What a collection may add to the peak resident size by itself.
const COLLECTION_BYTES = 32 << 20;
/** A call slower than this is a finding, if it ends at all. */
export const SLOW_MS = 1000;
// A call that has not ended after this long is reported, and the test
// process killed: a hang would otherwise stall the whole suite.
const HANG_MS = 20_000;

/** Values a 32-bit header field is set to: edges, and negatives as int32. */
export const EXTREMES = [
  0,
  1,
  2,
  255,
  65535,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 2,
  2 ** 32 - 1,
];

/** A file's bytes after some mutations, and what they were. */
export interface Mutant {
  bytes: Uint8Array;
  mutation: string;
}

/**
 * A fresh folder for a run's files, in memory (/dev/shm) where there is
 * one: a run writes thousands, and a disk makes that the slowest part.
 */
export function makeFuzzDir(): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(base, 'mnistlab-fuzz-'));
}

/** The generator of case `index`: any case runs alone from its number. */
export function caseRandom(index: number, purpose = 0): Random {
  return Random.stream(FUZZ_SEED + purpose, index);
}

/** One of `items`, drawn by `random`. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(items.length)];
}

/**
 * `bytes` with 1 to 3 byte-level mutations: truncation, bit flips, random
 * bytes, insertions, deletions, a 32-bit field (big- or little-endian) set
 * to an extreme. `fields` are offsets of the format's own 32-bit fields,
 * hit more often than random offsets.
 */
export function mutateBytes(
  bytes: Uint8Array,
  random: Random,
  fields: readonly number[] = [],
): Mutant {
  let out: Uint8Array = Uint8Array.from(bytes);
  const steps: string[] = [];
  const count = 1 + random.int(3);
  for (let m = 0; m < count; m++) {
    const at = () => random.int(Math.max(out.length, 1));
    const choice = random.int(fields.length > 0 ? 8 : 7);
    if (choice === 0) {
      const end = random.int(out.length + 1);
      steps.push(`truncate to ${end} of ${out.length}`);
      out = out.slice(0, end);
    } else if (choice === 1 && out.length > 0) {
      const i = at();
      const bit = 1 << random.int(8);
      steps.push(`flip bit ${bit} of byte ${i}`);
      out[i] ^= bit;
    } else if (choice === 2 && out.length > 0) {
      const i = at();
      const value = pick(random, [0, 0xff, 0x80, 0x7f, random.int(256)]);
      steps.push(`set byte ${i} to ${value}`);
      out[i] = value;
    } else if (choice === 3) {
      const i = random.int(out.length + 1);
      const extra = randomBytes(random, 1 + random.int(16));
      steps.push(`insert ${extra.length} bytes at ${i}`);
      out = concat(out.subarray(0, i), extra, out.subarray(i));
    } else if (choice === 4 && out.length > 0) {
      const i = at();
      const n = 1 + random.int(Math.min(16, out.length - i));
      steps.push(`delete ${n} bytes at ${i}`);
      out = concat(out.subarray(0, i), out.subarray(i + n));
    } else if (choice === 5 && out.length > 0) {
      const i = at();
      const n = 1 + random.int(Math.min(64, out.length - i));
      steps.push(`repeat ${n} bytes at ${i}`);
      out = concat(out.subarray(0, i + n), out.subarray(i));
    } else if (choice === 6 || choice === 7) {
      const i = choice === 7 ? pick(random, fields) : at();
      const value = pick(random, EXTREMES);
      const littleEndian = choice === 6 && random.int(2) === 1;
      steps.push(`set uint32${littleEndian ? 'le' : 'be'} at ${i} to ${value}`);
      out = setUint32(out, i, value, littleEndian);
    } else {
      m--;
    }
  }
  return { bytes: out, mutation: steps.join('; ') };
}

/** `n` bytes drawn by `random`. */
export function randomBytes(random: Random, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => random.int(256));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `bytes` with a uint32 written at `offset`, grown if it ends there. */
export function setUint32(
  bytes: Uint8Array,
  offset: number,
  value: number,
  littleEndian = false,
): Uint8Array {
  const out = new Uint8Array(Math.max(bytes.length, offset + 4));
  out.set(bytes);
  new DataView(out.buffer).setUint32(offset, value, littleEndian);
  return out;
}

/** What each case of a run ended in, for the test's report. */
export interface FuzzSummary {
  cases: number;
  results: number;
  refusals: number;
  slowestMs: number;
  slowest: string;
  findings: string[];
}

/**
 * Runs fuzz cases one by one, each a reader's call on a case's file(s),
 * and keeps what each ended in.
 */
export class FuzzRunner {
  private readonly summary: FuzzSummary = {
    cases: 0,
    results: 0,
    refusals: 0,
    slowestMs: 0,
    slowest: '',
    findings: [],
  };
  private readonly watchdog: Watchdog;

  constructor(readonly name: string) {
    this.watchdog = new Watchdog(name);
  }

  /**
   * Runs `read` on a case's `fileBytes` bytes of files. It returns for a
   * result, after checking it is whole, the result's size in bytes (which
   * the budget allows for 64 times over, for what is made of it); or it
   * throws. `heldBytes` is what a compressed file really holds and its
   * header declares, which a reader may inflate (allowed for 3 times
   * over, for the copies zlib makes).
   */
  check(
    label: string,
    fileBytes: number,
    read: () => number | void,
    heldBytes = 0,
  ): void {
    const summary = this.summary;
    summary.cases++;
    this.watchdog.enter(label);
    const before = process.memoryUsage();
    const peakBefore = process.resourceUsage().maxRSS;
    const start = performance.now();
    let failure: string | null = null;
    let resultBytes = 0;
    try {
      resultBytes = read() ?? 0;
      summary.results++;
    } catch (error) {
      if (error instanceof UserError) summary.refusals++;
      else failure = describeError(error);
    }
    const elapsedMs = performance.now() - start;
    const after = process.memoryUsage();
    const peakAfter = process.resourceUsage().maxRSS;
    this.watchdog.leave();

    const budget =
      BYTES_PER_FILE_BYTE * (fileBytes + resultBytes) +
      3 * heldBytes +
      FIXED_BYTES;
    const held =
      after.heapUsed +
      after.arrayBuffers -
      (before.heapUsed + before.arrayBuffers);
    // maxRSS is in kilobytes.
    const peak = (peakAfter - peakBefore) * 1024;
    const problems: string[] = [];
    if (failure !== null) problems.push(failure);
    if (held > budget || peak > budget + COLLECTION_BYTES) {
      problems.push(
        `allocated ${mib(Math.max(held, peak))} for ${fileBytes} bytes of ` +
          `file (budget ${mib(budget)}; held ${mib(held)}, peak ${mib(peak)})`,
      );
    }
    if (elapsedMs > SLOW_MS) {
      problems.push(`took ${Math.round(elapsedMs)} ms`);
    }
    if (elapsedMs > summary.slowestMs) {
      summary.slowestMs = elapsedMs;
      summary.slowest = label;
    }
    if (problems.length > 0) {
      summary.findings.push(`${label}: ${problems.join('; ')}`);
    }
  }

  /** Stops the watchdog and returns what the cases ended in. */
  finish(): FuzzSummary {
    this.watchdog.stop();
    return this.summary;
  }
}

/** One line for the test's output: what the cases ended in. */
export function summaryLine(summary: FuzzSummary): string {
  const { cases, results, refusals, findings, slowestMs, slowest } = summary;
  return (
    `${cases} cases: ${results} results, ${refusals} UserErrors, ` +
    `${findings.length} findings; slowest ${slowestMs.toFixed(1)} ms ` +
    `(${slowest.slice(0, 100)})`
  );
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `threw ${String(error)}`;
  // Where it was thrown, so that a finding can be read without a rerun.
  const frame = error.stack
    ?.split('\n')
    .find((line) => line.trimStart().startsWith('at '))
    ?.trim();
  const where = frame === undefined ? '' : ` (${frame})`;
  return `${error.name}: ${error.message.slice(0, 300)}${where}`;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * A thread that notices a case that never ends: it reads the case's label
 * from shared memory, writes it to standard error itself (the main thread
 * is stuck) and kills the process.
 */
class Watchdog {
  // In a case or not, cases entered, and whether the thread has started.
  private readonly state = new Int32Array(new SharedArrayBuffer(12));
  private readonly label = new Uint8Array(new SharedArrayBuffer(1024));
  private readonly worker: Worker;

  constructor(name: string) {
    const code = `
      const { workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const { state, label, name, hangMs } = workerData;
      let seen = -1;
      let since = Date.now();
      Atomics.store(state, 2, 1);
      Atomics.notify(state, 2);
      setInterval(() => {
        const now = Date.now();
        if (Atomics.load(state, 1) !== seen || Atomics.load(state, 0) === 0) {
          seen = Atomics.load(state, 1);
          since = now;
          return;
        }
        if (now - since < hangMs) return;
        const end = label.indexOf(0);
        const text = Buffer.from(label.subarray(0, end)).toString();
        fs.writeSync(2, name + ': case hangs (over ' + hangMs + ' ms): ' +
          text + '\\n');
        process.kill(process.pid, 'SIGKILL');
      }, 250);
    `;
    this.worker = new Worker(code, {
      eval: true,
      workerData: {
        state: this.state,
        label: this.label,
        name,
        hangMs: HANG_MS,
      },
    });
    this.worker.unref();
    // A thread starting takes memory; none of it may fall in a case.
    Atomics.wait(this.state, 2, 0, 10_000);
  }

  enter(label: string): void {
    const bytes = Buffer.from(label).subarray(0, this.label.length - 1);
    this.label.fill(0);
    this.label.set(bytes);
    Atomics.add(this.state, 1, 1);
    Atomics.store(this.state, 0, 1);
  }

  leave(): void {
    Atomics.store(this.state, 0, 0);
  }

  stop(): void {
    void this.worker.terminate();
  }
}
