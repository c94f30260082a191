// The small numeric pieces every task head shares: softmax and sigmoid as numpy and torch
// compute them, numpy's argmax, and the checks that turn a malformed logits array into an Error
// that names it. Scores are computed in float64 from the model's float32 logits; Hugging Face
// computes them in float32, so the two agree to about 1e-7.

/** Softmax of `row[from, from + n)`, max-subtracted as numpy and torch do (so large logits do not overflow). */
export function softmax(row: ArrayLike<number>, from = 0, n = row.length - from): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, row[from + i]!);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = Math.exp(row[from + i]! - max);
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}

/** 1 / (1 + exp(-x)), as text_classification.py's sigmoid. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Index of the largest value, the first one on ties (numpy's argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Throws unless `values` holds `length` finite numbers; `name` and `shape` ("T × labels") are what the message calls them. */
export function checkLogits(name: string, values: ArrayLike<number> | undefined, length: number, shape: string): void {
  if (values === undefined || values === null || typeof values.length !== 'number') {
    throw new Error(`${name} must be an array of ${shape} numbers, got ${values === null ? 'null' : typeof values}`);
  }
  if (values.length !== length) throw new Error(`${name} has ${values.length} values, expected ${length} (${shape})`);
  for (let i = 0; i < length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${name}[${i}] is ${String(values[i])}: logits must be finite`);
  }
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

/** Throws unless id2label is a non-empty list of strings. */
export function checkLabels(id2label: readonly string[] | undefined): asserts id2label is readonly string[] {
  if (!Array.isArray(id2label) || id2label.length === 0) throw new Error('id2label must list at least one label name');
  id2label.forEach((l, i) => {
    if (typeof l !== 'string') throw new Error(`id2label[${i}] must be a string, got ${typeof l}`);
  });
}

/** Array.isArray without its narrowing (which turns a readonly T[] into any[]). */
export function isList(x: unknown): boolean {
  return Array.isArray(x);
}
