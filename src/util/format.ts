// Formats shared by the command line, the examples and error messages.

/**
 * The shortest decimal that reads back as the same float32, as NumPy
 * prints a float32 scalar: 0.8951, not 0.8950999975204468.
 */
export function float32ToString(value: number): string {
  const single = Math.fround(value);
  if (!Number.isFinite(single)) return String(single);
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(single.toPrecision(digits)));
    if (Math.fround(Number(text)) === single) return text;
  }
  return String(Number(single.toPrecision(9)));
}

/** What a value is, for an error message: its class name, or its type. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor?.name ?? 'an object';
}
