// The two tiny trained models of data/models (tools/train_tiny_models.py) against what torch computed
// with the same float16 weights (each folder's reference.json): the translator's greedy ids and texts
// exactly, in a batch and one text at a time; the classifier's probabilities to 1e-5 and its labels;
// and each accuracy recomputed from our outputs equals the recorded one. Then both in q8 (int8
// weights): the classifier's labels and the translator's exact-match rate against f32's, printed,
// and their quantized checkpoints (quantizeCheckpoint) giving the same outputs. Runtime: init().
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, quantizeCheckpoint, type Runtime } from '../../src/index';
import { loadModel } from '../../src/transformer/load';
import { TextEncoderModel } from '../../src/transformer/text-encoder';
import { TextSeq2SeqModel } from '../../src/transformer/text-seq2seq';

const DATA = join(__dirname, '..', '..', 'data');
// WASM_NLP_TINY_MODELS: another output folder of the training script, to check a retrained pair before it replaces data/models.
const MODELS = process.env.WASM_NLP_TINY_MODELS ?? join(DATA, 'models');
const TRANSLATOR = join(MODELS, 'number-translator');
const CLASSIFIER = join(MODELS, 'book-classifier');

interface Translation {
  direction: string; text: string; input_ids: number[]; expected: string;
  output_ids: number[]; output: string; correct: boolean;
}
interface Passage { text: string; input_ids: number[]; label: string; probabilities: number[]; predicted: string }

const translations = JSON.parse(readFileSync(join(TRANSLATOR, 'reference.json'), 'utf8'));
const classifications = JSON.parse(readFileSync(join(CLASSIFIER, 'reference.json'), 'utf8'));
const examples: Translation[] = translations.examples;
const passages: Passage[] = classifications.examples;

let rt: Runtime, translator: TextSeq2SeqModel, classifier: TextEncoderModel;
beforeAll(async () => {
  rt = await init();
  const t = await loadModel(TRANSLATOR, { runtime: rt });
  const c = await loadModel(CLASSIFIER, { runtime: rt });
  if (!(t instanceof TextSeq2SeqModel) || !(c instanceof TextEncoderModel)) throw new Error('data/models: a translator and a classifier were expected');
  translator = t;
  classifier = c;
});
afterAll(() => {
  translator?.dispose();
  classifier?.dispose();
  rt?.dispose();
});

/** `n` words of data/corpus-pd4m.txt.gz from token offset `start`. Its lines hold 1,000 tokens each
 * (data/README.md), so only the lines a passage touches are split. */
const corpusLines = gunzipSync(readFileSync(join(DATA, 'corpus-pd4m.txt.gz'))).toString('latin1').split('\n');
const lineWords = new Map<number, string[]>();
function corpusWords(start: number, n: number): string {
  const words: string[] = [];
  for (let t = start; t < start + n; t++) {
    const i = Math.floor(t / 1000);
    if (!lineWords.has(i)) lineWords.set(i, corpusLines[i]!.trim().split(/\s+/));
    words.push(lineWords.get(i)![t % 1000]!);
  }
  return words.join(' ');
}

/** A generated sequence up to and including its first EOS (the rest is padding). */
function trimmed(seq: number[], eos: number): number[] {
  const end = seq.indexOf(eos);
  return end < 0 ? seq : seq.slice(0, end + 1);
}

test('the translator\'s tokenizer gives torch\'s input ids, one digit or word a token', () => {
  for (const e of examples) expect(translator.tokenizer.encode(e.text).ids, e.text).toEqual(e.input_ids);
  expect(translator.tokenizer.encode('>>words<< 342').tokens).toEqual(['▁>>words<<', '▁3', '4', '2', '</s>']);
});

test('the translator reproduces torch\'s greedy ids and texts on every held-out example, in one batch', () => {
  const { num_beams: numBeams, max_length: maxLength } = translations.generation;
  const eos = translator.config.eosTokenId!;
  const ids = translator.model.generate(examples.map((e) => e.input_ids), { numBeams, maxLength });
  ids.forEach((seq, i) => expect(trimmed(seq, eos), examples[i]!.text).toEqual(examples[i]!.output_ids));
  // translate() takes num_beams and max_length from generation_config.json
  expect(translator.translate(examples.map((e) => e.text))).toEqual(examples.map((e) => e.output));
});

test('the translator reproduces torch one text at a time, and its accuracies are the recorded ones', () => {
  const { num_beams: numBeams, max_length: maxLength } = translations.generation;
  const eos = translator.config.eosTokenId!;
  const right: Record<string, number[]> = {};
  for (const e of examples) {
    const ids = translator.model.generate([e.input_ids], { numBeams, maxLength })[0]!;
    expect(trimmed(ids, eos), e.text).toEqual(e.output_ids);
    const out = translator.tokenizer.decode(ids, { skip_special_tokens: true });
    expect(out, e.text).toBe(e.output);
    (right[e.direction] ??= []).push(out === e.expected ? 1 : 0);
  }
  for (const [direction, hits] of Object.entries(right)) {
    expect(hits.reduce((a, x) => a + x, 0) / hits.length, direction).toBe(translations.accuracy[direction]);
  }
  expect(Object.keys(right).sort()).toEqual(Object.keys(translations.accuracy).sort());
});

