// embed, classify and translate in-process on the tiny fixture checkpoints, each checked against
// the library's loadModel on the same folder and texts (which tests/transformer checks against
// PyTorch), and the errors of a wrong model or missing texts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { init, loadModel, TextEncoderModel, TextSeq2SeqModel, type Runtime } from '../../src/index';
import { cli, expectOneLineError } from './capture';

const BERT = resolve(__dirname, '../fixtures/bert');
const MARIAN = resolve(__dirname, '../fixtures/marian');
const BASELINE = ['--simd', 'baseline'];

let rt: Runtime, dir: string;
beforeAll(async () => {
  rt = await init({ simd: 'baseline' });
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-cli-tf-'));
});
afterAll(() => {
  rt.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const texts = ['the big red dog', 'she is very good today'];

test('embed: the library\'s embeddings, mean or CLS, normalised or not; text output round-trips the f32 values', async () => {
  const model = await loadModel(BERT, { runtime: rt }) as TextEncoderModel;
  const json = await cli(['embed', BERT, ...texts, '--pooling', 'cls', '--no-normalize', '--json', ...BASELINE]);
  expect(json.code).toBe(0);
  const cls = model.embed(texts, { pooling: 'cls', normalize: false });
  expect(JSON.parse(json.stdout)).toEqual(texts.map((text, i) => ({ text, embedding: Array.from(cls[i]!) })));
  const plain = await cli(['embed', BERT, ...texts, ...BASELINE]);
  const mean = model.embed(texts);
  const rows = plain.stdout.trimEnd().split('\n').map((line) => Float32Array.from(line.split(' ').map(Number)));
  expect(rows).toEqual(mean);
  expect(Math.hypot(...rows[0]!)).toBeCloseTo(1, 6);
});

test('classify: the library\'s labels and probabilities; texts from --file', async () => {
  const model = await loadModel(BERT, { runtime: rt }) as TextEncoderModel;
  const file = join(dir, 'texts.txt');
  writeFileSync(file, `${texts[0]}\n\n${texts[1]}\n`);
  const r = await cli(['classify', BERT, '--file', file, '--json', ...BASELINE]);
  expect(r.code).toBe(0);
  const expected = model.classify(texts);
  expect(JSON.parse(r.stdout)).toEqual(texts.map((text, i) => ({ text, ...expected[i]! })));
  const plain = await cli(['classify', BERT, texts[0]!, ...BASELINE]);
  expect(plain.stdout).toBe(`${expected[0]!.label} ${expected[0]!.score.toFixed(3)}  ${texts[0]}\n`);
});

test('translate: the library\'s translations, greedy and beam search, with --max-length', async () => {
  const model = await loadModel(MARIAN, { runtime: rt }) as TextSeq2SeqModel;
  const inputs = ['he is sleeping', 'the big red dog is not running today'];
  const r = await cli(['translate', MARIAN, ...inputs, '--max-length', '6', ...BASELINE]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(model.translate(inputs, { maxLength: 6 }).map((t) => t + '\n').join(''));
  const beams = await cli(['translate', MARIAN, ...inputs, '--beams', '2', '--max-length', '8', ...BASELINE]);
  expect(beams.stdout).toBe(model.translate(inputs, { numBeams: 2, maxLength: 8 }).map((t) => t + '\n').join(''));
  const json = await cli(['translate', MARIAN, inputs[0]!, '--json', ...BASELINE]);
  expect(JSON.parse(json.stdout)).toEqual([{ text: inputs[0], translation: model.translate(inputs[0]!)[0] }]);
});

test('errors: the wrong kind of model, no texts, no folder, a bad folder', async () => {
  expectOneLineError(await cli(['translate', BERT, 'hello']), 1, `translate: ${BERT} is an encoder model; use embed or classify`);
  expectOneLineError(await cli(['classify', MARIAN, 'hello']), 1, `classify: ${MARIAN} is an encoder-decoder (translation) model; use translate`);
  expectOneLineError(await cli(['embed', BERT]), 2, 'embed: give one or more texts, or --file FILE');
  expectOneLineError(await cli(['embed', BERT, 'x', '--file', 'f.txt']), 2, 'embed: give texts as arguments or --file, not both');
  expectOneLineError(await cli(['embed', BERT, '--file', join(dir, 'none.txt')]), 1, `text file ${join(dir, 'none.txt')} does not exist`);
  expectOneLineError(await cli(['classify', join(dir, 'nope'), 'x']), 1, `model folder ${join(dir, 'nope')} does not exist`);
  expectOneLineError(await cli(['classify', dir, 'x']), 1, 'has no config.json');
  expectOneLineError(await cli(['translate', MARIAN, 'x', '--max-length', '1']), 2, "translate: option --max-length must be an integer ≥ 2, got '1'");
  // A text past the model's positions is refused, naming its length, unless --truncate.
  const long = Array.from({ length: 200 }, () => 'very').join(' ');
  expectOneLineError(await cli(['translate', MARIAN, long]), 1, 'translate: text 0 has');
  expectOneLineError(await cli(['classify', BERT, long]), 1, 'tokens');
  expect((await cli(['classify', BERT, long, '--truncate'])).code).toBe(0);
  expect((await cli(['translate', MARIAN, long, '--truncate', '--max-length', '4'])).code).toBe(0);
});
