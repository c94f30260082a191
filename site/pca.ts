// A 2-D PCA of word vectors for the scatter plot: the two leading eigenvectors of the
// covariance, found by power iteration (C·v computed as Xᵀ(X·v), never forming C), the second
// after deflating the first. n = rows (words), d = columns (vector size).

/** Each row of `x` (n × d, row-major) projected on its first two principal axes: [x0, y0, x1, y1, …]. */
export function pca2(x: Float32Array, n: number, d: number, iterations = 100): Float32Array {
  const centered = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * d + j]!;
    mean /= n;
    for (let i = 0; i < n; i++) centered[i * d + j] = x[i * d + j]! - mean;
  }
  const first = leadingAxis(centered, n, d, [], iterations);
  const second = leadingAxis(centered, n, d, [first], iterations);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = dotRow(centered, i, d, first);
    out[2 * i + 1] = dotRow(centered, i, d, second);
  }
  return out;
}

/** The unit vector v maximising |X·v|, orthogonal to every axis in `found`. */
function leadingAxis(x: Float64Array, n: number, d: number, found: Float64Array[], iterations: number): Float64Array {
  // A fixed, uneven start: no symmetry to get stuck on, and the same plot every time.
  let v = Float64Array.from({ length: d }, (_, j) => 1 + ((j * 7919) % 13) / 13);
  for (let it = 0; it < iterations; it++) {
    const xv = Float64Array.from({ length: n }, (_, i) => dotRow(x, i, d, v));
    const next = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) next[j]! += x[i * d + j]! * xv[i]!;
    for (const axis of found) subtractProjection(next, axis);
    const norm = Math.hypot(...next);
    if (norm === 0) break;
    v = next.map((a) => a / norm);
  }
  return v;
}

function dotRow(x: Float64Array, i: number, d: number, v: Float64Array): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += x[i * d + j]! * v[j]!;
  return s;
}

function subtractProjection(v: Float64Array, axis: Float64Array): void {
  let p = 0;
  for (let j = 0; j < v.length; j++) p += v[j]! * axis[j]!;
  for (let j = 0; j < v.length; j++) v[j]! -= p * axis[j]!;
}
