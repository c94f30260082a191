// The demo page (site/) in Debian's Chromium: built with Vite's build API, served with COOP/COEP
// from the loopback server. It must be cross-origin isolated and say threads are on; train on a
// slice of the sample corpus and show the neighbours Node computes for the same corpus, seed,
// build and one thread; train on pasted text with two threads, and under `vite dev` too; translate
// and classify with the tiny models of data/models as torch does; stream a continuation from the
// tiny storyteller, the text Node generates for the same seed (and, greedy, torch's tokens). Before
// that, in Node, the storyteller against its reference.json: torch's tokenization, last logits,
// greedy tokens and the tokens our seeded sampler drew from torch's distributions. The screenshot
// goes to artifacts/demo.png.
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, loadModel, loadTokenizer, Word2Vec, type Runtime, type TextGenerationModel, type TextTokenizer } from '../../src/index';
import { pca2 } from '../../site/pca';
import { sampleLines } from '../../site/sample';
import { browserAvailable, launchChromium } from './chromium';
import { DIST as ROOT, serve } from './server';

const SAMPLE_TOKENS = 200_000;
const OPTIONS = { dim: 50, epochs: 5, window: 5, minCount: 5, seed: 7 };
const QUERY = 'sister';
const PASTED = Array.from({ length: 60 }, (_, i) =>
  `the cat sat on the mat ${i % 3 ? 'and the dog ran to the park' : 'while the bird sang in the tree'} every day`).join('\n');

// The tiny translator and classifier of data/models, checked against the torch outputs of their reference.json.
const MODELS = join(ROOT, 'data', 'models');
const reference = (name: string) => JSON.parse(readFileSync(join(MODELS, name, 'reference.json'), 'utf8'));
const translator = reference('number-translator') as { examples: { direction: string; text: string; output: string }[] };
// The longest held-out example of each direction.
const TRANSLATIONS = ['words_to_digits', 'digits_to_words'].map((direction) => translator.examples
  .filter((e) => e.direction === direction).reduce((a, b) => (b.text.length > a.text.length ? b : a)));
const classifier = reference('book-classifier') as { labels: string[]; examples: { text: string; probabilities: number[] }[] };
const CLASSIFIED = classifier.examples[0]!;
interface StoryExample {
  prompt: string; input_ids: number[]; last_logits: number[]; greedy_ids: number[]; greedy: string;
  samples: { seed: number; ids: number[]; text: string }[];
}
const STORYTELLER = join(MODELS, 'tiny-storyteller');
const storyteller = reference('tiny-storyteller') as { new_tokens: number; examples: StoryExample[] };

describe('the tiny storyteller in Node: what torch computed (reference.json)', () => {
  let rt: Runtime, model: TextGenerationModel, tokenizer: TextTokenizer;
  beforeAll(async () => {
    rt = await init();
    model = await loadModel(STORYTELLER, { kind: 'decoder', runtime: rt });
    tokenizer = await loadTokenizer(STORYTELLER);
  });
  afterAll(() => {
    model?.dispose();
    rt?.dispose();
  });

  test.each(storyteller.examples)('$prompt: tokens, last logits, greedy and seeded tokens', (e) => {
    const maxNewTokens = storyteller.new_tokens;
    expect(tokenizer.encode(e.prompt).ids).toEqual(e.input_ids);
    expect(model.encode(e.prompt, 'test')).toEqual(e.input_ids);
    // What a user types goes through the normalizer first: case and punctuation are not in the corpus.
    expect(model.encode(`  ${e.prompt.toUpperCase()}!?`, 'test')).toEqual(e.input_ids);
    const logits = model.logits(e.input_ids);
    const V = e.last_logits.length;
    const last = logits.subarray(logits.length - V);
    expect(Math.max(...e.last_logits.map((x, i) => Math.abs(x - last[i]!)))).toBeLessThanOrEqual(1e-4);
    const greedy = model.generate(e.prompt, { doSample: false, maxNewTokens });
    expect(greedy.ids).toEqual(e.greedy_ids);
    expect(greedy.text).toBe(e.greedy);
    expect(tokenizer.decode(e.greedy_ids)).toBe(e.greedy);
    for (const s of e.samples) {
      // generation_config.json's sampling settings, as the reference used them.
      const out = model.generate(e.prompt, { seed: s.seed, maxNewTokens });
      expect(out.ids, `seed ${s.seed}`).toEqual(s.ids);
      expect(out.text).toBe(s.text);
    }
  });
});

