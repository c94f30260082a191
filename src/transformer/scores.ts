// Softmax and argmax of score rows on the JavaScript side (classification heads, the pipelines'
// scores, greedy search and sampling), one of each: float64, as numpy and torch compute them.

/** Softmax of row[from, from + n) into out (n floats), max-subtracted so large logits do not overflow; a −∞ score gets 0. */
export function softmax(row: ArrayLike<number>, from = 0, n = row.length - from, out = new Float64Array(n)): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (row[from + i]! > max) max = row[from + i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = row[from + i]!;
    sum += out[i] = x === -Infinity ? 0 : Math.exp(x - max);
  }
  for (let i = 0; i < n; i++) out[i] = out[i]! / sum;
  return out;
}

/** Index of the largest value, the first of equal ones (numpy's and torch's argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}
