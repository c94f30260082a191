// The package in a user's Vite app: tests/vite-consumer/ is copied next to the packed tarball,
// installed as a user would (its dependencies from this repository's node_modules: see
// ../pack.ts), then built with `vite build` and served with `vite dev` (Vite's
// API, in-process). Both pages load in Chromium, cross-origin isolated, and must compute what
// Node computes: a threaded GEMM within 1e-4 of the JS twin, word2vec vectors equal to the bit.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, Word2Vec } from '../../src/index';
// @ts-expect-error: plain JS shared with the app, no declarations
import { corpus, word2vecOptions } from '../vite-consumer/inputs.js';
import { browserAvailable, launchChromium, pageResult } from './chromium';
import { installPacked } from '../pack';
import { DIST as ROOT, serve } from './server';

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

type AppResult = { features: { threads: number; build: string }; matmulMaxDiff: number; vocab: string[]; vectorBits: number[] };

describe.skipIf(!browserAvailable)('the package in a Vite app', () => {
  let app: string;
  let browser: Browser;
  let nodeModel: Word2Vec;

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'wasm-nlp-vite-'));
    installPacked(app, { name: 'vite-consumer', type: 'module' });
    cpSync(join(ROOT, 'tests', 'vite-consumer'), app, { recursive: true });
    browser = await launchChromium();
    nodeModel = await Word2Vec.train(corpus(), { ...word2vecOptions, runtime: await init({ simd: 'baseline' }) });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  const check = (r: AppResult) => {
    expect(r.features.threads).toBe(2);
    expect(r.features.build).toBe('relaxed-threads');
    expect(r.matmulMaxDiff).toBeLessThan(1e-4);
    expect(r.vocab).toEqual(nodeModel.vocab);
    expect(r.vectorBits).toEqual(Array.from(new Uint32Array(nodeModel.vectors.buffer, nodeModel.vectors.byteOffset, nodeModel.vectors.length)));
  };

  test('vite build: the bundle runs in Chromium and agrees with Node', async () => {
    const { build } = await import('vite');
    await build({ root: app, configFile: false, logLevel: 'warn', build: { outDir: join(app, 'dist') } });
    const server = await serve(join(app, 'dist'), {});
    try {
      check(await pageResult(browser, `${server.url}/isolated/index.html`) as AppResult);
    } finally {
      await server.close();
    }
  }, 120_000);

  test('vite dev: the served app runs in Chromium and agrees with Node', async () => {
    const { createServer } = await import('vite');
    let server: ViteDevServer | undefined;
    try {
      server = await createServer({
        root: app, configFile: false, logLevel: 'warn',
        server: { host: '127.0.0.1', port: 0, headers: ISOLATION, watch: null },
      });
      await server.listen();
      const { port } = server.httpServer!.address() as { port: number };
      check(await pageResult(browser, `http://127.0.0.1:${port}/index.html`) as AppResult);
    } finally {
      await server?.close();
    }
  }, 120_000);
});