describe('the PCA of the scatter plot', () => {
  test('recovers the axes of points spread along known orthogonal directions', () => {
    // 400 points in 5-D: 10·s·u + 3·t·w + 0.1·noise, u and w orthonormal; PC1 ≈ ±10·s, PC2 ≈ ±3·t.
    const n = 400, d = 5;
    const u = [0.6, 0.8, 0, 0, 0], w = [0, 0, 0.28, 0.96, 0];
    const s = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7));
    const t = Array.from({ length: n }, (_, i) => Math.cos(i * 0.37 + 1));
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = 10 * s[i]! * u[j]! + 3 * t[i]! * w[j]! + 0.1 * Math.sin(i * j + 0.5) + 1;
    const p = pca2(x, n, d);
    const corr = (axis: number, ref: number[]) => {
      const mean = ref.reduce((a, b) => a + b, 0) / n;
      let xy = 0, xx = 0, yy = 0;
      for (let i = 0; i < n; i++) { const a = p[2 * i + axis]!, b = ref[i]! - mean; xy += a * b; xx += a * a; yy += b * b; }
      return Math.abs(xy) / Math.sqrt(xx * yy);
    };
    expect(corr(0, s)).toBeGreaterThan(0.999);
    expect(corr(1, t)).toBeGreaterThan(0.99);
  });
});

