// word2vec in Chromium against Node: one thread, the same seed and the same build (plain SIMD,
// which both run) give bitwise the same vectors.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, Word2Vec } from '../../src/index';
import { rng } from '../kernel-tester';
import { browserAvailable, launchChromium, pageResult } from './chromium';
import { DIST, serve } from './server';

const random = rng(17);
const words = Array.from({ length: 300 }, (_, i) => `w${i}`);
// Zipf-like: a few frequent words and a long tail, 60,000 tokens in lines of 40.
const corpus = Array.from({ length: 1500 }, () =>
  Array.from({ length: 40 }, () => words[Math.floor(300 * random() ** 3)]).join(' ')).join('\n');
const options = { dim: 24, minCount: 2, epochs: 2, seed: 5, threads: 1 };

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { init, Word2Vec } from '/dist/index.browser.js';
try {
  const corpus = await (await fetch('/corpus.txt')).text();
  const runtime = await init({ simd: 'baseline' });
  const model = await Word2Vec.train(corpus, { ...${JSON.stringify(options)}, runtime });
  window.result = { vocab: model.vocab, vectors: Array.from(new Uint32Array(model.vectors.buffer, model.vectors.byteOffset, model.vectors.length)), build: runtime.features.build };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

describe.skipIf(!browserAvailable)('word2vec in Chromium', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  beforeAll(async () => {
    server = await serve(DIST, { '/w2v.html': PAGE, '/corpus.txt': corpus });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('one thread and a seed: bitwise the vectors Node trains', async () => {
    const runtime = await init({ simd: 'baseline' });
    const node = await Word2Vec.train(corpus, { ...options, runtime });
    const browserRun = await pageResult(browser, `${server.url}/w2v.html`) as { vocab: string[]; vectors: number[]; build: string };
    expect(browserRun.build).toBe('simd');
    expect(browserRun.vocab).toEqual(node.vocab);
    expect(browserRun.vectors).toEqual(Array.from(new Uint32Array(node.vectors.buffer, node.vectors.byteOffset, node.vectors.length)));
  }, 120_000);
});
