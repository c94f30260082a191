// Generation in Chromium against Node: the browser bundle (dist/index.browser.js, npm run build)
// loads the Llama fixture from a URL and samples with a seed; the ids are Node's and the Python
// transcription's (tools/make_decoder_fixtures.py --sampling) for the same seed, with the SIMD
// build as Node's (bitwise the same logits) and with the relaxed one Chromium picks by itself
// (logits within rounding; the fixture's draws are at least 1e-3 from a token boundary). The
// streamed pieces are Node's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init } from '../../src/index';
import { loadModel } from '../../src/transformer/load';
import { browserAvailable, launchChromium, pageResult } from './chromium';
import { DIST, serve } from './server';

const FIXTURE = join(DIST, 'tests', 'fixtures', 'decoders');
const f = JSON.parse(readFileSync(join(FIXTURE, 'llama', 'fixture.json'), 'utf8')) as { prompt: number[] };
const sampling = JSON.parse(readFileSync(join(FIXTURE, 'sampling.json'), 'utf8')) as {
  models: { llama: { seeded: { seed: number; ids: number[] }[] } };
};
/** tools/make_decoder_fixtures.py's SAMPLING_CASES[2], the seeded references' options. */
const SEEDED = { doSample: true, temperature: 1, topK: 20, topP: 0.8, minP: 0.05, repetitionPenalty: 1.3, maxNewTokens: 16 };
const STREAMED = { doSample: true, temperature: 1.3, topK: 0, seed: 5, maxNewTokens: 40 };
const SEEDS = sampling.models.llama.seeded.map((s) => s.seed);

const page = (simd: string) => `<!doctype html><meta charset="utf-8"><script type="module">
import { init, loadModel } from '/dist/index.browser.js';
try {
  const runtime = await init({ simd: '${simd}' });
  const model = await loadModel(new URL('/tests/fixtures/decoders/llama/', location.href).href, { runtime, kind: 'decoder' });
  const prompt = ${JSON.stringify(f.prompt)};
  const seeded = ${JSON.stringify(SEEDS)}.map((seed) => model.generate(prompt, { ...${JSON.stringify(SEEDED)}, seed }).ids);
  const pieces = [];
  for await (const piece of model.stream(prompt, ${JSON.stringify(STREAMED)})) pieces.push(piece);
  window.result = { build: runtime.features.build, seeded, pieces, generated: model.generate(prompt, ${JSON.stringify(STREAMED)}) };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

describe.skipIf(!browserAvailable)('generation in Chromium', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  beforeAll(async () => {
    server = await serve(DIST, { '/generate-baseline.html': page('baseline'), '/generate-auto.html': page('auto') });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a seed gives the same tokens in Chromium as in Node (SIMD and relaxed-SIMD builds); streaming gives Node\'s pieces', async () => {
    const rt = await init({ simd: 'baseline' });
    const node = await loadModel(join(FIXTURE, 'llama'), { runtime: rt, kind: 'decoder' });
    try {
      const want = SEEDS.map((seed) => node.generate(f.prompt, { ...SEEDED, seed }).ids);
      expect(want).toEqual(sampling.models.llama.seeded.map((s) => s.ids));
      const pieces: string[] = [];
      for await (const piece of node.stream(f.prompt, STREAMED)) pieces.push(piece);
      const generated = node.generate(f.prompt, STREAMED);
      expect(pieces.join('')).toBe(generated.text);
      for (const simd of ['baseline', 'auto']) {
        const got = await pageResult(browser, `${server.url}/generate-${simd}.html`) as { build: string; seeded: number[][]; pieces: string[]; generated: { text: string; ids: number[] } };
        // Node's build, then the one Chromium picks (relaxed, where it validates relaxed SIMD).
        expect(got.build).toBe(simd === 'baseline' ? rt.features.build : 'relaxed');
        expect(got.seeded, simd).toEqual(want);
        expect(got.pieces, simd).toEqual(pieces);
        expect(got.generated, simd).toEqual(generated);
      }
    } finally {
      node.dispose();
      rt.dispose();
    }
  }, 120_000);
});
