// embed, classify and translate in-process on the tiny fixture checkpoints, each checked against
// the library's loadModel on the same folder and texts (which tests/transformer checks against
// PyTorch), and the errors of a wrong model or missing texts. Then quantize: the folder it writes
// is quantizeCheckpoint's (which tests/transformer checks), classify reads it as int8 without
// being told and gives the library's q8 results; --dtype; and its errors, one line each.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

test("embed on a sentence-transformers folder: its own pooling (CLS) and no Normalize unless asked", async () => {
  const ST = resolve(__dirname, '../fixtures/mpnet-st');
  const model = await loadModel(ST, { runtime: rt }) as TextEncoderModel;
  try {
    const own = model.embed(texts);
    expect(Math.abs(Math.hypot(...own[0]!) - 1)).toBeGreaterThan(1e-3);   // the folder has no Normalize module
    const rows = (r: { stdout: string }) => r.stdout.trimEnd().split('\n').map((line) => Float32Array.from(line.split(' ').map(Number)));
    expect(rows(await cli(['embed', ST, ...texts, ...BASELINE]))).toEqual(own);
    expect(rows(await cli(['embed', ST, ...texts, '--pooling', 'mean', '--normalize', ...BASELINE]))).toEqual(model.embed(texts, { pooling: 'mean', normalize: true }));
  } finally {
    model.dispose();
  }
});

test('classify: the library\'s labels and probabilities; texts from --file', async () => {
  const model = await loadModel(BERT, { runtime: rt }) as TextEncoderModel;
  const file = join(dir, 'texts.txt');
  writeFileSync(file, `${texts[0]}\n\n${texts[1]}\n`);
  const r = await cli(['classify', BERT, '--file', file, '--json', ...BASELINE]);
  expect(r.code).toBe(0);
  const expected = model.classify(texts);
  // With --file, one JSON object per input line (tests/cli/embed-file.test.ts has the rest).
  expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
    { line: 1, text: texts[0], ...expected[0]! }, { line: 2, text: '', label: null }, { line: 3, text: texts[1], ...expected[1]! }]);
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
  expectOneLineError(await cli(['translate', MARIAN, long]), 1,
    'translate: text 1 ("very very very very very very very very …") has 201 tokens, more than the model\'s maxPositions (64); pass --truncate to cut it');
  // The text's index among the arguments, or its line in --file; and the hint of --truncate.
  const bertMax = (await cli(['classify', BERT, 'short', long])).stderr;
  expect(bertMax).toMatch(/^wasm-nlp: classify: text 2 of 2 \("very very very very very very very very …"\) has \d+ tokens, the model takes at most \d+; pass --truncate to cut it\n$/);
  const file = join(dir, 'texts.txt');
  writeFileSync(file, `short\n\n${long}\n`);
  // With --file the line is named and the run goes on (tests/cli/embed-file.test.ts); --strict stops there.
  expectOneLineError(await cli(['embed', BERT, '--file', file, '--strict']), 1, `embed: line 3 of ${file}: "very very`);
  expectOneLineError(await cli(['embed', BERT, '--file', file, '--strict']), 1, '; pass --truncate to cut it');
  expect((await cli(['classify', BERT, long, '--truncate'])).code).toBe(0);
  expect((await cli(['translate', MARIAN, long, '--truncate', '--max-length', '4'])).code).toBe(0);
});

test('translate --file streams: one output line per input line, an empty line for an empty or refused one (named on stderr, exit 1)', async () => {
  const model = await loadModel(MARIAN, { runtime: rt }) as TextSeq2SeqModel;
  const long = Array.from({ length: 200 }, () => 'very').join(' ');
  const good = ['the big red dog', 'she is very good today', 'a dog', 'the cat is here and there', 'red'];
  const file = join(dir, 'translate.txt');
  writeFileSync(file, [good[0], '', good[1], long, ...good.slice(2)].join('\n') + '\n');
  const r = await cli(['translate', MARIAN, '--file', file, '--max-length', '8', '--batch-size', '2', ...BASELINE]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`translate: line 4 of ${file}: "very very`);
  expect(r.stderr).toContain(`translate: 1 of 7 lines of ${file} failed (the first: line 4)`);
  const want = model.translate(good, { maxLength: 8, batchSize: 2 });
  expect(r.stdout).toBe([want[0], '', want[1], '', ...want.slice(2)].map((t) => t + '\n').join(''));
  const json = await cli(['translate', MARIAN, '--file', file, '--max-length', '8', '--json', ...BASELINE]);
  expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))[0]).toEqual({ line: 1, text: good[0], translation: want[0] });
  // A checkpoint asking for two sequences a text: the CLI still writes one (the best) per line.
  const two = join(dir, 'marian-two');
  cpSync(MARIAN, two, { recursive: true });
  const config = join(two, 'generation_config.json');
  writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), num_beams: 3, num_return_sequences: 2 }));
  writeFileSync(file, good.join('\n') + '\n');
  const best = model.translate(good, { maxLength: 8, numBeams: 3, numReturnSequences: 1 });
  expect((await cli(['translate', two, '--file', file, '--max-length', '8', ...BASELINE])).stdout).toBe(best.map((t) => t + '\n').join(''));
  expect(JSON.parse((await cli(['translate', two, good[0]!, good[1]!, '--max-length', '8', '--json', ...BASELINE])).stdout)).toEqual(
    [{ text: good[0], translation: best[0] }, { text: good[1], translation: best[1] }]);
  model.dispose();
});

