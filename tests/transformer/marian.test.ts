// Marian against PyTorch (tests/fixtures/marian, plain torch with Hugging Face's names and
// math): the position table, every encoder and decoder hidden state, the logits, greedy
// generation's ids with HF's rules (start token, suppressed pad, forced EOS, padded rows), and
// beam search: marian_beam in tools/make_transformer_fixtures.py runs HF's _beam_search with
// BeamSearchScorer step by step, rerunning the whole decoder prefix each step (no cache), for
// four settings (beams, length penalties, each early_stopping mode, several returned sequences,
// a forced BOS) on a batch of different lengths.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test, vi } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { parseSafetensors } from '../../src/io/safetensors';
import type { TransformerConfig } from '../../src/transformer/config';
import { configFromHuggingFace } from '../../src/transformer/families/index';
import { beamSearch, greedySearch, tokenRules, type StepDecoder } from '../../src/transformer/generation';
import { KVCache } from '../../src/transformer/kv-cache';
import { marian, sinusoidalPositions } from '../../src/transformer/families/marian';
import type { Seq2SeqModel } from '../../src/transformer/seq2seq';
import { floatTensors, modelWeights } from '../../src/transformer/weights';

const DIR = join(__dirname, '..', 'fixtures', 'marian');
const fixture = JSON.parse(readFileSync(join(DIR, 'fixture.json'), 'utf8'));
type T = { shape: number[]; data: number[] };

function maxDiff(got: Float32Array, want: T, keep?: (row: number) => boolean): number {
  const d = want.shape.at(-1)!;
  let m = 0;
  for (let i = 0; i < got.length; i++) if (!keep || keep(Math.floor(i / d))) m = Math.max(m, Math.abs(got[i]! - want.data[i]!));
  return m;
}

interface BeamRun {
  params: {
    max_length: number; num_beams: number; length_penalty: number; early_stopping: boolean | 'never'; num_return_sequences: number;
    /** Set on the model's config (config.json's forced_bos_token_id) for this run. */
    forced_bos_token_id?: number;
  };
  sequences: number[][];
  sequence_scores: number[];
  texts: string[];
}

let rt: Runtime, config: TransformerConfig, model: Seq2SeqModel;
const st = parseSafetensors(new Uint8Array(readFileSync(join(DIR, 'model.safetensors'))));
const load = (c: TransformerConfig) => marian.load(c, modelWeights(rt, floatTensors((n) => st.tensor(n, { checkFinite: true }), (n) => st.has(n)), 'f32')).model as Seq2SeqModel;
beforeAll(async () => {
  rt = await init();
  config = configFromHuggingFace(readFileSync(join(DIR, 'config.json'), 'utf8'));
  model = load(config);
});

test('the sinusoidal position table is Marian\'s', () => {
  const o = fixture.outputs.position_table;
  expect(maxDiff(sinusoidalPositions(o.shape[0], o.shape[1]), o)).toBeLessThan(1e-6);
});

test('encoder and decoder hidden states and logits agree with PyTorch to 1e-4', () => {
  const { input_ids: ids, attention_mask: mask, decoder_input_ids: dec } = fixture.inputs;
  const o = fixture.outputs;
  const enc = model.encode(ids, mask);
  const S = enc.S;
  const real = (row: number) => mask[Math.floor(row / S)][row % S] === 1;
  expect(maxDiff(enc.hidden.data, o.encoder_last_hidden_state, real)).toBeLessThan(1e-4);
  const { hidden, states } = model.decode(dec, enc, true);
  states!.forEach((h, i) => expect(maxDiff(h, o.decoder_hidden_states[i]), `decoder hidden state ${i}`).toBeLessThan(1e-4));
  expect(maxDiff(hidden, o.decoder_last_hidden_state)).toBeLessThan(1e-4);
  expect(maxDiff(model.logits(hidden, dec.length * dec[0].length), o.logits)).toBeLessThan(1e-4);
  enc.free();
});

