// Small numeric helpers of the benchmarks, with no Node import, so a browser page loads them too.

/** Deterministic inputs in [-0.5, 0.5]. */
export function fill(n, seed) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(seed + i * 0.7) * 0.5;
  return a;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Cosine of a and b row by row (rows of `width` values): the worst (smallest) and the mean. The
 * q8 engines are checked with it (their outputs differ from torch's by more than 1e-4 by design).
 */
export function rowCosines(a, b, width) {
  if (a.length !== b.length) throw new Error(`outputs differ in length: ${a.length} and ${b.length}`);
  let worst = 1, sum = 0, rows = 0;
  for (let r = 0; r + width <= a.length; r += width) {
    let ab = 0, aa = 0, bb = 0;
    for (let i = r; i < r + width; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    const c = ab / Math.sqrt(aa * bb);
    worst = Math.min(worst, c);
    sum += c;
    rows++;
  }
  return { worst, mean: sum / rows };
}
