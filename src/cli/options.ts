// Parsers for flag values: each returns the value or throws commander's
// InvalidArgumentError, which the CLI reports with exit code 2.

import { InvalidArgumentError } from 'commander';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';

import { UserError } from '../util/errors.js';

// Plain decimals: Number() would also take '', ' 1', '0x10' and '1e3'.
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function parsedNumber(text: string, integer = true): number {
  return (integer ? INTEGER : DECIMAL).test(text) ? Number(text) : NaN;
}

/** An integer >= 1. */
export function positiveInt(text: string): number {
  const value = parsedNumber(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('Expected a positive integer.');
  }
  return value;
}

/** A parser of integers from 1 to `max`; `why` explains the limit. */
export function positiveIntUpTo(max: number, why: string) {
  return (text: string): number => {
    const value = positiveInt(text);
    if (value > max) {
      throw new InvalidArgumentError(`Expected at most ${max} (${why}).`);
    }
    return value;
  };
}

/** An integer >= 0. */
export function nonNegativeInt(text: string): number {
  const value = parsedNumber(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('Expected an integer of 0 or more.');
  }
  return value;
}

/** A finite number > 0. */
export function positiveNumber(text: string): number {
  const value = parsedNumber(text, false);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('Expected a positive number.');
  }
  return value;
}

/** A seed: an integer in 0 .. 2^32 - 1. */
export function seed(text: string): number {
  const value = parsedNumber(text);
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError('Expected an integer from 0 to 4294967295.');
  }
  return value;
}

/** An http or https URL. */
export function httpUrl(text: string): string {
  let protocol: string;
  try {
    protocol = new URL(text).protocol;
  } catch {
    throw new InvalidArgumentError('Expected an http or https URL.');
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InvalidArgumentError(
      `Expected an http or https URL but found ${protocol.slice(0, -1)}.`,
    );
  }
  return text;
}

/** A dropout rate in [0, 1). */
export function dropoutRate(text: string): number {
  const value = parsedNumber(text, false);
  if (!(value >= 0 && value < 1)) {
    throw new InvalidArgumentError(
      'Expected a rate from 0 up to (not including) 1.',
    );
  }
  return value;
}

/**
 * A parser of comma-separated lists of `choices`, repeats dropped; with
 * `none`, the word none is the empty list.
 */
export function choiceList<T extends string>(
  choices: readonly T[],
  { none = false } = {},
) {
  return (text: string): T[] => {
    if (none && text === 'none') return [];
    const items = text.split(',').map((item) => item.trim());
    const bad = items.find((item) => !choices.includes(item as T));
    if (bad !== undefined) {
      const allowed = choices.join(', ') + (none ? ' (or none)' : '');
      throw new InvalidArgumentError(
        `Expected a comma-separated list of ${allowed} but found '${bad}'.`,
      );
    }
    return [...new Set(items as T[])];
  };
}

/**
 * Fails before any work when `flag`'s folder `dir` cannot be written: it
 * must be a writable folder, or a path whose nearest existing ancestor is
 * one (the folders on the way are made).
 */
export function checkOutputFolder(flag: string, dir: string): void {
  const fail = (found: string): never => {
    throw new UserError(
      `${flag} ${dir === '' ? "''" : dir}: expected a folder to write in ` +
        `but found ${found}`,
    );
  };
  if (dir.trim() === '') fail('an empty path');
  let at = path.resolve(dir);
  if (existsSync(at) && !statSync(at).isDirectory()) fail('a file');
  while (!existsSync(at)) at = path.dirname(at);
  if (!statSync(at).isDirectory()) fail(`a file, ${at}, in its path`);
  try {
    accessSync(at, constants.W_OK);
  } catch {
    fail(`${at} not writable`);
  }
}
