// Every family and head against PyTorch: the fixtures of tools/make_family_fixtures.py (plain
// torch following Hugging Face's modeling code, cross-checked there against torch.nn), loaded
// as a user loads them (loadModel on the folder: config.json, safetensors, tokenizer.json,
// modules.json). Hidden states, heads, the tokenizer's ids, and a padded batch against the
// same texts one by one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, loadModel, type Runtime, type TextEncoderModel } from '../../src/index';
import type { EncoderOutput } from '../../src/transformer/encoder';
import { parseSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { countParameters } from '../../src/transformer/count-parameters';
import { relativeBucket } from '../../src/transformer/relative-position';

const FIXTURES = join(__dirname, '..', 'fixtures');
type T = { shape: number[]; data: number[] };
type Fixture = {
  architecture: string;
  inputs: {
    texts: { text: string; text_pair: string | null }[];
    encodings: { input_ids: number[]; token_type_ids?: number[] }[];
    input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][];
  };
  outputs: Record<string, T>;
  sentence_transformers?: { pooling: string; normalize: boolean; sentence_embedding: T };
};

const read = (name: string): Fixture => JSON.parse(readFileSync(join(FIXTURES, name, 'fixture.json'), 'utf8'));

/** Largest |a − b| over the rows the mask keeps (HF's padding rows are arbitrary); `width` values a row. */
function maxDiff(got: ArrayLike<number>, want: ArrayLike<number>, width: number, keep?: Uint8Array): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    if (keep && !keep[Math.floor(i / width)]) continue;
    m = Math.max(m, Math.abs(got[i]! - want[i]!));
  }
  return m;
}

let rt: Runtime;
const models = new Map<string, TextEncoderModel>();
beforeAll(async () => {
  rt = await init();
});
afterAll(() => {
  for (const m of models.values()) m.dispose();
  rt.dispose();
});

async function model(name: string): Promise<TextEncoderModel> {
  if (!models.has(name)) models.set(name, await loadModel(join(FIXTURES, name), { runtime: rt, kind: 'encoder' }));
  return models.get(name)!;
}

function run(m: TextEncoderModel, f: Fixture): EncoderOutput {
  const i = f.inputs;
  return m.model.forward({ inputIds: i.input_ids, attentionMask: i.attention_mask, tokenTypeIds: i.token_type_ids, outputHiddenStates: true });
}

const ENCODERS = [
  'roberta', 'xlm-roberta', 'camembert', 'mpnet',
  'bert-ner', 'bert-qa', 'bert-mlm', 'distilbert-ner', 'distilbert-qa', 'distilbert-mlm',
  'roberta-ner', 'roberta-qa', 'roberta-nli', 'xlm-roberta-ner', 'mpnet-mlm', 'mpnet-qa',
];