describe.skipIf(!browserAvailable)('the demo page in Chromium', () => {
  let site: string;
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    site = mkdtempSync(join(tmpdir(), 'wasm-nlp-site-'));
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'site', 'vite.config.ts'), logLevel: 'warn', build: { outDir: site } });
    server = await serve(site, {});
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/isolated/index.html`);
  }, 120_000);

  afterAll(async () => {
    // The page as the tests left it, failed or not.
    if (page) {
      mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'artifacts', 'demo.png'), fullPage: true });
    }
    await browser?.close();
    await server?.close();
    if (site) rmSync(site, { recursive: true, force: true });
  });

  test('is cross-origin isolated and says threads are on', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForSelector('#threads.ok');
    expect(await page.textContent('#threads')).toMatch(/^Threads: on\. .* 2 threads/);
    expect(errors).toEqual([]);
  });

  test('not isolated: says threads are off and why', async () => {
    const plain = await browser.newPage();
    await plain.goto(`${server.url}/index.html`);
    await plain.waitForSelector('#threads.warn');
    expect(await plain.textContent('#threads')).toMatch(/^Threads: off, training runs on 1 thread\. Why: the page is not cross-origin isolated: its server does not send the COOP\/COEP headers/);
    expect(await plain.inputValue('#thread-count')).toBe('1');
    await plain.close();
  });

  test('refuses a bad option, naming it', async () => {
    await page.fill('#text', PASTED);
    await page.fill('#dim', '0');
    await page.click('#train-text');
    expect(await page.textContent('#progress-text.error')).toBe('option dim must be an integer from 2 to 300, got "0"');
  });

  test('trains on pasted text with two threads: neighbours are words of the text', async () => {
    await setOptions(page, { dim: 16, epochs: 20, window: 3, 'min-count': 2, 'thread-count': 2, seed: 1 });
    await page.selectOption('#kernels', 'auto');
    await page.fill('#text', PASTED);
    await page.fill('#query', 'cat');
    await page.click('#train-text');
    await page.waitForSelector('#progress-text.ok, #progress-text.error', { timeout: 30_000 });
    expect(await page.textContent('#progress-text')).toMatch(/on 2 threads \(relaxed-threads kernels\)/);
    const shown = await neighbours(page, '#neighbours');
    const words = new Set(PASTED.split(/\s+/));
    expect(shown).toHaveLength(8);
    for (const n of shown) expect(words.has(n.word), n.word).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  test('trains on a slice of the sample corpus: the neighbours Node gets', async () => {
    await setOptions(page, { ...OPTIONS, 'thread-count': 1 });
    await page.selectOption('#kernels', 'baseline');
    await page.selectOption('#sample-size', String(SAMPLE_TOKENS));
    await page.fill('#query', QUERY);
    await page.click('#train-sample');
    await page.waitForSelector('#progress-text.ok, #progress-text.error', { timeout: 60_000 });
    expect(await page.textContent('#progress-text')).toMatch(/^Trained on [\d,]+ tokens/);
    const shown = await neighbours(page, '#neighbours');
    // The scatter plot is drawn: many painted pixels.
    const painted = await page.$eval('#plot', (c) => {
      const canvas = c as HTMLCanvasElement;
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(5000);

    const corpus = sampleLines(Readable.toWeb(createReadStream(join(ROOT, 'data/corpus-pd4m.txt.gz'))) as ReadableStream<Uint8Array<ArrayBuffer>>, SAMPLE_TOKENS);
    const node = await Word2Vec.train(corpus, { ...OPTIONS, threads: 1, runtime: await init({ simd: 'baseline' }) });
    const want = node.mostSimilar(QUERY, 8);
    expect(shown.map((n) => n.word)).toEqual(want.map((n) => n.word));
    shown.forEach((n, i) => expect(n.similarity).toBeCloseTo(want[i]!.similarity, 3));
    expect(errors).toEqual([]);
  }, 90_000);

  test('vite dev serves the same page, isolated, and it trains', async () => {
    const { createServer } = await import('vite');
    // No file watching: an edit elsewhere in the tree would reload the page mid-test.
    const dev = await createServer({ configFile: join(ROOT, 'site', 'vite.config.ts'), logLevel: 'warn', server: { host: '127.0.0.1', port: 0, watch: null } });
    const devPage = await browser.newPage();
    try {
      await dev.listen();
      const { port } = dev.httpServer!.address() as { port: number };
      await devPage.goto(`http://127.0.0.1:${port}/index.html`);
      await devPage.waitForSelector('#threads.ok');
      await setOptions(devPage, { dim: 16, epochs: 5, 'min-count': 2 });
      await devPage.fill('#text', PASTED);
      await devPage.fill('#query', 'dog');
      await devPage.click('#train-text');
      await devPage.waitForSelector('#progress-text.ok, #progress-text.error', { timeout: 30_000 });
      expect(await devPage.textContent('#progress-text')).toMatch(/^Trained on 900 tokens/);
      expect(await neighbours(devPage, '#neighbours')).toHaveLength(8);
    } finally {
      await devPage.close();
      await dev.close();
    }
  }, 60_000);

  test('translates and classifies with the tiny models: the outputs of torch', async () => {
    for (const { text, output } of TRANSLATIONS) {
      await page.fill('#translate-input', text);
      await page.click('#translate-form button');
      await page.waitForFunction(() => !/^Loading/.test(document.getElementById('translation')!.textContent ?? ''));
      expect(await page.getAttribute('#translation', 'class'), await page.textContent('#translation') ?? '').not.toBe('error');
      expect(await page.textContent('#translation'), text).toBe(output);
    }

    await page.fill('#classify-input', CLASSIFIED.text);
    await page.click('#classify-form button');
    const shown = await neighbours(page, '#classification');
    const want = classifier.labels.map((label, i) => [label, CLASSIFIED.probabilities[i]!] as const)
      .sort((a, b) => b[1] - a[1]).slice(0, shown.length);
    expect(shown.map((l) => l.word)).toEqual(want.map(([label]) => label));
    // The page shows 3 decimals.
    shown.forEach((l, i) => expect(Math.abs(l.similarity - want[i]![1])).toBeLessThanOrEqual(5e-4 + 1e-6));
    expect(errors).toEqual([]);
  }, 60_000);

  test('streams a continuation from the tiny storyteller: the text Node generates for the same seed, torch\'s when greedy', async () => {
    const rt = await init();
    const node = await loadModel(STORYTELLER, { kind: 'decoder', runtime: rt });
    try {
      // Every state of the output the page paints: streaming shows it growing, piece by piece.
      await page.evaluate(() => {
        const out = document.getElementById('story-text')!;
        const seen: string[] = ((window as unknown as { storySeen: string[] }).storySeen = []);
        new MutationObserver(() => seen.push(out.textContent ?? '')).observe(out, { childList: true, characterData: true, subtree: true });
      });
      const run = async (click: string) => {
        await page.evaluate(() => ((window as unknown as { storySeen: string[] }).storySeen.length = 0));
        await page.click(click);
        await page.waitForSelector('#generate-status.ok, #generate-status.error', { timeout: 60_000 });
        const status = (await page.textContent('#generate-status'))!;
        expect(await page.getAttribute('#generate-status', 'class'), status).toBe('status ok');
        const seen = await page.evaluate(() => (window as unknown as { storySeen: string[] }).storySeen);
        return { text: (await page.textContent('#story-text'))!, status, seen };
      };
      const setTemperature = (value: string) => page.$eval('#temperature', (input, v) => {
        (input as HTMLInputElement).value = v;
        input.dispatchEvent(new Event('input'));
      }, value);

      // Temperature 0 is greedy search: torch's tokens for a reference prompt.
      const e = storyteller.examples[0]!;
      await page.fill('#generate-prompt', e.prompt);
      await page.fill('#new-tokens', String(storyteller.new_tokens));
      await setTemperature('0');
      const greedy = await run('#generate');
      expect(greedy.text).toBe(e.greedy);
      expect(greedy.status).toMatch(new RegExp(`^${e.greedy_ids.length} tokens in .*, greedy\\.$`));

      // Sampling, as a user types (case and punctuation the normalizer removes): Node's text for the seed.
      const prompt = 'Captain Ahab stood upon the deck.';
      await page.fill('#generate-prompt', prompt);
      await page.fill('#new-tokens', '80');
      await setTemperature('0.8');
      await page.fill('#generate-seed', '7');
      const first = await run('#generate');
      const want = node.generate(prompt, { seed: 7, temperature: 0.8, maxNewTokens: 80 });
      expect(want.ids).toHaveLength(80);
      expect(first.text).toBe(want.text);
      expect(await page.textContent('#story-prompt')).toBe(prompt);
      expect(first.status).toMatch(/^80 tokens in [\d.]+ s \(\d+ tokens\/s\), seed 7, temperature 0\.80\.$/);
      // Streamed: many partial texts were painted, each a beginning of the final one.
      const partial = [...new Set(first.seen)].filter((t) => t && t !== first.text);
      expect(partial.length).toBeGreaterThan(20);
      for (const t of partial) expect(first.text.startsWith(t), t).toBe(true);

      // Sample again: the next seed, Node's text for it, another text.
      const again = await run('#sample-again');
      expect(await page.inputValue('#generate-seed')).toBe('8');
      expect(again.text).toBe(node.generate(prompt, { seed: 8, temperature: 0.8, maxNewTokens: 80 }).text);
      expect(again.text).not.toBe(first.text);
      expect(errors).toEqual([]);
    } finally {
      node.dispose();
      rt.dispose();
    }
  }, 90_000);
});

async function setOptions(page: Page, values: Record<string, number>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await page.fill(`#${key === 'minCount' ? 'min-count' : key}`, String(value));
}

/** The words and scores a results list shows, once it shows some. */
async function neighbours(page: Page, list: string): Promise<{ word: string; similarity: number }[]> {
  await page.waitForSelector(`${list} li`);
  const error = await page.$$eval(`${list} li.error`, (items) => items.map((li) => li.textContent));
  expect(error).toEqual([]);
  return page.$$eval(`${list} li`, (items) => items.map((li) => ({
    word: li.querySelector('.word')!.textContent!, similarity: Number(li.querySelector('.score')!.textContent),
  })));
}
