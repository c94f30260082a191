// The main job (`npm start` runs `wasm-nlp demo`) in-process, on a small corpus so that it is
// quick: every part runs and says how long it took, the saved vectors are the ones whose
// neighbours it printed, and a missing model folder is one line, not a failure.
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { init, Word2Vec, type Runtime } from '../../src/index';
import { cli } from './capture';

let dir: string, rt: Runtime;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-demo-'));
  rt = await init({ simd: 'baseline' });
});
afterAll(() => {
  rt.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('demo: word2vec trained, queried, scored and saved; missing models are skipped in one line each', async () => {
  const data = join(dir, 'data');
  mkdirSync(data);
  // The demo's neighbour words, in contexts that tie each pair together.
  const pairs = [['whale', 'ship'], ['king', 'war'], ['sister', 'money']];
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const [a, b] = pairs[i % 3]!;
    lines.push(`the ${a} and the ${b} were seen ${i % 2 ? 'here' : 'there'} by the ${a} of the ${b}`);
  }
  writeFileSync(join(data, 'corpus-pd4m.txt.gz'), lines.join('\n')); // the name is the default's; plain text is read too
  writeFileSync(join(data, 'questions-words.txt'), ': pairs\nwhale ship king war\nking war sister money\n: gram-none\nwhale ship sister unicorn\n');
  const out = join(dir, 'out');
  const r = await cli(['demo', '--data', data, '--out', out, '--epochs', '3', '--threads', '1', '--dim', '12', '--min-count', '2', '--simd', 'baseline']);
  expect(r.stderr).toMatch(/epoch 3\/3\s+100\.0%/);
  expect(r.code).toBe(0);
  const o = r.stdout;
  for (const heading of ['== word2vec ==', '== translator ==', '== classifier ==', '== storyteller ==']) expect(o).toContain(heading);
  expect(o).toMatch(/\(word2vec: [\d.:]+s?\)/);
  expect(o).toMatch(/\ndemo done in [\d.:]+s?\n$/);
  expect(o).toContain(`no model folder ${join(data, 'models', 'number-translator')}: skipping the translator`);
  expect(o).toContain(`no model folder ${join(data, 'models', 'book-classifier')}: skipping the classifier`);
  expect(o).toContain(`no model folder ${join(data, 'models', 'tiny-storyteller')}: skipping the storyteller`);

  // The saved vectors give exactly the neighbours printed.
  const model = await Word2Vec.load(join(out, 'vectors.bin'), { runtime: rt });
  expect(model.size).toBe(14); // the 6 pair words and 8 others
  const whale = model.mostSimilar('whale', 6).map((n) => `${n.word} ${n.similarity.toFixed(2)}`).join(', ');
  expect(o).toContain(`  whale    ${whale}\n`);
  // Two questions count (the third has a word out of the vocabulary): a third of them skipped.
  expect(o).toMatch(/analogy accuracy \(questions-words\.txt, top 30,000 words\): [\d.]+% \(\d\/2\); .* 33% of questions skipped/);
});

const MODELS = resolve(__dirname, '../../data/models');
const has = (model: string) => existsSync(join(MODELS, model, 'reference.json'));
for (const model of ['number-translator', 'book-classifier', 'tiny-storyteller']) {
  if (!has(model)) console.warn(`tests/cli/demo.test.ts: the ${model} part is skipped, ${join(MODELS, model)} is not there yet`);
}

/** The demo's output with only `model` in its data folder (no corpus: word2vec is skipped). */
async function demoWith(model: string): Promise<{ stdout: string; reference: any }> {
  const data = join(dir, model);
  mkdirSync(join(data, 'models'), { recursive: true });
  symlinkSync(join(MODELS, model), join(data, 'models', model));
  const r = await cli(['demo', '--data', data, '--out', join(dir, 'out-' + model), '--threads', '1', '--simd', 'baseline']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`no corpus at ${join(data, 'corpus-pd4m.txt.gz')}: skipping word2vec`);
  return { stdout: r.stdout, reference: JSON.parse(readFileSync(join(MODELS, model, 'reference.json'), 'utf8')) };
}

test.skipIf(!has('number-translator'))('demo: the translator agrees with PyTorch on every held-out number of its reference.json', async () => {
  const { stdout, reference } = await demoWith('number-translator');
  const n = reference.examples.length;
  const right = reference.examples.filter((e: { correct: boolean }) => e.correct).length;
  expect(stdout).toContain(`exact matches here: ${(100 * right / n).toFixed(1)}% of ${n} held-out numbers; identical to PyTorch's greedy output on ${n}/${n}\n`);
});

test.skipIf(!has('book-classifier'))('demo: the classifier agrees with PyTorch on every held-out passage of its reference.json', async () => {
  const { stdout, reference } = await demoWith('book-classifier');
  const m = reference.examples.length;
  const books = new Set(reference.examples.map((e: { label: string }) => e.label)).size;
  expect(stdout).toContain(`accuracy here: ${(100 * reference.reference_accuracy).toFixed(1)}% of ${m} held-out passages (${books} books); the same label as PyTorch on ${m}/${m}\n`);
  expect(stdout).toContain(`held-out accuracy when trained: ${(100 * reference.accuracy.overall).toFixed(1)}% of ${reference.accuracy.passages} passages\n`);
});

test.skipIf(!has('tiny-storyteller'))('demo: the storyteller\'s greedy and seeded tokens are PyTorch\'s for every prompt of its reference.json', async () => {
  const { stdout, reference } = await demoWith('tiny-storyteller');
  const n = reference.examples.length;
  const m = reference.examples.reduce((k: number, e: { samples: unknown[] }) => k + e.samples.length, 0);
  const { temperature, top_k } = reference.sampling;
  expect(stdout).toContain(`identical to PyTorch: greedy search on ${n}/${n} prompts, seeded sampling (temperature ${temperature}, top-k ${top_k}) on ${m}/${m}, ${reference.new_tokens} tokens each\n`);
  // One line per prompt: the prompt, then the first seed's continuation as torch's tokens decode.
  for (const e of reference.examples) expect(stdout).toContain(`  ${e.prompt} …${e.samples[0].text}  (seed ${e.samples[0].seed})  ✓\n`);
});