test('the classifier\'s probabilities are torch\'s to 1e-5, with the same labels', () => {
  const labels: string[] = classifications.labels;
  expect(labels.map((_, i) => classifier.config.id2label?.[i])).toEqual(labels);
  for (const p of passages) expect(classifier.tokenizer.encode(p.text).ids).toEqual(p.input_ids);
  const out = classifier.classify(passages.map((p) => p.text));
  let worst = 0;
  out.forEach((o, i) => {
    labels.forEach((label, k) => { worst = Math.max(worst, Math.abs(o.probabilities[label]! - passages[i]!.probabilities[k]!)); });
    expect(o.label, passages[i]!.text).toBe(passages[i]!.predicted);
  });
  expect(worst).toBeLessThan(1e-5);
  const right = out.filter((o, i) => o.label === passages[i]!.label).length;
  expect(right / passages.length).toBe(classifications.reference_accuracy);
});

test('the classifier\'s held-out accuracy, recomputed over every passage it counts, is the recorded one', () => {
  const { window, passages: counted } = classifications.accuracy_passages as { window: number; passages: [number, number, number][] };
  const labels: string[] = classifications.labels;
  const out = classifier.classify(counted.map(([, start]) => corpusWords(start, window)));
  out.forEach((o, i) => expect(o.label, `passage at token ${counted[i]![1]}`).toBe(labels[counted[i]![2]]));
  const perBook = labels.map((label, b) => {
    const mine = counted.flatMap(([truth], i) => (truth === b ? [out[i]!.label === label ? 1 : 0] : []));
    return mine.reduce((a: number, x) => a + x, 0) / mine.length;
  });
  expect(Object.fromEntries(labels.map((l, b) => [l, perBook[b]]))).toEqual(classifications.accuracy.per_book);
  const overall = counted.filter(([truth], i) => out[i]!.label === labels[truth]).length / counted.length;
  expect(overall).toBe(classifications.accuracy.overall);
});

describe('in q8', () => {
  let translatorQ8: TextSeq2SeqModel, classifierQ8: TextEncoderModel;
  beforeAll(async () => {
    translatorQ8 = await loadModel(TRANSLATOR, { runtime: rt, dtype: 'q8' }) as TextSeq2SeqModel;
    classifierQ8 = await loadModel(CLASSIFIER, { runtime: rt, dtype: 'q8' }) as TextEncoderModel;
  });
  afterAll(() => {
    translatorQ8?.dispose();
    classifierQ8?.dispose();
  });

  test('the classifier gives the f32 model\'s label on at least 99% of its held-out passages', () => {
    const { window, passages: counted } = classifications.accuracy_passages as { window: number; passages: [number, number, number][] };
    const labels: string[] = classifications.labels;
    const texts = counted.map(([, start]) => corpusWords(start, window));
    const f32 = classifier.classify(texts), q8 = classifierQ8.classify(texts);
    const agree = q8.filter((o, i) => o.label === f32[i]!.label).length / texts.length;
    const accuracy = (out: typeof q8) => out.filter((o, i) => o.label === labels[counted[i]![0]]).length / texts.length;
    console.log(`book-classifier q8: same label as f32 on ${(100 * agree).toFixed(2)}% of ${texts.length} held-out passages; ` +
      `accuracy ${(100 * accuracy(q8)).toFixed(2)}% (f32 ${(100 * accuracy(f32)).toFixed(2)}%)`);
    expect(agree).toBeGreaterThanOrEqual(0.99);
  });

  test('the translator\'s exact-match rate is within 1 point of f32\'s', () => {
    const q8 = translatorQ8.translate(examples.map((e) => e.text));
    const rate = (outputs: string[]) => outputs.filter((o, i) => o === examples[i]!.expected).length / examples.length;
    const f32Rate = rate(examples.map((e) => e.output)), q8Rate = rate(q8);
    const sameOutput = q8.filter((o, i) => o === examples[i]!.output).length;
    console.log(`number-translator q8: exact match ${(100 * q8Rate).toFixed(2)}% (f32 ${(100 * f32Rate).toFixed(2)}%) over ${examples.length} held-out examples; ` +
      `${sameOutput} outputs identical to f32's`);
    expect(Math.abs(q8Rate - f32Rate)).toBeLessThanOrEqual(0.01);
  });

  test('their quantized checkpoints (from float16) load as q8 and give the same outputs as quantizing at load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-tiny-q8-'));
    try {
      for (const [source, atLoad] of [[TRANSLATOR, translatorQ8], [CLASSIFIER, classifierQ8]] as const) {
        const out = join(dir, source.split('/').at(-1)!);
        await quantizeCheckpoint(source, out);
        const f16Bytes = statSync(join(source, 'model.safetensors')).size, q8Bytes = statSync(join(out, 'model.safetensors')).size;
        console.log(`${source.split('/').at(-1)}: model.safetensors ${f16Bytes} bytes in float16, ${q8Bytes} in q8`);
        const model = await loadModel(out, { runtime: rt });
        try {
          if (model instanceof TextSeq2SeqModel) {
            const texts = examples.slice(0, 40).map((e) => e.text);
            expect(model.translate(texts)).toEqual((atLoad as TextSeq2SeqModel).translate(texts));
          } else {
            const texts = passages.slice(0, 40).map((p) => p.text);
            expect((model as TextEncoderModel).classify(texts)).toEqual((atLoad as TextEncoderModel).classify(texts));
          }
        } finally {
          model.dispose();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
