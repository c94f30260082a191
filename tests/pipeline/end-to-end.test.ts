// pipeline(task, folder) end to end against tools/make_pipeline_fixtures.py: what Hugging Face's
// Python pipelines return on the random-weight model fixtures, computed there without this code
// (its own WordPiece with offsets, GPT-2's bpe(), sentencepiece; the torch forward passes of
// make_family_fixtures.py / make_transformer_fixtures.py; HF's post-processing transcribed in
// pipeline_reference.py). Labels, entity groups, words, offsets, answers, tokens, sequences and
// translations must be equal; scores agree to 1e-5.
//
// Why 1e-5: the model runs in float32 here (SIMD kernels, another summation order, fused
// multiply-adds in the relaxed build) and in torch there, so logits differ by about 1e-6; the
// scores are probabilities (softmax, products of two, averages, sums over windows), which move no
// more than the logits do. A wrong softmax, span, word merge, average or window would be off by far
// more. The generator re-runs every case with noise of 1e-4 on the logits and refuses cases whose
// labels, spans or order change: so no exact comparison below sits on a near-tie.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeWithOffsets, encodeWindows, init, pipeline, type Runtime, type Task } from '../../src/index';
import type { Encoding } from '../../src/tokenizer/encoding';
import { fixture } from './decoders';

const FIXTURES = join('tests', 'fixtures');
const TOLERANCE = 1e-5;

type TextInput = string | { text: string; text_pair: string };
interface Result<O = Record<string, unknown>> { options: O; output: unknown }
interface Fixture {
  noise: number;
  tokenClassification: { model: string; text: string; results: Result[] }[];
  questionAnswering: {
    model: string; question: string; context: string; maxSeqLen: number; docStride: number;
    windows: { ids: number[]; offsets: [number, number][] }[]; results: Result[];
  }[];
  fillMask: { model: string; text: string; results: Result[] }[];
  textClassification: { model: string; input: TextInput | TextInput[]; results: Result<{ topK?: number | null }>[] }[];
  zeroShotClassification: { model: string; text: string; candidateLabels: string | string[]; results: Result[] }[];
  featureExtraction: { model: string; texts: string[]; options: Record<string, unknown>; dims: number[]; data: number[] }[];
  translation: { model: string; texts: string[]; results: Result[] }[];
  encodings: { model: string; text: string; pair: string | null; encoding: Encoding }[];
}

const FX = fixture<Fixture>('end-to-end.json');

let rt: Runtime;
const pipes = new Map<string, Promise<{ dispose(): void }>>();
beforeAll(async () => {
  rt = await init();
});
afterAll(async () => {
  for (const p of pipes.values()) (await p).dispose();
  rt.dispose();
});

/** One pipeline per (task, model), loaded from the fixture folder as a user would. */
function get<T extends Task>(task: T, model: string): Promise<Awaited<ReturnType<typeof pipeline<T>>>> {
  const key = `${task} ${model}`;
  if (!pipes.has(key)) pipes.set(key, pipeline(task, join(FIXTURES, model), { runtime: rt }));
  return pipes.get(key)! as Promise<Awaited<ReturnType<typeof pipeline<T>>>>;
}

/**
 * The output with every score replaced by 0, and the scores in order: the first must be equal,
 * the second within TOLERANCE. `score` (a number) and `scores` (an array) are HF's score fields.
 */
function split(x: unknown, scores: number[] = []): { shape: unknown; scores: number[] } {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, y]) => {
        if (k === 'score' && typeof y === 'number') { scores.push(y); return [k, 0]; }
        if (k === 'scores' && Array.isArray(y)) { scores.push(...(y as number[])); return [k, y.map(() => 0)]; }
        return [k, walk(y)];
      }));
    }
    return v;
  };
  return { shape: walk(x), scores };
}

