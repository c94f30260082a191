// The browser build in Debian's Chromium: the worker pool on Web Workers when the page is
// cross-origin isolated (2 threads, bitwise equal to 1, equal to the JS twins within bounds),
// and the fallback to 1 thread, with the reason, when it is not. The q8 kernels run either form
// of the relaxed integer dot here (Node 20 only the split one), checked against the twin to the bit.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { browserAvailable, launchChromium, pageResult } from './chromium';
import { DIST, serve } from './server';

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { init, jsKernels } from '/dist/index.browser.js';
try {
  const rt = await init({ threads: 2 });
  const rt1 = await init({ threads: 1 });
  const m = 96, k = 300, n = 264;
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.3));
  const got = rt.kernels.matmul(a, b, { m, k, n, transB: true, activation: 'gelu' });
  const one = rt1.kernels.matmul(a, b, { m, k, n, transB: true, activation: 'gelu' });
  const want = jsKernels.matmul(a, b, { m, k, n, transB: true, activation: 'gelu' });
  const q = Float32Array.from({ length: 2 * 40 * 256 }, (_, i) => Math.sin(i * 0.11));
  const att = { batch: 2, heads: 4, tq: 40, dHead: 64, causal: true };
  const attGot = rt.kernels.attention(q, q, q, att), attOne = rt1.kernels.attention(q, q, q, att);
  const attWant = jsKernels.attention(q, q, q, att);
  let maxDiff = 0, bitwise = true;
  for (let i = 0; i < got.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i])); bitwise &&= got[i] === one[i]; }
  for (let i = 0; i < attGot.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(attGot[i] - attWant[i])); bitwise &&= attGot[i] === attOne[i]; }
  // q8, with each form of the integer dot (init times them for 'auto'): GEMM and GEMV equal to
  // the twin and across threads, to the bit.
  let q8Twin = true;
  const fused = await init({ threads: 1, integerDot: 'fused' }), split = await init({ threads: 1, integerDot: 'split' });
  for (const [qm, qk, qn] of [[96, 300, 264], [1, 768, 100], [5, 33, 17]]) {
    const qa = a.subarray(0, qm * qk), qb = b.subarray(0, qk * qn);
    const pj = jsKernels.packB(qb, { k: qk, n: qn, transB: true, dtype: 'q8' });
    const want = jsKernels.matmul(qa, pj, { m: qm });
    const got = [rt, rt1, fused, split].map((r) => r.kernels.matmul(qa, r.kernels.packB(qb, { k: qk, n: qn, transB: true, dtype: 'q8' }), { m: qm }));
    for (let i = 0; i < want.length; i++) { q8Twin &&= got.slice(1).every((g) => g[i] === want[i]); bitwise &&= got[0][i] === got[1][i]; }
  }
  q8Twin &&= fused.features.fusedIntegerDot === true && split.features.fusedIntegerDot === false;
  window.result = { features: rt.features, maxDiff, bitwise, q8Twin };
  rt.dispose();
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

describe.skipIf(!browserAvailable)('browser (Chromium)', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;

  beforeAll(async () => {
    server = await serve(DIST, { '/pool.html': PAGE });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  type PoolResult = { features: { threads: number; build: string; notes: string[]; relaxedSimd: boolean; fusedIntegerDot: boolean }; maxDiff: number; bitwise: boolean; q8Twin: boolean };
  const run = async (path: string) => (await pageResult(browser, server.url + path)) as unknown as PoolResult;

  test('cross-origin isolated: 2 threads on Web Workers, bitwise equal to 1 thread, close to the twins', async () => {
    const r = await run('/isolated/pool.html');
    expect(r.features.threads).toBe(2);
    expect(r.features.relaxedSimd).toBe(true); // Chromium validates relaxed SIMD by default
    expect(r.features.build).toBe('relaxed-threads');
    expect(typeof r.features.fusedIntegerDot).toBe('boolean'); // the faster form here, timed at init
    expect(r.bitwise).toBe(true);
    expect(r.q8Twin).toBe(true);
    expect(r.maxDiff).toBeLessThan(1e-4);
  }, 120_000);

  test('not isolated: threads fall back to 1 and features say why', async () => {
    const r = await run('/pool.html');
    expect(r.features.threads).toBe(1);
    expect(r.features.build).toBe('relaxed');
    expect(r.features.notes.join(' ')).toMatch(/the page is not cross-origin isolated \(COOP\/COEP headers\)/);
    expect(r.bitwise).toBe(true);
    expect(r.q8Twin).toBe(true);
  }, 120_000);
});
