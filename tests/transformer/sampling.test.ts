// The sampling pieces (src/transformer/sampling.ts, generation.ts's processScores) against
// tools/make_decoder_fixtures.py --sampling (tests/fixtures/decoders/sampling.json): Hugging Face's
// logits processors transcribed in torch f32 (repetition penalty, temperature, top-k, top-p,
// min-p, in _get_logits_processor's order), on the fixture models' logits at six teacher-forced
// steps, for six option sets; and the seeded generator against a Python transcription of
// xoshiro128** in integers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { processScores, type TokenRules } from '../../src/transformer/generation';
import { drawToken, kthLargestForTest, warpScores, Xoshiro128, type SamplingSettings } from '../../src/transformer/sampling';
import { softmax } from '../../src/transformer/scores';
import { DECODERS } from './decoder-fixtures';

interface Case { do_sample: boolean; temperature?: number; top_k?: number; top_p?: number; min_p?: number; repetition_penalty?: number }
interface SamplingFixture {
  cases: Case[];
  prng: Record<string, { u32: number[]; float: number[] }>;
  models: Record<string, { steps: { ids: number[]; logits: number[]; cases: { probs: number[]; margin: number }[] }[] }>;
}

const fixture = JSON.parse(readFileSync(join(DECODERS, 'sampling.json'), 'utf8')) as SamplingFixture;

/** HF's defaults for what a case leaves out (GenerationConfig: temperature 1, top_k 50, top_p 1, no min_p, penalty 1). */
export function settingsOf(c: Case): SamplingSettings {
  return { doSample: c.do_sample, temperature: c.temperature ?? 1, topK: c.top_k ?? 50, topP: c.top_p ?? 1, minP: c.min_p, repetitionPenalty: c.repetition_penalty ?? 1 };
}

function noRules(V: number, repetitionPenalty: number): TokenRules {
  return { vocabSize: V, eos: undefined, stops: new Set(), forcedBos: undefined, forcedEos: undefined, pad: 0, suppressed: new Set(), minLength: 0, repetitionPenalty };
}

/** The processed distribution of one step as generation computes it. */
function distribution(logits: Float32Array, ids: number[], s: SamplingSettings): Float64Array {
  const row = new Float64Array(logits.length);
  processScores(logits, row, ids, 1e9, noRules(logits.length, s.repetitionPenalty));
  if (s.doSample) warpScores(row, s);
  return softmax(row);
}

describe.each(Object.keys(fixture.models))('%s: the processed distribution equals torch\'s transcription of HF\'s processors', (name) => {
  const { steps } = fixture.models[name]!;
  test.each(fixture.cases.map((c, i) => [i, JSON.stringify(c)] as const))('case %i %s: every step within 1e-6', (i) => {
    const s = settingsOf(fixture.cases[i]!);
    let worst = 0, removed = 0;
    for (const step of steps) {
      const got = distribution(Float32Array.from(step.logits), step.ids, s), want = step.cases[i]!.probs;
      for (let t = 0; t < got.length; t++) {
        worst = Math.max(worst, Math.abs(got[t]! - want[t]!));
        // The same tokens removed: zero exactly where torch's is zero.
        expect(got[t] === 0, `token ${t}`).toBe(want[t] === 0);
        if (want[t] === 0) removed++;
      }
    }
    console.log(`${name} case ${i}: largest probability difference ${worst.toExponential(2)}, ${removed} token-steps removed`);
    expect(worst).toBeLessThan(1e-6);
    // Every sampling case removes tokens (the warpers did something), the penalty-only case none.
    if (s.doSample) expect(removed).toBeGreaterThan(0);
  });
});

