// Parsers for flag values: each returns the value or throws commander's
// InvalidArgumentError, which the CLI reports with exit code 2.

import { InvalidArgumentError } from 'commander';

function parsedNumber(text: string): number {
  // Number('') is 0 and Number(' 1') is 1: accept only plain numerals.
  const trimmed = text.trim();
  if (trimmed === '' || trimmed !== text) return NaN;
  return Number(text);
}

/** An integer >= 1. */
export function positiveInt(text: string): number {
  const value = parsedNumber(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('Expected a positive integer.');
  }
  return value;
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
  const value = parsedNumber(text);
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