describe.each(ENCODERS)('%s against PyTorch', (name) => {
  const f = read(name);

  test('the tokenizer gives the reference ids', async () => {
    const m = await model(name);
    f.inputs.texts.forEach((t, i) => {
      const e = m.tokenizer.encode(t.text, { text_pair: t.text_pair, return_token_type_ids: true });
      expect(e.ids, `text ${i}`).toEqual(f.inputs.encodings[i]!.input_ids);
    });
  });

  test('every hidden state to 1e-4, and a padded batch equals the texts one by one', async () => {
    const m = await model(name);
    const out = run(m, f);
    const D = m.config.dModel, o = f.outputs;
    expect(out.hiddenStates).toHaveLength((o.hidden_states as unknown as T[]).length);
    out.hiddenStates!.forEach((h, i) => expect(maxDiff(h, (o.hidden_states as unknown as T[])[i]!.data, D, out.attentionMask), `hidden state ${i}`).toBeLessThan(1e-4));
    const last = maxDiff(out.lastHiddenState, o.last_hidden_state!.data, D, out.attentionMask);
    console.log(`${name}: largest difference from PyTorch in the last hidden state ${last.toExponential(2)}`);
    expect(last).toBeLessThan(1e-4);
    // One by one, unpadded: the same states as in the batch (padding never shifts positions).
    f.inputs.encodings.forEach((e, b) => {
      const alone = m.model.forward({ inputIds: [e.input_ids], tokenTypeIds: e.token_type_ids ? [e.token_type_ids] : undefined });
      const n = e.input_ids.length;
      const batched = out.lastHiddenState.subarray(b * out.T * D, (b * out.T + n) * D);
      expect(maxDiff(alone.lastHiddenState, batched, D), `text ${b} alone`).toBeLessThan(1e-5);
      expect(maxDiff(alone.lastHiddenState, (o.single as unknown as T[])[b]!.data, D), `text ${b} alone vs torch`).toBeLessThan(1e-4);
    });
  });

  test('the head agrees with PyTorch', async () => {
    const m = await model(name);
    const out = run(m, f);
    const o = f.outputs;
    const head = m.config.head;
    if (o.pooler_output) expect(maxDiff(m.model.pooler(out), o.pooler_output.data, 1)).toBeLessThan(1e-4);
    if (head === 'sequence-classification') {
      const d = maxDiff(m.model.logits(out), o.logits!.data, 1);
      console.log(`${name}: largest logit difference from PyTorch ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
      expect(m.classify(f.inputs.texts.map((t) => (t.text_pair === null ? t.text : [t.text, t.text_pair] as [string, string]))).map((c) => c.label))
        .toEqual(o.predicted_labels);
    } else if (head === 'token-classification') {
      const labels = o.logits!.shape.at(-1)!;
      const logits = m.model.tokenLogits(out);
      const d = maxDiff(logits, o.logits!.data, labels, out.attentionMask);
      console.log(`${name}: largest token-logit difference from PyTorch ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
      const predicted = f.inputs.encodings.map((e, b) => e.input_ids.map((_, t) => {
        const row = Array.from(logits.subarray((b * out.T + t) * labels, (b * out.T + t + 1) * labels));
        return m.config.id2label![row.indexOf(Math.max(...row))];
      }));
      expect(predicted).toEqual((o.predicted_labels as unknown as string[][]).map((p, b) => p.slice(0, f.inputs.encodings[b]!.input_ids.length)));
    } else if (head === 'question-answering') {
      const { start, end } = m.model.spanLogits(out);
      const d = Math.max(maxDiff(start, o.start_logits!.data, 1, out.attentionMask), maxDiff(end, o.end_logits!.data, 1, out.attentionMask));
      console.log(`${name}: largest span-logit difference from PyTorch ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
    } else if (head === 'masked-lm') {
      const positions = o.mask_positions as unknown as [number, number][];
      const logits = m.model.maskedLmLogits(out, positions.map(([b, t]) => b * out.T + t));
      const V = m.config.vocabSize;
      const d = maxDiff(logits, o.mask_logits!.data, V);
      console.log(`${name}: largest masked-LM logit difference from PyTorch ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
      const top5 = positions.map((_, i) => {
        const row = Array.from(logits.subarray(i * V, (i + 1) * V));
        return row.map((x, id) => [x, id] as const).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, id]) => id);
      });
      expect(top5).toEqual(o.mask_top5);
    } else {
      expect(f.architecture).toMatch(/Model$/);
    }
  });
});

describe('sentence-transformers folders: embed() uses the checkpoint\'s own pooling and normalisation', () => {
  test.each(['xlm-roberta', 'mpnet-st'])('%s', async (name) => {
    const f = read(name), st = f.sentence_transformers!;
    const m = await model(name);
    // sentence_bert_config.json's max_seq_length (38) bounds embed(), as SentenceTransformer's.
    expect(m.sentenceEmbedding).toEqual({ pooling: [st.pooling], normalize: st.normalize, maxSeqLength: 38 });
    const long = Array.from({ length: 60 }, () => 'the').join(' ');
    expect(() => m.embed(long)).toThrow(/embed: text 0 has \d+ tokens, the model takes at most 38; pass truncation: 'truncate' to cut it/);
    expect(m.embed(long, { truncation: 'truncate' })[0]).toHaveLength(m.config.dModel);
    // embed() takes single texts: the fixture's rows that are not pairs.
    const rows = f.inputs.texts.flatMap((t, i) => (t.text_pair === null ? [i] : []));
    const texts = rows.map((i) => f.inputs.texts[i]!.text);
    const D = m.config.dModel;
    const want = (t: T) => rows.flatMap((i) => t.data.slice(i * D, (i + 1) * D));
    const flat = (vs: Float32Array[]) => Float32Array.from(vs.flatMap((v) => [...v]));
    expect(maxDiff(flat(m.embed(texts)), want(st.sentence_embedding), 1)).toBeLessThan(1e-4);
    // Asked for explicitly, another pooling gives other vectors.
    const mean = (f.sentence_transformers as unknown as Record<string, T>).mean_pooled_normalized!;
    expect(maxDiff(flat(m.embed(texts, { pooling: 'mean', normalize: true })), want(mean), 1)).toBeLessThan(1e-4);
  });
});

