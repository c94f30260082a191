// word2vec in Chromium against Node, on the same slice of the sample corpus (its first 60
// lines, 60,000 tokens, served to the page), one thread and the same seed: bitwise the same
// vectors on the same build, for the plain SIMD build and for the relaxed one (Chromium
// validates relaxed SIMD by default; Node 20 under --experimental-wasm-relaxed-simd, so its
// side runs in a child process on the built package).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, Word2Vec } from '../../src/index';
import { browserAvailable, launchChromium, pageResult } from './chromium';
import { DIST, serve } from './server';

const text = gunzipSync(readFileSync(join(DIST, 'data', 'corpus-pd4m.txt.gz'))).toString('utf8');
const corpus = text.split('\n').slice(0, 60).join('\n');
const options = { dim: 24, minCount: 5, epochs: 2, seed: 5, threads: 1 };

type Run = { build: string; vocab: string[]; vectors: number[] };
const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { init, Word2Vec } from '/dist/index.browser.js';
try {
  const corpus = await (await fetch('/corpus.txt')).text();
  const runs = [];
  for (const simd of ['baseline', 'relaxed']) {
    const runtime = await init({ simd });
    const model = await Word2Vec.train(corpus, { ...${JSON.stringify(options)}, runtime });
    runs.push({ build: runtime.features.build, vocab: model.vocab, vectors: Array.from(new Uint32Array(model.vectors.buffer, model.vectors.byteOffset, model.vectors.length)) });
  }
  window.result = { runs, corpusLength: corpus.length };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

// Node's relaxed run: the built package in a child process that has the flag.
const NODE_RELAXED = `
import { readFileSync } from 'node:fs';
const { init, Word2Vec } = await import(process.argv[1]);
const runtime = await init({ simd: 'relaxed' });
const model = await Word2Vec.train(readFileSync(process.argv[2], "utf8"), { ...${JSON.stringify(options)}, runtime });
console.log(JSON.stringify({ build: runtime.features.build, vocab: model.vocab, vectors: Array.from(new Uint32Array(model.vectors.buffer, model.vectors.byteOffset, model.vectors.length)) }));`;

describe.skipIf(!browserAvailable)('word2vec in Chromium', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    server = await serve(DIST, { '/w2v.html': PAGE, '/corpus.txt': corpus });
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-browser-w2v-'));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one thread and a seed: bitwise the vectors Node trains, on the plain and on the relaxed build', async () => {
    const page = await pageResult(browser, `${server.url}/w2v.html`) as { runs: Run[]; corpusLength: number };
    expect(page.corpusLength).toBe(corpus.length);
    const [plain, relaxed] = page.runs;

    const node = await Word2Vec.train(corpus, { ...options, runtime: await init({ simd: 'baseline' }) });
    expect(node.vocab.length).toBeGreaterThan(500);
    expect(plain!.build).toBe('simd');
    expect(plain!.vocab).toEqual(node.vocab);
    expect(plain!.vectors).toEqual(bits(node.vectors));

    const path = join(dir, 'corpus.txt');
    writeFileSync(path, corpus);
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e', NODE_RELAXED,
      join(DIST, 'dist', 'index.js'), path], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26 });
    const nodeRelaxed = JSON.parse(out) as Run;
    expect(relaxed!.build).toBe('relaxed');
    expect(nodeRelaxed.build).toBe('relaxed');
    expect(relaxed!.vocab).toEqual(nodeRelaxed.vocab);
    expect(relaxed!.vectors).toEqual(nodeRelaxed.vectors);
  }, 240_000);
});