test('greedy generation gives PyTorch\'s ids', () => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  const g = fixture.generation;
  expect(model.generate(ids, { attentionMask: mask, maxLength: g.params.max_length })).toEqual(g.sequences);
});

test('loadModel + translate: the tokenizer, generation and detokenization end to end', async () => {
  const m = await loadText();
  expect(m.generationDefaults).toEqual({ maxLength: 512, numBeams: 4 });  // generation_config.json
  const greedy = m.translate(fixture.inputs.texts, { maxLength: fixture.generation.params.max_length, numBeams: 1 });
  expect(greedy).toEqual(fixture.generation.texts);
  // The checkpoint's num_beams (4) unless the caller says otherwise, as in HF: fixture setting 2.
  const run = (fixture.beam_search as BeamRun[])[1]!;
  expect(run.params.num_beams).toBe(4);
  const p = run.params;
  const beams = m.translate(fixture.inputs.texts, { maxLength: p.max_length, lengthPenalty: p.length_penalty, earlyStopping: p.early_stopping, numReturnSequences: p.num_return_sequences });
  expect(beams).toEqual(run.texts);
  m.dispose();
});

test('translate: a source past maxPositions is refused, or truncated to its first maxPositions − 1 tokens and its EOS', async () => {
  const m = await loadText();
  const t = fixture.truncation_case;
  expect(() => m.translate(t.text)).toThrow(`translate: text 0 has ${t.length} tokens, more than the model's maxPositions (${t.max_length})`);
  expect(() => m.translate(t.text, { truncation: 'cut' as never })).toThrow(/option truncation/);
  const generate = vi.spyOn(m.model, 'generate');
  m.translate(['he is sleeping', t.text], { truncation: 'truncate', maxLength: 4 });
  // One batch, longest first: the truncated text, then the short one.
  expect(generate.mock.calls.map(([ids]) => ids)).toEqual([[t.input_ids, fixture.inputs.encodings[0].input_ids]]);
  m.dispose();
});

test('generation defaults: config.json\'s keys without generation_config.json; a bad value is a FormatError naming the key and its offset', async () => {
  const { loadModel } = await import('../../src/transformer/load');
  const files = Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']
    .map((f) => [f, new Uint8Array(readFileSync(join(DIR, f)))]));
  const config = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
  const m = await loadModel({ files: { ...files, 'config.json': JSON.stringify({ ...config, num_beams: 2, length_penalty: 0.6 }) } }, { runtime: rt });
  expect((m as Awaited<ReturnType<typeof loadText>>).generationDefaults).toEqual({ maxLength: 512, numBeams: 2, lengthPenalty: 0.6 });
  m.dispose();
  const bad = '{"max_length": 512, "num_beams": 0}';
  const err = await loadModel({ files: { ...files, 'generation_config.json': bad } }, { runtime: rt }).catch((e) => e);
  expect(err).toMatchObject({ name: 'FormatError', field: 'num_beams', byteOffset: bad.indexOf('"num_beams"') });
  expect(err.message).toMatch(/generation_config.json: num_beams 0 is not a valid value/);
  // Values generate() would refuse at every call are refused at load, naming the file's key.
  const tooShort = '{"max_length": 1}';
  await expect(loadModel({ files: { ...files, 'generation_config.json': tooShort } }, { runtime: rt }))
    .rejects.toMatchObject({ field: 'max_length', message: expect.stringMatching(/^generation_config.json: max_length 1 is not a valid value/) });
  const tooMany = '{"num_beams": 2, "num_return_sequences": 3}';
  await expect(loadModel({ files: { ...files, 'generation_config.json': tooMany } }, { runtime: rt })).rejects.toMatchObject({
    field: 'num_return_sequences', byteOffset: tooMany.indexOf('"num_return_sequences"'),
    message: 'generation_config.json: num_return_sequences 3 is more than num_beams (2) (field num_return_sequences, byte offset 17)',
  });
});

