// T5 and flan-t5 (families/t5.ts) against tools/make_t5_fixtures.py: Hugging Face's modeling_t5.py
// in torch, f32, on two tiny random checkpoints (D 32, 6 heads of d_kv 8: H·Dh = 48 ≠ D, 2 + 2
// layers): a T5-style one (relu, the head tied to `shared` with the output × D^-0.5, 16 buckets up
// to distance 20) and a flan-t5-style one (gated-gelu, untied lm_head, 32 buckets up to 128). The
// relative buckets are torch's, which the script cross-checks against thresholds in float64.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { countParameters } from '../../src/transformer/count-parameters';
import { configFromHuggingFace } from '../../src/transformer/families/index';
import { loadModel } from '../../src/transformer/load';
import { quantizeCheckpoint } from '../../src/transformer/quantize-checkpoint';
import { F32Table, Q8Table } from '../../src/transformer/embedding-table';
import { relativeBiasRows, relativeBucket } from '../../src/transformer/relative-position';
import type { TextSeq2SeqModel } from '../../src/transformer/text-seq2seq';

const FIXTURES = join(__dirname, '..', 'fixtures');
const MAX_LENGTH = 33; // the start token and 32 new ones

interface Tensor { shape: number[]; data: number[] }
interface Fixture {
  texts: string[];
  sources: number[][];
  encoder: Tensor;
  decoder_ids: number[][];
  logits: Tensor;
  greedy: number[][];
  beam: number[];
  buckets: Record<string, number[]>;
  parameters: number;
}

function readFixture(variant: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURES, variant, 'fixture.json'), 'utf8')) as Fixture;
}

function folderFiles(variant: string): Record<string, Uint8Array> {
  const dir = join(FIXTURES, variant);
  return Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
}

function largest(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m;
}

/**
 * q8 against torch's f32 logits (int8 weights per output channel, the head and the shared table
 * included, 7-bit activations per row), relative to the logits' RMS: the models are tiny (D 32),
 * so each row's quantization step is coarse. Measured (loaded as q8, and from a folder
 * quantizeCheckpoint wrote, whose relative bias tables are int8 too): RMS error 0.048–0.050 (t5)
 * and 0.062 (flan-t5) of the logits' RMS, largest error 0.28–0.31 and 0.22–0.26 of it. The bounds
 * are about 1.5 times the largest measured; a head read unscaled, or a bias table read as the
 * wrong rows, is off by far more.
 */
const Q8_RMS_BOUND = 0.1;
const Q8_MAX_BOUND = 0.45;

function q8Errors(got: Float32Array, want: ArrayLike<number>): { relative: number; worst: number } {
  let squaredError = 0, squared = 0;
  for (let i = 0; i < got.length; i++) {
    squaredError += (got[i]! - want[i]!) ** 2;
    squared += want[i]! ** 2;
  }
  const rms = Math.sqrt(squared / got.length);
  return { relative: Math.sqrt(squaredError / squared), worst: largest(got, want) / rms };
}

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

/** The model's decoder logits (B·T × V) for teacher-forced decoder ids over the encoded sources. */
function teacherForced(model: TextSeq2SeqModel, f: Fixture): Float32Array {
  const m = model.model, enc = m.encode(f.sources);
  try {
    return m.logits(m.decode(f.decoder_ids, enc).hidden, f.decoder_ids.length * f.decoder_ids[0]!.length);
  } finally {
    enc.free();
  }
}