describe('MPNet relative position buckets', () => {
  test('relativeBucket equals torch\'s relative_position_bucket (f32 logs) at every distance the fixture lists', () => {
    const o = read('mpnet').outputs.relative_position_buckets as unknown as { relative_positions: number[]; buckets: number[] };
    expect(o.relative_positions.map((r) => relativeBucket(r, 32, 128))).toEqual(o.buckets);
  });
});

describe('a masked-LM head whose decoder is not tied to the word embedding', () => {
  test('tie_word_embeddings false reads the file\'s own decoder (here 2 × the embedding: the logits less the bias double), and counts it', async () => {
    const dir = join(FIXTURES, 'bert-mlm');
    const files: Record<string, Uint8Array> = {};
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']) files[name] = new Uint8Array(readFileSync(join(dir, name)));
    const st = parseSafetensors(files['model.safetensors']!);
    const tensors = Object.fromEntries(st.names.map((n) => [n, { dtype: 'F32' as const, shape: st.info(n).shape, data: st.tensor(n) }]));
    const word = tensors['bert.embeddings.word_embeddings.weight']!;
    tensors['cls.predictions.decoder.weight'] = { ...word, data: word.data.map((x) => 2 * x) };
    const config = { ...JSON.parse(new TextDecoder().decode(files['config.json'])), tie_word_embeddings: false };
    const untied = { ...files, 'config.json': JSON.stringify(config), 'model.safetensors': writeSafetensors(tensors) };
    const tied = await model('bert-mlm');
    const other = await loadModel({ files: untied }, { runtime: rt, kind: 'encoder' });
    try {
      const out = tied.forward('the capital of france is [MASK] .'), mask = out.T - 3;
      const a = tied.model.maskedLmLogits(out, [mask]), b = other.model.maskedLmLogits(other.forward('the capital of france is [MASK] .'), [mask]);
      const bias = st.tensor('cls.predictions.bias');
      const doubled = a.map((x, i) => 2 * (x - bias[i]!) + bias[i]!);
      expect(maxDiff(b, doubled, 1)).toBeLessThan(1e-4);
      expect(maxDiff(b, a, 1)).toBeGreaterThan(0.1);
      const V = config.vocab_size, D = config.hidden_size;
      expect(countParameters(other.config).breakdown['head.maskedLm']! - countParameters(tied.config).breakdown['head.maskedLm']!).toBe(V * D);
    } finally {
      other.dispose();
    }
  });
});

describe('sentence_bert_config.json do_lower_case', () => {
  test('lower-cases the texts embed() reads, as SentenceTransformer does', async () => {
    const dir = join(FIXTURES, 'xlm-roberta');
    const files: Record<string, Uint8Array | string> = {};
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'modules.json', '1_Pooling/config.json']) {
      files[name] = new Uint8Array(readFileSync(join(dir, name)));
    }
    files['sentence_bert_config.json'] = JSON.stringify({ max_seq_length: 38, do_lower_case: true });
    const cased = await model('xlm-roberta');
    const lower = await loadModel({ files }, { runtime: rt, kind: 'encoder' });
    try {
      expect(lower.sentenceEmbedding?.lowerCase).toBe(true);
      const text = 'The Dogs Were Sleeping.';
      expect(cased.tokenizer.encode(text).ids).not.toEqual(cased.tokenizer.encode(text.toLowerCase()).ids);
      expect(maxDiff(lower.embed(text)[0]!, cased.embed(text.toLowerCase())[0]!, 1)).toBe(0);
      expect(maxDiff(lower.embed(text)[0]!, cased.embed(text)[0]!, 1)).toBeGreaterThan(1e-3);
    } finally {
      lower.dispose();
    }
  });
});
