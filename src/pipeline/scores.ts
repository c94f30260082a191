// The small numeric pieces every task head shares: softmax and argmax (transformer/scores.ts)
// and sigmoid as numpy and torch compute them, and the checks that turn a malformed logits
// array into an Error that names it. Scores are computed in float64 from the model's float32
// logits; Hugging Face computes them in float32, so the two agree to about 1e-7.

export { argmax, softmax } from '../transformer/scores';

/** 1 / (1 + exp(-x)), as text_classification.py's sigmoid. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
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
