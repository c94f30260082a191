// pipeline()'s contract beyond the outputs (which end-to-end.test.ts checks against Hugging Face):
// who owns the model, what a pipeline refuses at build time and at call time, and the options
// that only the glue reads (stride, transformers.js's pooling names, a single target).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { init, loadModel, pipeline, type EntityGroup, type Runtime, type TextEncoderModel } from '../../src/index';

const F = (name: string) => join(__dirname, '..', 'fixtures', name);
let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

describe('who owns the model', () => {
  test('a pipeline on a loaded model leaves it to the caller: two pipelines share it, and options for loading are refused', async () => {
    const model = await loadModel(F('roberta-nli'), { runtime: rt, kind: 'encoder' });
    const classify = await pipeline('text-classification', model);
    const zeroShot = await pipeline('zero-shot-classification', model);
    classify.dispose();
    expect(zeroShot('I love this film', ['positive', 'negative']).labels).toHaveLength(2);
    await expect(pipeline('text-classification', model, { dtype: 'q8' })).rejects.toThrow("pipeline('text-classification'): options dtype are for loading a model; this one is already loaded");
    model.dispose();
    expect(() => zeroShot('I love this film', ['positive'])).toThrow('forward: the model was disposed (dispose() gave its weights back)');
  });
});

describe('refused when built', () => {
  test('zero-shot on a classifier without an entailment label', async () => {
    await expect(pipeline('zero-shot-classification', F('roberta'), { runtime: rt })).rejects.toThrow(/has no entailment label/);
  });
});

describe('options: names and kinds', () => {
  let ner: Awaited<ReturnType<typeof pipeline<'ner'>>>;
  let qa: Awaited<ReturnType<typeof pipeline<'question-answering'>>>;
  let model: TextEncoderModel;
  beforeAll(async () => {
    ner = await pipeline('ner', F('bert-ner'), { runtime: rt });
    qa = await pipeline('question-answering', F('bert-qa'), { runtime: rt });
    model = await loadModel(F('camembert'), { runtime: rt, kind: 'encoder' });
  });
  afterAll(() => {
    ner.dispose();
    qa.dispose();
    model.dispose();
  });

  test('a misspelt or a wrongly typed option is an Error naming it', async () => {
    expect(() => ner('the dog', { aggregation_strategy: 'simple' } as never)).toThrow(/token-classification: unknown option aggregation_strategy \(did you mean aggregationStrategy\?\)/);
    expect(() => qa('who?', 'the dog', { alignToWords: 'no' } as never)).toThrow('question-answering: option alignToWords must be true or false, got "no"');
    expect(() => qa('who?', 'the dog', { topK: '3' } as never)).toThrow('question-answering: option topK must be a number, got "3"');
    expect(() => model.embed('hi', { poolng: 'cls' } as never)).toThrow(/embed: unknown option poolng \(did you mean pooling\?\)/);
  });

  test('question-answering names its own options when the windows cannot be cut', () => {
    expect(() => qa('who?', 'the dog', { maxSeqLen: 500 })).toThrow("question-answering: option maxSeqLen 500 is more than the model's 38 tokens");
    const long = Array.from({ length: 40 }, () => 'dog').join(' ');
    expect(() => qa(long, 'the dog was happy')).toThrow(/^question-answering \(maxSeqLen 38, docStride 19\): /);
  });

  test('token-classification: a text past the model is refused with the hint, and with stride runs in windows', () => {
    const words = ['the', 'dog', 'was', 'happy', 'and', 'the', 'cat', 'was', 'sad'];
    const long = Array.from({ length: 60 }, (_, i) => words[i % words.length]).join(' ');
    expect(() => ner(long)).toThrow(/token-classification: the text has \d+ tokens, more than the model's 38; pass option stride to run it in windows/);
    expect(() => ner(long, { stride: 8 })).toThrow("token-classification: option stride processes the whole text in windows, which needs an aggregationStrategy other than 'none'");
    const entities = ner(long, { stride: 8, aggregationStrategy: 'simple', ignoreLabels: [] }) as EntityGroup[];
    // Every entity points into the text, in order, and together they cover its words past the first window.
    for (const e of entities) expect(long.slice(e.start!, e.end!).length).toBe(e.end! - e.start!);
    expect(entities.map((e) => e.start!)).toEqual([...entities.map((e) => e.start!)].sort((a, b) => a - b));
    expect(entities.at(-1)!.end).toBe(long.length);
  });

  test("feature-extraction: transformers.js's pooling names, and normalize over every token", async () => {
    const fe = await pipeline('feature-extraction', F('mpnet-st'), { runtime: rt });
    try {
      expect(fe('the dog', { pooling: 'first_token' }).data).toEqual(fe('the dog', { pooling: 'cls' }).data);
      expect(fe('the dog', { pooling: 'last_token' }).data).toEqual(fe('the dog', { pooling: 'lasttoken' }).data);
      const { dims, data } = fe('the dog', { normalize: true });
      for (let r = 0; r < dims[1]!; r++) expect(Math.hypot(...data.subarray(r * dims[2]!, (r + 1) * dims[2]!))).toBeCloseTo(1, 5);
    } finally {
      fe.dispose();
    }
  });

  test('feature-extraction with pooling runs many texts in batches: each row equals the text alone, in input order', async () => {
    const fe = await pipeline('feature-extraction', F('mpnet-st'), { runtime: rt });
    try {
      const words = ['the', 'dog', 'was', 'happy', 'and', 'the', 'cat', 'sad', 'today'];
      // 70 texts (three batches), lengths 1 to 9 words in no order.
      const list = Array.from({ length: 70 }, (_, i) => words.slice(0, 1 + ((i * 7) % 9)).join(' '));
      const forward = vi.spyOn(fe.model.model, 'forward');
      const { dims, data } = fe(list, { pooling: 'mean', normalize: true });
      // Batches of 32, longest texts first: the last batch holds only short texts.
      const batches = forward.mock.calls.map(([input]) => input.inputIds);
      expect(batches.map((b) => b.length)).toEqual([32, 32, 6]);
      expect(Math.max(...batches[2]!.map((ids) => ids.length))).toBeLessThan(Math.max(...batches[0]!.map((ids) => ids.length)));
      forward.mockRestore();
      expect(dims).toEqual([70, dims[1]]);
      list.forEach((t, i) => {
        const alone = fe(t, { pooling: 'mean', normalize: true }).data;
        const row = data.subarray(i * dims[1]!, (i + 1) * dims[1]!);
        expect(Math.max(...row.map((v, j) => Math.abs(v - alone[j]!))), `text ${i}`).toBeLessThan(1e-6);
      });
    } finally {
      fe.dispose();
    }
  });

  test('fill-mask: one target as a string; a target that is not a token says how it tokenizes', async () => {
    const fill = await pipeline('fill-mask', model);
    const token = model.tokenizer.id_to_token(10)!;
    const one = fill('le chat <mask>', { targets: token });
    expect(Array.isArray(one) && one.length).toBe(1);
    expect(() => fill('le chat <mask>', { targets: ['chatxyzzy'] })).toThrow(/fill-mask: target "chatxyzzy" is not a token of the vocabulary \(it tokenizes as .+\); give tokens/);
  });
});