function expectOutput(got: unknown, want: unknown): void {
  const g = split(got), w = split(want);
  expect(g.shape).toEqual(w.shape);
  expect(g.scores).toHaveLength(w.scores.length);
  const worst = Math.max(0, ...g.scores.map((s, i) => Math.abs(s - w.scores[i]!)));
  expect(worst).toBeLessThan(TOLERANCE);
}

describe('the reference covers what it claims', () => {
  test('fixture contents', () => {
    const models = (list: { model: string }[]) => [...new Set(list.map((c) => c.model))].sort();
    expect(models(FX.tokenClassification)).toEqual(['bert-ner', 'distilbert-ner', 'roberta-ner', 'xlm-roberta-ner']);
    expect(models(FX.questionAnswering)).toEqual(['bert-qa', 'distilbert-qa', 'mpnet-qa', 'roberta-qa']);
    expect(models(FX.fillMask)).toEqual(['bert-mlm', 'camembert', 'distilbert-mlm', 'mpnet-mlm']);
    expect(models(FX.featureExtraction)).toEqual(['mpnet-st', 'xlm-roberta']);
    // every aggregation strategy on every token-classification case
    for (const c of FX.tokenClassification) {
      expect(c.results.map((r) => r.options['aggregationStrategy'])).toEqual(['none', 'simple', 'first', 'average', 'max']);
    }
    // a word split into pieces, an unknown word reported as its text, a repeated word
    const bert = FX.tokenClassification.find((c) => c.model === 'bert-ner')!;
    const none = bert.results[0]!.output as { word: string; index: number }[];
    expect(FX.encodings.find((e) => e.model === 'bert-ner' && e.text === bert.text)!.encoding.tokens).toEqual(expect.arrayContaining(['dog', '##s', '[UNK]']));
    expect(none.map((e) => e.word)).toContain('were'); // [UNK] shows as the text it covers
    const first = bert.results[2]!.output as { word: string }[];
    expect(first.filter((e) => e.word.includes('dogs'))).toHaveLength(2);
    // every QA model has a context that needs several windows at the default max_seq_len / doc_stride
    for (const m of ['bert-qa', 'distilbert-qa', 'mpnet-qa', 'roberta-qa']) {
      const cases = FX.questionAnswering.filter((c) => c.model === m && c.windows.length >= 3 && c.maxSeqLen === 38);
      expect(cases.length).toBeGreaterThan(0);
    }
    expect(FX.fillMask.some((c) => c.results.some((r) => 'targets' in r.options))).toBe(true);
    expect(FX.fillMask.some((c) => Array.isArray((c.results[0]!.output as unknown[])[0]))).toBe(true); // two masks
    expect(FX.noise).toBe(1e-4);
  });
});

const ROBERTA_PROCESSING = new Set(['roberta', 'roberta-nli', 'roberta-ner', 'roberta-qa']);

describe('tokenization with offsets (the encodings the reference ran)', () => {
  const TASK: Record<string, Task> = {
    'bert-ner': 'ner', 'distilbert-ner': 'token-classification', 'roberta-ner': 'token-classification', 'xlm-roberta-ner': 'token-classification',
    'bert-qa': 'question-answering', 'distilbert-qa': 'question-answering', 'mpnet-qa': 'question-answering', 'roberta-qa': 'question-answering',
    'bert-mlm': 'fill-mask', 'distilbert-mlm': 'fill-mask', 'mpnet-mlm': 'fill-mask', 'camembert': 'fill-mask',
    'roberta': 'text-classification', 'roberta-nli': 'zero-shot-classification', 'mpnet-st': 'feature-extraction', 'xlm-roberta': 'feature-extraction',
  };
  for (const e of FX.encodings) {
    test(`${e.model}: ${JSON.stringify(e.text)}${e.pair === null ? '' : ` + ${JSON.stringify(e.pair)}`}`, async () => {
      const p = await get(TASK[e.model]!, e.model);
      const got = encodeWithOffsets(p.model.tokenizer, e.text, { pair: e.pair });
      // RoBERTa's type ids: the test below (the model has one token type and reads none)
      const keys = ['ids', 'tokens', 'offsets', 'wordIds', 'sequenceIds', 'specialTokensMask', ...(ROBERTA_PROCESSING.has(e.model) ? [] : ['typeIds'] as const)] as const;
      expect(Object.fromEntries(keys.map((k) => [k, got[k]]))).toEqual(Object.fromEntries(keys.map((k) => [k, e.encoding[k]])));
    });
  }

  test('RobertaProcessing gives every token type id 0, the pair\'s too (tokenizers\' processors/roberta.rs)', async () => {
    const e = FX.encodings.find((x) => x.model === 'roberta' && x.pair !== null)!;
    const p = await get('text-classification', 'roberta');
    expect(encodeWithOffsets(p.model.tokenizer, e.text, { pair: e.pair }).typeIds).toEqual(e.encoding.typeIds);
    expect(new Set(e.encoding.typeIds)).toEqual(new Set([0]));
  });
});