async function loadText() {
  const { loadModel } = await import('../../src/transformer/load');
  const { TextSeq2SeqModel } = await import('../../src/transformer/text-seq2seq');
  const m = await loadModel(DIR, { runtime: rt });
  expect(m).toBeInstanceOf(TextSeq2SeqModel);
  return m as InstanceType<typeof TextSeq2SeqModel>;
}

test.each((fixture.beam_search as BeamRun[]).map((r) => [JSON.stringify(r.params), r] as const))('beam search %s gives PyTorch\'s ids and scores', (_, run) => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  const p = run.params;
  const m = p.forced_bos_token_id === undefined ? model : load({ ...config, forcedBosTokenId: p.forced_bos_token_id });
  const out = m.generateWithScores(ids, {
    attentionMask: mask, maxLength: p.max_length, numBeams: p.num_beams, lengthPenalty: p.length_penalty,
    earlyStopping: p.early_stopping, numReturnSequences: p.num_return_sequences,
  });
  expect(out.sequences).toEqual(run.sequences);
  out.scores!.forEach((s, i) => expect(Math.abs(s - run.sequence_scores[i]!), `score ${i}`).toBeLessThan(1e-4));
  if (m !== model) m.dispose();
});

test('the beam-search code with one beam and early stopping is greedy search (as in the torch reference)', () => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  const g = fixture.generation, maxLength = g.params.max_length;
  const enc = model.encode(ids, mask), decoder = model.stepDecoder(enc, maxLength);
  const out = beamSearch(decoder, ids.map(() => [g.params.decoder_start_token_id]), tokenRules(model.config, 0),
    { maxLength, numBeams: 1, lengthPenalty: 1, earlyStopping: true, numReturnSequences: 1, renormalizeLogits: false });
  expect(out.sequences.map((r, b) => r.slice(0, g.sequences_trimmed[b].length))).toEqual(g.sequences_trimmed);
  decoder.free();
  enc.free();
});

test('bad generation options are refused, naming the option', () => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  const bad = (o: object) => () => model.generate(ids, { attentionMask: mask, ...o });
  expect(bad({ numBeams: 0 })).toThrow(/option numBeams/);
  expect(bad({ numBeams: 2.5 })).toThrow(/option numBeams/);
  expect(bad({ numBeams: 2, numReturnSequences: 3 })).toThrow(/option numReturnSequences must be an integer from 1 to numBeams \(2\), got 3/);
  expect(bad({ numBeams: 2, lengthPenalty: Number.NaN })).toThrow(/option lengthPenalty/);
  expect(bad({ numBeams: 2, earlyStopping: 'sometimes' })).toThrow(/option earlyStopping/);
  expect(bad({ maxLength: 1 })).toThrow(/option maxLength/);
  expect(bad({ minLength: -1 })).toThrow(/option minLength/);
});

test('minLength keeps EOS out until that length', () => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  // Greedy row 1 ends on its own EOS at length 10; with minLength 11 only the EOS forced at length 11 ends a row.
  const out = model.generate(ids, { attentionMask: mask, maxLength: 12, minLength: 11 });
  for (const row of out) expect(row.indexOf(fixture.generation.params.eos_token_id)).toBe(11);
});

test('an EOS listed among the bad words still ends a sequence, in greedy and beam search (HF drops it from bad_words_ids)', () => {
  // A config whose pad token is its EOS (the pad is always a bad word for Marian).
  const eos = config.eosTokenId!, c = { ...config, padTokenId: eos, suppressTokenIds: [eos, 5] };
  const rules = tokenRules(c, 0);
  expect([...rules.suppressed]).toEqual([5]);
  // A toy decoder over 8 tokens whose best token is always the EOS, then token 5.
  const V = 8, logits = (rows: number) => Float32Array.from({ length: rows * V }, (_, i) => (i % V === eos ? 2 : i % V === 5 ? 1 : 0));
  const decoder: StepDecoder = { next: (tokens) => logits(tokens.length), reorder: () => {} };
  const toy = { ...rules, vocabSize: V };
  expect(greedySearch(decoder, [[7]], toy, 5)).toEqual([[7, eos]]);
  const beams = beamSearch(decoder, [[7]], toy, { maxLength: 5, numBeams: 2, lengthPenalty: 1, earlyStopping: true, numReturnSequences: 1, renormalizeLogits: false });
  expect(beams.sequences).toEqual([[7, eos]]);
});

