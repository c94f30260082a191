// The inputs the Vite app computes on, shared with the Node side of the test.

/** A 60×200 by 200×72 product, with a bias and GELU. */
export function matmulCase() {
  const m = 60, k = 200, n = 72;
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.7));
  const b = Float32Array.from({ length: n * k }, (_, i) => Math.cos(i * 0.13));
  const bias = Float32Array.from({ length: n }, (_, i) => i / n - 0.5);
  return { a, b, shape: { m, k, n, transB: true, bias, activation: 'gelu' } };
}

/** 30,000 tokens of 200 words, frequent words first (a fixed generator, no Math.random). */
export function corpus() {
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const lines = [];
  for (let l = 0; l < 1000; l++) {
    lines.push(Array.from({ length: 30 }, () => `w${Math.floor(200 * next() ** 3)}`).join(' '));
  }
  return lines.join('\n');
}

export const word2vecOptions = { dim: 20, epochs: 2, minCount: 2, seed: 3, threads: 1 };