describe('token-classification', () => {
  for (const c of FX.tokenClassification) {
    for (const r of c.results) {
      test(`${c.model} ${r.options['aggregationStrategy']}: ${JSON.stringify(c.text)}`, async () => {
        const ner = await get(c.model === 'bert-ner' ? 'ner' : 'token-classification', c.model);
        expectOutput(ner(c.text, r.options as { aggregationStrategy: 'simple' }), r.output);
      });
    }
  }

  test('a batch gives each text\'s result', async () => {
    const cases = FX.tokenClassification.filter((c) => c.model === 'roberta-ner');
    const ner = await get('token-classification', 'roberta-ner');
    const got = ner(cases.map((c) => c.text), { aggregationStrategy: 'first' });
    got.forEach((g, i) => expectOutput(g, cases[i]!.results.find((r) => r.options['aggregationStrategy'] === 'first')!.output));
  });
});

describe('question-answering', () => {
  for (const c of FX.questionAnswering) {
    test(`${c.model}: the windows of ${JSON.stringify(c.question)} (max_seq_len ${c.maxSeqLen}, doc_stride ${c.docStride})`, async () => {
      const qa = await get('question-answering', c.model);
      const windows = encodeWindows(qa.model.tokenizer, c.question, c.context, { maxLength: c.maxSeqLen, stride: c.docStride });
      expect(windows.map((w) => ({ ids: w.ids, offsets: w.offsets }))).toEqual(c.windows);
    });
    for (const r of c.results) {
      test(`${c.model} ${JSON.stringify(r.options)}: ${JSON.stringify(c.question)} in ${c.context.length} characters, ${c.windows.length} windows`, async () => {
        const qa = await get('question-answering', c.model);
        expectOutput(qa(c.question, c.context, r.options), r.output);
      });
    }
  }
});

describe('fill-mask', () => {
  for (const c of FX.fillMask) {
    for (const r of c.results) {
      test(`${c.model} ${JSON.stringify(r.options)}: ${JSON.stringify(c.text)}`, async () => {
        const fill = await get('fill-mask', c.model);
        expectOutput(fill(c.text, r.options), r.output);
      });
    }
  }
});

describe('text-classification', () => {
  for (const c of FX.textClassification) {
    for (const r of c.results) {
      test(`${c.model} ${JSON.stringify(r.options)}: ${JSON.stringify(c.input)}`, async () => {
        const classify = await get('text-classification', c.model);
        expectOutput(classify(c.input as TextInput[], r.options), r.output); // either overload: the input decides
      });
    }
  }

  test('the alias sentiment-analysis', async () => {
    const c = FX.textClassification.find((x) => Array.isArray(x.input))!;
    const r = c.results.find((x) => x.options.topK === null)!;
    expectOutput((await get('sentiment-analysis', c.model))(c.input as TextInput[], r.options), r.output);
  });
});

describe('zero-shot-classification', () => {
  for (const c of FX.zeroShotClassification) {
    for (const r of c.results) {
      test(`${c.model} ${JSON.stringify(r.options)}: ${JSON.stringify(c.text)}`, async () => {
        const zs = await get('zero-shot-classification', c.model);
        expectOutput(zs(c.text, c.candidateLabels, r.options), r.output);
      });
    }
  }
});