test('a decoding step past the position table is refused, naming maxPositions', () => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  const max = config.maxPositions, enc = model.encode(ids, mask), decoder = model.stepDecoder(enc, max + 1);
  try {
    const start = ids.map(() => [config.decoderStartTokenId!]);
    expect(decoder.next(start, max - 1)).toHaveLength(ids.length * config.vocabSize);
    expect(() => decoder.next(start, max)).toThrow(`generate: position ${max} is past the model's maxPositions ${max}`);
  } finally {
    decoder.free();
    enc.free();
  }
});

test('the KV cache reorders rows by copying the given positions within WASM memory', () => {
  const rows = 3, cap = 4, d = 2;
  const cache = new KVCache(rt, 1, rows, cap, d);
  const k = rt.tensor([rows * 2, d]), v = rt.tensor([rows * 2, d]);
  // Row r, position p, lane j holds 100·r + 10·p + j in K and its negative in V.
  for (let r = 0; r < rows; r++) for (let p = 0; p < 2; p++) for (let j = 0; j < d; j++) {
    k.data[(r * 2 + p) * d + j] = 100 * r + 10 * p + j;
    v.data[(r * 2 + p) * d + j] = -(100 * r + 10 * p + j);
  }
  cache.write(0, k, v, 0, 2);
  cache.reorder([2, 0, 0], 2);
  const q = rt.tensor([rows, d]);
  const ctx = rt.tensor([rows, d]);
  cache.attend(0, q, 1, 1, ctx, { H: 1, Dh: d });  // q = 0: equal weights on positions 0 and 1, so the mean of the row's V
  const want = (src: number) => [0, 1].map((j) => -(100 * src + 5 + j));
  expect(Array.from(ctx.data)).toEqual([...want(2), ...want(0), ...want(0)]);
  for (const t of [k, v, q, ctx]) t.free();
  cache.free();
});

test('Marian generation gives back every byte it allocates', () => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  const before = rt.arena!.usedBytes;
  model.generate(ids, { attentionMask: mask, maxLength: 30, minLength: 29, numBeams: 3, numReturnSequences: 2 });
  expect(rt.arena!.usedBytes).toBe(before);
});

test('generation that runs out of memory at any allocation gives back every byte it had allocated', () => {
  const { input_ids: ids, attention_mask: mask } = fixture.inputs;
  // The model on a runtime whose k-th tensor allocation throws, as a full memory does.
  const failingAt = (k: number) => {
    let calls = 0;
    const tensor = (...args: Parameters<Runtime['tensor']>) => {
      if (++calls === k) throw new Error('memory full');
      return rt.tensor(...args);
    };
    return Object.create(model, { runtime: { value: Object.create(rt, { tensor: { value: tensor } }) } }) as Seq2SeqModel;
  };
  let k = 1;
  for (;; k++) {
    const before = rt.arena!.usedBytes;
    try {
      failingAt(k).generate(ids, { attentionMask: mask, maxLength: 6, numBeams: 2 });
      break;
    } catch (e) {
      expect((e as Error).message).toBe('memory full');
      expect(rt.arena!.usedBytes, `allocation ${k} failed`).toBe(before);
    }
  }
  // Every allocation point was hit: encoder, cross-attention keys and values, cache, decoding steps.
  expect(k).toBeGreaterThan(40);
});