describe.each(['t5', 'flan-t5'])('%s against torch', (variant) => {
  const f = readFixture(variant);
  let model: TextSeq2SeqModel;
  beforeAll(async () => {
    model = await loadModel(join(FIXTURES, variant), { runtime: rt, kind: 'seq2seq' });
  });
  afterAll(() => model.dispose());

  test('the T5 Unigram tokenizer.json gives sentencepiece\'s pieces, </s> appended', () => {
    f.texts.forEach((text, i) => expect(model.tokenizer.encode(text).ids).toEqual(f.sources[i]));
    expect(model.tokenizer.decode(f.sources[1]!, { skip_special_tokens: true })).toBe(f.texts[1]);
  });

  test('the encoder\'s last hidden states (a padded batch, after final_layer_norm) agree with torch to 1e-5', () => {
    const enc = model.model.encode(f.sources);
    try {
      const [B, S, D] = f.encoder.shape as [number, number, number];
      expect([enc.batch, enc.S]).toEqual([B, S]);
      let worst = 0;
      // The padded positions' states mean nothing: only each sequence's own tokens count.
      f.sources.forEach((src, b) => {
        const from = b * S * D, to = from + src.length * D;
        worst = Math.max(worst, largest(enc.hidden.data.subarray(from, to), f.encoder.data.slice(from, to)));
      });
      console.log(`${variant}: largest encoder state difference from torch ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-5);
    } finally {
      enc.free();
    }
  });

  test('the decoder\'s logits (teacher-forced, causal relative bias, cross-attention to a padded batch) agree with torch to 1e-4', () => {
    const got = teacherForced(model, f);
    expect(got.length).toBe(f.logits.data.length);
    const diff = largest(got, f.logits.data);
    console.log(`${variant}: largest logit difference from torch ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  test('greedy search gives torch\'s ids for 32 new tokens, both sources in one padded batch', () => {
    expect(model.model.generate(f.sources, { maxLength: MAX_LENGTH, numBeams: 1 })).toEqual(f.greedy);
    expect(model.model.generate([f.sources[1]!], { maxLength: MAX_LENGTH, numBeams: 1 })).toEqual([f.greedy[1]]);
  });

  test('beam search with 3 beams gives torch\'s ids', () => {
    expect(model.model.generate([f.sources[0]!], { maxLength: MAX_LENGTH, numBeams: 3 })).toEqual([f.beam]);
  });

  test('cached decoding (one token a step, each step\'s bias row against every earlier key) equals recomputing the whole prefix', () => {
    const m = model.model, seq = f.greedy[0]!, V = m.config.vocabSize, T = seq.length - 1;
    const enc = m.encode([f.sources[0]!]);
    try {
      const full = m.logits(m.decode([seq.slice(0, T)], enc).hidden, T);
      // Two beams' worth of rows, fed the same tokens: both must match the single full pass.
      const decoder = m.stepDecoder(enc, seq.length, 2);
      let worst = 0;
      try {
        for (let pos = 0; pos < T; pos++) {
          const got = decoder.next([[seq[pos]!], [seq[pos]!]], pos);
          for (let r = 0; r < 2; r++) worst = Math.max(worst, largest(got.subarray(r * V, (r + 1) * V), full.subarray(pos * V, (pos + 1) * V)));
        }
      } finally {
        decoder.free();
      }
      console.log(`${variant}: cached against full recomputation, largest difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    } finally {
      enc.free();
    }
  });

  test('translate() reads plain text (no language codes) and returns the decoded ids', () => {
    const text = model.tokenizer.decode(f.greedy[0]!, { skip_special_tokens: true });
    expect(model.translate(f.texts[0]!, { maxLength: MAX_LENGTH, numBeams: 1 })).toEqual([text]);
    expect(model.translate(f.texts, { maxLength: MAX_LENGTH, numBeams: 1 }))
      .toEqual(f.greedy.map((ids) => model.tokenizer.decode(ids, { skip_special_tokens: true })));
  });

  test('countParameters counts what torch does', () => {
    const count = countParameters(model.config);
    expect(count.total).toBe(f.parameters);
    const table = model.config.relativeAttention!.buckets * model.config.heads;
    expect(count.breakdown['encoder.relativeBias']).toBe(table);
    expect(count.breakdown['decoder.relativeBias']).toBe(table);
  });

  test(`q8 logits: RMS error within ${Q8_RMS_BOUND} and every error within ${Q8_MAX_BOUND} of the logits' RMS; a quantized folder loads`, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'wasm-nlp-t5-q8-'));
    const models: TextSeq2SeqModel[] = [];
    try {
      const q8 = await loadModel(join(FIXTURES, variant), { runtime: rt, kind: 'seq2seq', dtype: 'q8' });
      models.push(q8);
      await quantizeCheckpoint(join(FIXTURES, variant), tmp);
      const stored = await loadModel(tmp, { runtime: rt, kind: 'seq2seq' });
      models.push(stored);
      for (const [name, m] of [['q8', q8], ['stored q8', stored]] as const) {
        const got = teacherForced(m, f);
        const { relative, worst } = q8Errors(got, f.logits.data);
        console.log(`${variant}: ${name} RMS error ${relative.toFixed(4)}, largest error ${worst.toFixed(3)} of the logits' RMS`);
        expect(relative).toBeLessThan(Q8_RMS_BOUND);
        expect(worst).toBeLessThan(Q8_MAX_BOUND);
        expect(largest(got, f.logits.data), `${name} is not f32`).toBeGreaterThan(1e-3);
      }
    } finally {
      models.forEach((m) => m.dispose());
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

test('the relative buckets are torch\'s, bidirectional (encoder) and causal (decoder), over distances −300 … 300', () => {
  let checked = 0;
  for (const variant of ['t5', 'flan-t5']) {
    for (const [key, want] of Object.entries(readFixture(variant).buckets)) {
      const [buckets, maxDistance, direction] = key.split('-') as [string, string, string];
      const got = want.map((_, i) => relativeBucket(i - 300, Number(buckets), Number(maxDistance), direction === 'bi'));
      expect(got, key).toEqual(want);
      checked++;
    }
  }
  expect(checked).toBe(4);
});

test('relative bias rows equal the table row of each (query, key) pair\'s bucket, from any first position, with an f32 or a q8 table', () => {
  const H = 3, r = { buckets: 32, maxDistance: 20 }, values = Float32Array.from({ length: 32 * H }, (_, i) => (i * 7919) % 97 - 48);
  const q8 = new Q8Table({ values: Int8Array.from(values), scales: new Float32Array(32).fill(1) }, 32, H);
  for (const table of [new F32Table(values, 32, H), q8]) {
    for (const [first, tq, tk, bidirectional] of [[0, 5, 5, true], [0, 4, 9, false], [7, 1, 8, false], [3, 6, 2, true]] as const) {
      const out = new Float32Array(H * tq * tk);
      relativeBiasRows(table, r, H, { first, tq, tk, bidirectional }, out);
      const want = new Float32Array(H * tq * tk);
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < tq; i++) {
          for (let j = 0; j < tk; j++) want[(h * tq + i) * tk + j] = values[relativeBucket(j - (first + i), r.buckets, r.maxDistance, bidirectional) * H + h]!;
        }
      }
      expect(out, `${table.constructor.name} first ${first} tq ${tq} tk ${tk}`).toEqual(want);
    }
  }
});

test('the T5 fixture\'s generation_config.json sets the defaults: translate() runs its 3 beams to max_length 33', async () => {
  const f = readFixture('t5');
  const model = await loadModel(join(FIXTURES, 't5'), { runtime: rt, kind: 'seq2seq' });
  try {
    expect(model.generationDefaults).toMatchObject({ maxLength: 33, numBeams: 3 });
    expect(model.translate(f.texts[0]!)).toEqual([model.tokenizer.decode(f.beam, { skip_special_tokens: true })]);
  } finally {
    model.dispose();
  }
});

const base = { model_type: 't5' };

test('the keys are read as Hugging Face reads them', () => {
  expect(configFromHuggingFace(JSON.stringify(base))).toMatchObject({
    kind: 'encoder-decoder', dModel: 512, heads: 8, dHead: 64, dFF: 2048, encoderLayers: 6, decoderLayers: 6, vocabSize: 32128,
    maxPositions: 512, positions: 'relative', relativeAttention: { buckets: 32, maxDistance: 128 }, attentionScale: 1,
    norm: 'pre', normKind: 'rms', finalNorm: true, activation: 'relu', gatedFfn: false, layerNormEps: 1e-6, bias: false,
    tieWordEmbeddings: true, padTokenId: 0, eosTokenId: 1, decoderStartTokenId: 0,
  });
  // flan-t5: gated-gelu is gelu_new (tanh); num_decoder_layers apart from num_layers.
  expect(configFromHuggingFace(JSON.stringify({ ...base, feed_forward_proj: 'gated-gelu', num_layers: 8, num_decoder_layers: 4, tie_word_embeddings: false })))
    .toMatchObject({ activation: 'gelu_tanh', gatedFfn: true, encoderLayers: 8, decoderLayers: 4, tieWordEmbeddings: false });
  expect(configFromHuggingFace(JSON.stringify({ ...base, feed_forward_proj: 'gated-silu' }))).toMatchObject({ activation: 'silu', gatedFfn: true });
  expect(configFromHuggingFace(JSON.stringify({ ...base, feed_forward_proj: 'gelu' }))).toMatchObject({ activation: 'gelu', gatedFfn: false });
  // A saved dense_act_fn / is_gated_act wins over feed_forward_proj, as PretrainedConfig sets them last.
  expect(configFromHuggingFace(JSON.stringify({ ...base, feed_forward_proj: 'gated-gelu', dense_act_fn: 'gelu' }))).toMatchObject({ activation: 'gelu', gatedFfn: true });
  expect(configFromHuggingFace(JSON.stringify({ ...base, num_decoder_layers: null }))).toMatchObject({ decoderLayers: 6 });
  expect(configFromHuggingFace(JSON.stringify({ ...base, n_positions: 1024, decoder_start_token_id: 5 }))).toMatchObject({ maxPositions: 1024, decoderStartTokenId: 5 });
  // mT5's own defaults.
  expect(configFromHuggingFace(JSON.stringify({ model_type: 'mt5' }))).toMatchObject({
    vocabSize: 250112, dFF: 1024, encoderLayers: 8, heads: 6, activation: 'gelu_tanh', gatedFfn: true, tieWordEmbeddings: false,
  });
});

test('what is not built is refused, naming the key', () => {
  const refused: [Record<string, unknown>, string][] = [
    [{ feed_forward_proj: 'gated-gelu-new' }, 'feed_forward_proj "gated-gelu-new" is not supported: T5 takes "ACT" or "gated-ACT" ("relu", "gated-gelu") (field feed_forward_proj'],
    [{ feed_forward_proj: 'gated-gelu_10' }, 'feed_forward_proj "gated-gelu_10" is not supported: its activation "gelu_10" is not one of relu, gelu, gelu_new'],
    [{ feed_forward_proj: 3 }, 'feed_forward_proj must be a string, got 3 (field feed_forward_proj'],
    [{ dense_act_fn: 'quick_gelu' }, 'dense_act_fn "quick_gelu" is not supported'],
    [{ is_gated_act: 'yes' }, 'is_gated_act must be true or false, got "yes" (field is_gated_act'],
    [{ d_kv: 0 }, 'd_kv must be an integer ≥ 1, got 0 (field d_kv'],
    [{ num_heads: 2.5 }, 'num_heads must be an integer ≥ 1, got 2.5 (field num_heads'],
    [{ relative_attention_num_buckets: 2 }, 'relative_attention_num_buckets must be an integer ≥ 4, got 2 (field relative_attention_num_buckets'],
    [{ relative_attention_max_distance: 16 }, 'relative_attention_max_distance (16) must exceed half of relative_attention_num_buckets (32) (field relative_attention_max_distance'],
    [{ layer_norm_epsilon: 0 }, 'layer_norm_epsilon must be a positive number, got 0 (field layer_norm_epsilon'],
    [{ eos_token_id: 32128 }, 'eos_token_id must be a token id in [0, 32128), got 32128 (field eos_token_id'],
    [{ pad_token_id: null }, 'pad_token_id must be a token id in [0, 32128), got null (field pad_token_id'],
    [{ decoder_start_token_id: -1 }, 'decoder_start_token_id must be a token id in [0, 32128), got -1 (field decoder_start_token_id'],
    [{ architectures: ['T5EncoderModel'] }, 'architectures names T5EncoderModel, which is not supported for t5 (supported: T5ForConditionalGeneration, T5Model) (field architectures'],
  ];
  for (const [keys, message] of refused) expect(() => configFromHuggingFace(JSON.stringify({ ...base, ...keys })), JSON.stringify(keys)).toThrow(message);
});

test('a checkpoint without what its config asks for is refused, naming the tensor', async () => {
  const files = folderFiles('t5');
  // Untied: the T5 file has no lm_head.
  const config = { ...JSON.parse(new TextDecoder().decode(files['config.json'])), tie_word_embeddings: false };
  await expect(loadModel({ files: { ...files, 'config.json': JSON.stringify(config) } }, { runtime: rt, kind: 'seq2seq' })).rejects.toThrow('lm_head.weight');
  // Gated: the T5 file has wi, not wi_0 and wi_1.
  const gated = { ...JSON.parse(new TextDecoder().decode(files['config.json'])), feed_forward_proj: 'gated-gelu' };
  await expect(loadModel({ files: { ...files, 'config.json': JSON.stringify(gated) } }, { runtime: rt, kind: 'seq2seq' })).rejects.toThrow('DenseReluDense.wi_0.weight');
  // A head width the weights do not have.
  const wide = { ...JSON.parse(new TextDecoder().decode(files['config.json'])), d_kv: 16 };
  await expect(loadModel({ files: { ...files, 'config.json': JSON.stringify(wide) } }, { runtime: rt, kind: 'seq2seq' })).rejects.toThrow('SelfAttention.q.weight');
  // More buckets than the table has.
  const buckets = { ...JSON.parse(new TextDecoder().decode(files['config.json'])), relative_attention_num_buckets: 32 };
  await expect(loadModel({ files: { ...files, 'config.json': JSON.stringify(buckets) } }, { runtime: rt, kind: 'seq2seq' })).rejects.toThrow('relative_attention_bias.weight');
});