describe('feature-extraction', () => {
  for (const c of FX.featureExtraction) {
    test(`${c.model} ${JSON.stringify(c.options)}: ${c.texts.length} text(s)`, async () => {
      const fe = await get('feature-extraction', c.model);
      const got = fe(c.texts.length === 1 ? c.texts[0]! : c.texts, c.options);
      expect(got.dims).toEqual(c.dims);
      expect(got.data).toHaveLength(c.data.length);
      const worst = Math.max(...Array.from(got.data, (x, i) => Math.abs(x - c.data[i]!)));
      expect(worst).toBeLessThan(TOLERANCE);
    });
  }
});

describe('translation', () => {
  for (const c of FX.translation) {
    for (const r of c.results) {
      test(`${c.model} ${JSON.stringify(r.options)}: one text at a time and as a batch`, async () => {
        const translate = await get('translation', c.model);
        const want = r.output as { translation_text: string }[];
        c.texts.forEach((t, i) => expect(translate(t, r.options)).toEqual([want[i]]));
        expect(translate(c.texts, r.options)).toEqual(want);
      });
    }
  }
});

describe('errors a user meets', () => {
  test('a task whose head the checkpoint lacks: the task and the head\'s tensor are named', async () => {
    await expect(pipeline('question-answering', join(FIXTURES, 'bert-ner'), { runtime: rt }))
      .rejects.toThrow(/pipeline\('question-answering'\).*question-answering head.*qa_outputs\.weight/);
    await expect(pipeline('fill-mask', join(FIXTURES, 'roberta-qa'), { runtime: rt })).rejects.toThrow(/pipeline\('fill-mask'\).*lm_head/);
    await expect(pipeline('ner', join(FIXTURES, 'mpnet-st'), { runtime: rt })).rejects.toThrow(/pipeline\('ner'\).*token-classification head/);
  });

  test('an encoder for translation, a translation model for an encoder task', async () => {
    await expect(pipeline('translation', join(FIXTURES, 'roberta'), { runtime: rt })).rejects.toThrow(/translation needs a sequence-to-sequence model/);
    await expect(pipeline('fill-mask', join(FIXTURES, 'marian'), { runtime: rt })).rejects.toThrow(/pipeline\('fill-mask'\).*needs an encoder/);
  });

  test('an empty question or context', async () => {
    const qa = await get('question-answering', 'bert-qa');
    expect(() => qa('', 'the dog was sleeping')).toThrow(/question-answering: the question is empty/);
    expect(() => qa('where was the dog?', '  \n')).toThrow(/question-answering: the context is empty/);
  });

  test('a fill-mask text without the mask token names the token to write', async () => {
    const bert = await get('fill-mask', 'bert-mlm');
    expect(() => bert('The dog was sleeping.')).toThrow(/fill-mask: the text has no mask token \[MASK\]/);
    const camembert = await get('fill-mask', 'camembert');
    expect(() => camembert('the old house was [MASK]')).toThrow(/no mask token <mask>/);
  });

  test('an unknown task', async () => {
    await expect(pipeline('summarization' as Task, join(FIXTURES, 'bert-ner'))).rejects.toThrow(/pipeline: unknown task "summarization" \(known: .*fill-mask/);
  });

  test('an unknown option is named', async () => {
    const classify = await get('text-classification', 'roberta');
    expect(() => classify('the house was old', { topk: 2 } as never)).toThrow(/text-classification: unknown option topk \(did you mean topK\?\)/);
    const ner = await get('ner', 'bert-ner');
    expect(() => ner('the dog', { aggregation_strategy: 'first' } as never)).toThrow(/unknown option aggregation_strategy/);
    const qa = await get('question-answering', 'bert-qa');
    expect(() => qa('where?', 'the dog', { top_k: 2 } as never)).toThrow(/question-answering: unknown option top_k/);
  });
});
