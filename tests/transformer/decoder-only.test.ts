// A config-driven decoder-only, pre-LN transformer against torch.nn: the fixture
// (tools/make_prenorm_fixture.py) runs torch.nn.TransformerEncoderLayer(norm_first=True,
// gelu) with a causal mask, the independent implementation the issue asks to cross-check with,
// and generates from it (greedy and Hugging Face's beam search) rerunning the whole prefix each
// step, where the model here runs each token once over a KV cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { parseSafetensors } from '../../src/io/safetensors';
import type { TransformerConfig } from '../../src/transformer/config';
import type { DecoderOnlyModel } from '../../src/transformer/decoder-only';
import { loadCustomDecoder } from '../../src/index';

const DIR = join(__dirname, '..', 'fixtures', 'custom-prenorm');
const fixture = JSON.parse(readFileSync(join(DIR, 'fixture.json'), 'utf8'));
type T = { shape: number[]; data: number[] };
const maxDiff = (got: Float32Array, want: T) => got.reduce((m, x, i) => Math.max(m, Math.abs(x - want.data[i]!)), 0);

let rt: Runtime, config: TransformerConfig, model: DecoderOnlyModel;
const st = parseSafetensors(new Uint8Array(readFileSync(join(DIR, 'model.safetensors'))));
const load = (c: TransformerConfig) => loadCustomDecoder(rt, c, (n) => st.tensor(n, { checkFinite: true }), (n) => st.has(n));
beforeAll(async () => {
  rt = await init();
  config = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8')) as TransformerConfig;
  model = load(config);
});

test('pre-LN layers with a causal mask, the final norm and the tied LM head agree with torch.nn to 1e-5', () => {
  const out = model.forward(fixture.input_ids, true);
  out.hiddenStates!.forEach((h, i) => expect(maxDiff(h, fixture.hidden_states[i]), `hidden state ${i}`).toBeLessThan(1e-5));
  expect(maxDiff(out.lastHiddenState, fixture.last_hidden_state)).toBeLessThan(1e-5);
  const rows = fixture.input_ids.length * fixture.input_ids[0].length;
  expect(maxDiff(model.logits(out.lastHiddenState, rows), fixture.logits)).toBeLessThan(1e-4);
  // Causality: a later token never changes an earlier position's state.
  const prefix = model.forward(fixture.input_ids.map((r: number[]) => r.slice(0, 5)));
  const d = config.dModel, T = fixture.input_ids[0].length;
  for (let t = 0; t < 5; t++) for (let j = 0; j < d; j++) expect(Math.abs(prefix.lastHiddenState[t * d + j]! - out.lastHiddenState[t * d + j]!)).toBeLessThan(1e-5);
  expect(T).toBeGreaterThan(5);
});

test.each(['pre', 'post'] as const)('%s-LN: a KV-cached step gives the full forward\'s logits to 1e-5: a 5-token prompt, a 3-token chunk, then single tokens', (norm) => {
  // Post-LN: the same weights read as a post-LN model (the full forward is then layers.encoderLayer's).
  const m = norm === 'pre' ? model : load({ ...config, norm });
  const ids: number[][] = fixture.input_ids, rows = ids.length, T = ids[0]!.length, V = config.vocabSize;
  const full = m.logits(m.forward(ids).lastHiddenState, rows * T);
  const step = m.stepDecoder(rows, T);
  const chunks = [[0, 5], [5, 8], ...Array.from({ length: T - 8 }, (_, i) => [8 + i, 9 + i])];
  for (const [from, to] of chunks) {
    const got = step.next(ids.map((r) => r.slice(from, to)), from!);
    for (let r = 0; r < rows; r++) {
      const want = full.subarray((r * T + to! - 1) * V, (r * T + to!) * V);
      const diff = want.reduce((m, x, t) => Math.max(m, Math.abs(x - got[r * V + t]!)), 0);
      expect(diff, `row ${r}, position ${to! - 1}`).toBeLessThan(1e-5);
    }
  }
  step.free();
  if (m !== model) m.dispose();
});

test('a KV-cached step refuses rows with different numbers of new tokens', () => {
  const step = model.stepDecoder(2, 8);
  try {
    expect(() => step.next([[1, 2], [3]], 0)).toThrow('generate: give every row the same number of new tokens (at least one)');
    expect(() => step.next([[], []], 0)).toThrow('generate: give every row the same number of new tokens (at least one)');
  } finally {
    step.free();
  }
});

test('greedy generation past the cache\'s first allocation (16 positions) is the full forward\'s argmax each step', () => {
  const maxLength = 30, V = config.vocabSize;
  const prompts: number[][] = fixture.greedy.prompt, seqs = prompts.map((r) => [...r]);
  while (seqs[0]!.length < maxLength) {
    const L = seqs[0]!.length, logits = model.logits(model.forward(seqs).lastHiddenState, seqs.length * L);
    seqs.forEach((s, b) => {
      const row = logits.subarray((b * L + L - 1) * V, (b * L + L) * V);
      s.push(row.indexOf(Math.max(...row)));
    });
  }
  for (const s of seqs) expect(s.slice(prompts[0]!.length)).not.toContain(config.eosTokenId);  // no row ends early
  expect(model.generate(prompts, { maxLength })).toEqual(seqs);
});

test('greedy generation with a KV cache gives torch\'s ids', () => {
  const g = fixture.greedy;
  expect(model.generate(g.prompt, { maxLength: g.max_length })).toEqual(g.sequences);
});

interface BeamRun {
  params: { max_length: number; num_beams: number; length_penalty: number; early_stopping: boolean | 'never'; num_return_sequences: number };
  sequences: number[][];
  sequence_scores: number[];
}

test.each((fixture.beam_search as BeamRun[]).map((r) => [JSON.stringify(r.params), r] as const))('beam search %s gives torch\'s ids and scores', (_, run) => {
  const p = run.params;
  const out = model.generateWithScores(fixture.greedy.prompt, {
    maxLength: p.max_length, numBeams: p.num_beams, lengthPenalty: p.length_penalty, earlyStopping: p.early_stopping, numReturnSequences: p.num_return_sequences,
  });
  expect(out.sequences).toEqual(run.sequences);
  out.scores!.forEach((s, i) => expect(Math.abs(s - run.sequence_scores[i]!), `score ${i}`).toBeLessThan(1e-4));
});

test('generate refuses prompts of different lengths and a maxLength not past the prompt', () => {
  expect(() => model.generate([[1, 2], [3]])).toThrow(/prompts of token ids, all of the same length/);
  expect(() => model.generate([[1, 2, 3]], { maxLength: 3 })).toThrow(/option maxLength \(3, at most maxPositions 32\) must exceed the prompt's 3 tokens/);
  expect(() => model.generate([[1, 2, 3]], { numBeams: 0 })).toThrow(/option numBeams/);
});

test('generation gives back every byte it allocates, also when it fails half-way', () => {
  const used = () => rt.arena!.usedBytes;
  const before = used();
  model.generate(fixture.greedy.prompt, { maxLength: 30, numBeams: 2 });  // the cache grows twice
  expect(used()).toBe(before);
  expect(() => model.generate([[1, 2, config.vocabSize]], { maxLength: 30 })).toThrow(/token id 50 \(sequence 0, position 2\) is outside the vocabulary of 50/);
  expect(used()).toBe(before);
});