test('the warpers apply in HF\'s order: temperature before top-p changes which tokens stay', () => {
  // logits 2, 1, 0: probabilities .665, .245, .090. top_p 0.8 keeps two tokens at temperature 1; at
  // temperature 0.5 (4, 2, 0: .867, .117, .016) the best alone reaches 0.8. Top-p before temperature would keep two.
  const logits = Float32Array.of(2, 1, 0);
  const s = { doSample: true, temperature: 0.5, topK: 0, topP: 0.8, minP: undefined, repetitionPenalty: 1 };
  expect(Array.from(distribution(logits, [], s))).toEqual([1, 0, 0]);
  expect(Array.from(distribution(logits, [], { ...s, temperature: 1 })).filter((p) => p > 0)).toHaveLength(2);
  // The repetition penalty comes first: token 0 seen, 2 / 4 = 0.5 < 1: token 1 is the best now.
  const penalised = distribution(logits, [0], { ...s, temperature: 1, topP: 0.5, repetitionPenalty: 4 });
  expect(Array.from(penalised)).toEqual([0, 1, 0]);
  // A negative logit is multiplied: -1 · 2 = -2.
  const row = new Float64Array([-1, 3]);
  processScores(Float32Array.of(-1, 3), row, [0, 1, 1], 1e9, noRules(2, 2));
  expect(Array.from(row)).toEqual([-2, 1.5]);
});

test('top-k keeps ties with the k-th score, as HF\'s `scores < kth` does; quickselect finds the k-th largest', () => {
  const s = { doSample: true, temperature: 1, topK: 2, topP: 1, minP: undefined, repetitionPenalty: 1 };
  const p = distribution(Float32Array.of(1, 3, 1, 0, 3.5), [], s);
  expect(Array.from(p).map((x) => x > 0)).toEqual([false, true, false, false, true]);
  const tied = distribution(Float32Array.of(1, 3, 3, 0, 3.5), [], s);
  expect(Array.from(tied).map((x) => x > 0)).toEqual([false, true, true, false, true]);
  const rng = new Xoshiro128(5);
  for (let n = 1; n < 60; n += 7) {
    const x = Float64Array.from({ length: n }, () => Math.floor(rng.nextFloat() * 5));
    const sorted = Array.from(x).sort((a, b) => b - a);
    for (let k = 1; k <= n; k++) expect(kthLargestForTest(x, k)).toBe(sorted[k - 1]);
  }
});

test('xoshiro128** seeded by splitmix32 gives the Python transcription\'s numbers (integer arithmetic: every engine agrees)', () => {
  const seeds = Object.keys(fixture.prng);
  expect(seeds.length).toBeGreaterThanOrEqual(5);
  for (const seed of seeds) {
    const r = new Xoshiro128(Number(seed));
    expect(Array.from({ length: 6 }, () => r.nextU32()), `seed ${seed}`).toEqual(fixture.prng[seed]!.u32);
    expect(new Xoshiro128(Number(seed)).nextFloat()).toBe(fixture.prng[seed]!.float[0]);
  }
  expect(() => new Xoshiro128(-1)).toThrow('the seed must be an integer in [0, 2^53), got -1');
  expect(() => new Xoshiro128(1.5)).toThrow('got 1.5');
});

test('drawToken samples each token with its probability (20 000 draws, within 4.5 standard errors), never a zero one', () => {
  const probs = Float64Array.of(0.5, 0, 0.3, 0.15, 0.05, 0);
  const rng = new Xoshiro128(123), N = 20000, counts = new Array<number>(probs.length).fill(0);
  for (let i = 0; i < N; i++) counts[drawToken(probs, rng)]!++;
  probs.forEach((p, t) => {
    if (p === 0) return expect(counts[t]).toBe(0);
    const se = Math.sqrt(p * (1 - p) / N);
    expect(Math.abs(counts[t]! / N - p), `token ${t}: ${counts[t]}`).toBeLessThan(4.5 * se);
  });
  // Unnormalised mass works the same (the draw scales by the total).
  const a = new Xoshiro128(9), b = new Xoshiro128(9);
  const scaled = probs.map((p) => p * 7);
  for (let i = 0; i < 100; i++) expect(drawToken(scaled, a)).toBe(drawToken(probs, b));
  expect(() => drawToken(new Float64Array(3), a)).toThrow('no token has any probability left');
});
