// A Hugging Face checkpoint in Chromium against Node: the browser build loads the BERT fixture
// from a URL (config.json, model.safetensors, tokenizer.json) and its hidden states agree with
// Node's to 1e-5.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, pipeline, type QuestionAnswer } from '../../src/index';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';
import { browserAvailable, launchChromium, pageResult } from './chromium';
import { DIST, serve } from './server';

const TEXTS = ['The movie was great!', 'I hate this', 'dogs run'];

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { loadModel } from '/dist/index.browser.js';
try {
  const model = await loadModel(new URL('/tests/fixtures/bert/', location.href).href);
  const out = model.forward(${JSON.stringify(TEXTS)});
  window.result = { hidden: Array.from(out.lastHiddenState), T: out.T, probabilities: model.classify(${JSON.stringify(TEXTS)}).map((r) => r.probabilities) };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

const NER_TEXT = 'Emma Woodhouse lived in Highbury with her father.';
const QUESTION = 'Where did Emma live?';
const CONTEXT = 'Emma Woodhouse, handsome, clever, and rich, lived in Highbury with her father for nearly twenty-one years.';

/** Pipelines in the page: tokenizing with offsets and the task heads, from the browser bundle. */
const PIPELINES = `<!doctype html><meta charset="utf-8"><script type="module">
import { pipeline } from '/dist/index.browser.js';
try {
  const ner = await pipeline('ner', new URL('/tests/fixtures/roberta-ner/', location.href).href);
  const qa = await pipeline('question-answering', new URL('/tests/fixtures/roberta-qa/', location.href).href);
  window.result = {
    entities: ner(${JSON.stringify(NER_TEXT)}, { aggregationStrategy: 'first' }),
    answers: qa(${JSON.stringify(QUESTION)}, ${JSON.stringify(CONTEXT)}, { topK: 3 }),
  };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

describe.skipIf(!browserAvailable)('transformer in Chromium', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  beforeAll(async () => {
    server = await serve(DIST, { '/bert.html': PAGE, '/pipelines.html': PIPELINES });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('BERT from a URL: hidden states within 1e-5 of Node, the same probabilities', async () => {
    const node = await loadModel(join(DIST, 'tests', 'fixtures', 'bert'), { runtime: await init() }) as TextEncoderModel;
    const want = node.forward(TEXTS);
    const got = await pageResult(browser, `${server.url}/bert.html`) as { hidden: number[]; T: number; probabilities: Record<string, number>[] };
    expect(got.T).toBe(want.T);
    let max = 0;
    got.hidden.forEach((x, i) => { max = Math.max(max, Math.abs(x - want.lastHiddenState[i]!)); });
    expect(max, 'largest difference between Chromium and Node').toBeLessThan(1e-5);
    const probs = node.classify(TEXTS).map((r) => r.probabilities);
    got.probabilities.forEach((p, b) => Object.entries(p).forEach(([label, v]) => expect(Math.abs(v - probs[b]![label]!)).toBeLessThan(1e-5)));
    node.dispose();
  }, 120_000);

  test('pipelines: NER entities and QA answers with their offsets, as in Node (scores within 1e-5)', async () => {
    const rt = await init();
    const ner = await pipeline('ner', join(DIST, 'tests', 'fixtures', 'roberta-ner'), { runtime: rt });
    const qa = await pipeline('question-answering', join(DIST, 'tests', 'fixtures', 'roberta-qa'), { runtime: rt });
    const want = { entities: ner(NER_TEXT, { aggregationStrategy: 'first' }), answers: qa(QUESTION, CONTEXT, { topK: 3 }) };
    const got = await pageResult(browser, `${server.url}/pipelines.html`) as typeof want;
    const strip = <T extends { score: number }>(xs: T[]) => xs.map(({ score: _, ...rest }) => rest);
    expect(strip(got.entities)).toEqual(strip(want.entities));
    expect(strip(got.answers as QuestionAnswer[])).toEqual(strip(want.answers as QuestionAnswer[]));
    [...got.entities, ...(got.answers as QuestionAnswer[])].forEach((x, i) =>
      expect(Math.abs(x.score - [...want.entities, ...(want.answers as QuestionAnswer[])][i]!.score)).toBeLessThan(1e-5));
    expect(want.entities.length).toBeGreaterThan(0);
    ner.dispose();
    qa.dispose();
    rt.dispose();
  }, 120_000);
});