test('translate() in batches: each text as alone, in input order; onTextError leaves a refused text empty', async () => {
  const model = await loadModel(MARIAN, { runtime: rt }) as TextSeq2SeqModel;
  const list = ['the big red dog', 'a dog', 'she is very good today', 'red', 'the cat is here and there'];
  const alone = list.map((t) => model.translate(t, { maxLength: 8, numBeams: 2 })[0]);
  for (const batchSize of [1, 2, 8]) expect(model.translate(list, { maxLength: 8, numBeams: 2, batchSize }), `batchSize ${batchSize}`).toEqual(alone);
  const long = Array.from({ length: 200 }, () => 'very').join(' ');
  const refused: number[] = [];
  expect(model.translate([list[0]!, long, list[1]!], { maxLength: 8, numBeams: 2, onTextError: (_, i) => refused.push(i) })).toEqual([alone[0], '', alone[1]]);
  expect(refused).toEqual([1]);
  expect(() => model.translate(list, { batchSize: 0 })).toThrow('translate: option batchSize must be an integer ≥ 1, got 0');
  expect(() => model.stream('red', { batchSize: 2 } as never)).toThrow(/stream: unknown option batchSize/);
  model.dispose();
});

test('quantize writes a q8 folder that classify reads as int8; --dtype picks either at load', async () => {
  const out = join(dir, 'bert-q8');
  const r = await cli(['quantize', BERT, out]);
  expect(r.code).toBe(0);
  // 3 tables, 6 Linears a layer, the pooler and the classifier; biases and LayerNorms stay f32.
  expect(r.stdout).toBe(`${out}: 17 tensors as int8, 24 as f32; model.safetensors 0.06 MB (the input's weights 0.18 MB)\n`);
  expect(r.stderr).toContain('quantizing');
  expect(readdirSync(out).sort()).toEqual(['config.json', 'fixture.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  const q8 = await loadModel(BERT, { runtime: rt, dtype: 'q8' }) as TextEncoderModel;
  const want = q8.classify(texts);
  q8.dispose();
  const fromFolder = await cli(['classify', out, ...texts, '--json', ...BASELINE]);
  expect(JSON.parse(fromFolder.stdout)).toEqual(texts.map((text, i) => ({ text, ...want[i]! })));
  const atLoad = await cli(['classify', BERT, ...texts, '--dtype', 'q8', '--json', ...BASELINE]);
  expect(atLoad.stdout).toBe(fromFolder.stdout);
  const f32 = await loadModel(out, { runtime: rt, dtype: 'f32' }) as TextEncoderModel;
  const dequantized = await cli(['embed', out, ...texts, '--dtype', 'f32', '--json', ...BASELINE]);
  expect(JSON.parse(dequantized.stdout).map((e: { embedding: number[] }) => e.embedding)).toEqual(f32.embed(texts).map((v) => Array.from(v)));
  f32.dispose();
  const json = await cli(['quantize', BERT, join(dir, 'json'), '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ output: join(dir, 'json'), quantized: 17, kept: 24, dropped: [], copied: ['fixture.json', 'tokenizer.json', 'tokenizer_config.json'] });
});

test('errors: no folder, the same folder twice, an output that is not empty, a quantized input, a bad --dtype', async () => {
  expectOneLineError(await cli(['quantize', join(dir, 'nope'), join(dir, 'x')]), 1, `model folder ${join(dir, 'nope')} does not exist`);
  expectOneLineError(await cli(['quantize', BERT, BERT]), 1, `quantizeCheckpoint: the output folder is the input folder (${BERT}); give another one`);
  const full = join(dir, 'full');
  await cli(['quantize', BERT, full]);
  expectOneLineError(await cli(['quantize', BERT, full]), 1, `quantizeCheckpoint: the output folder ${full} is not empty`);
  expectOneLineError(await cli(['quantize', full, join(dir, 'again')]), 1, `quantizeCheckpoint: ${full} is already quantized (wasm-nlp-q8)`);
  const file = join(dir, 'file');
  writeFileSync(file, '');
  expectOneLineError(await cli(['quantize', BERT, join(file, 'out')]), 1, `quantizeCheckpoint: cannot write in ${join(file, 'out')}`);
  expectOneLineError(await cli(['quantize', BERT]), 2, 'quantize: missing <out-dir>');
  expectOneLineError(await cli(['classify', BERT, 'x', '--dtype', 'int8']), 2, "classify: option --dtype must be 'f32' or 'q8', got 'int8'");
});
