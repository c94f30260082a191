// Greedy search and sampling a token at a time for the encoder-decoder models (TextSeq2SeqModel:
// translate() with the step options, stream()), on the Marian, T5 and flan-t5 fixtures. Sampling
// with a seed against a re-computation written here: each step's logits from a full decoder pass
// over the prefix (no KV cache), HF's processors and warpers by sorting (not sampling.ts's
// quickselect and bar search), the draw by the inverse CDF on the same xoshiro128** numbers.
// Greedy through the steps against the batch greedy search and PyTorch's ids; stream pieces,
// stop strings and ids, maxNewTokens, abort, the checkpoint's sampling defaults, bad options.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { generationDefaults } from '../../src/transformer/generation-config';
import { loadModel } from '../../src/transformer/load';
import { Xoshiro128 } from '../../src/transformer/sampling';
import { TextSeq2SeqModel, type TranslateOptions } from '../../src/transformer/text-seq2seq';

const FIXTURES = join(__dirname, '..', 'fixtures');
let rt: Runtime;
beforeAll(async () => {
  rt = await init({ threads: 1 });
});
afterAll(() => rt?.dispose());

interface RefOptions { temperature: number; topK: number; topP: number; repetitionPenalty: number; seed: number; maxNewTokens: number }

function softmax(s: Float64Array): Float64Array {
  const max = Math.max(...s);
  const e = s.map((x) => (x === -Infinity ? 0 : Math.exp(x - max)));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** The distribution HF samples from after one prefix: processors, then temperature, top-k, top-p (each by a full sort). */
function referenceProbs(logits: Float32Array, seq: number[], o: RefOptions, m: TextSeq2SeqModel, maxLength: number): Float64Array {
  const c = m.config, V = logits.length;
  const s = Float64Array.from(logits);
  if (seq.length === maxLength - 1 && c.forcedEosTokenId !== undefined) {
    const one = new Float64Array(V);
    one[c.forcedEosTokenId] = 1;
    return one;
  }
  for (const t of new Set(seq)) s[t] = s[t]! < 0 ? s[t]! * o.repetitionPenalty : s[t]! / o.repetitionPenalty;
  for (const t of c.suppressTokenIds ?? []) if (t !== c.eosTokenId) s[t] = -Infinity;
  for (let t = 0; t < V; t++) s[t] = s[t]! / o.temperature;
  if (o.topK > 0) {
    const kth = [...s].sort((a, b) => b - a)[o.topK - 1]!;
    for (let t = 0; t < V; t++) if (s[t]! < kth) s[t] = -Infinity;
  }
  const p = softmax(s), order = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
  let above = 0;
  for (const t of order) {
    if (above >= o.topP) s[t] = -Infinity;
    above += p[t]!;
  }
  return softmax(s);
}

/** Sampling re-computed: the full decoder over the prefix each step, the draw as the inverse CDF at u × total. */
function referenceSample(m: TextSeq2SeqModel, text: string, o: RefOptions): number[] {
  const c = m.config, V = c.vocabSize, maxLength = o.maxNewTokens + 1;
  const rng = new Xoshiro128(o.seed);
  const enc = m.model.encode([m.tokenizer.encode(text).ids]);
  const seq = [c.decoderStartTokenId ?? c.padTokenId];
  try {
    while (seq.length < maxLength) {
      const { hidden } = m.model.decode([seq], enc);
      const logits = m.model.logits(hidden, seq.length).subarray((seq.length - 1) * V, seq.length * V);
      const probs = referenceProbs(logits, seq, o, m, maxLength);
      const total = probs.reduce((a, b) => a + b, 0), target = rng.nextFloat() * total;
      let cum = 0, id = -1;
      for (let t = 0; t < V && id < 0; t++) if ((cum += probs[t]!) > target && probs[t]! > 0) id = t;
      seq.push(id);
      if (id === c.eosTokenId) break;
    }
  } finally {
    enc.free();
  }
  return seq.slice(1);
}

/** translate() with the ids collected by onToken. */
function translateIds(m: TextSeq2SeqModel, text: string, o: TranslateOptions): { text: string; ids: number[]; pieces: string[] } {
  const ids: number[] = [], pieces: string[] = [];
  const [out] = m.translate(text, { ...o, onToken: (piece, id) => { ids.push(id); pieces.push(piece); } });
  return { text: out!, ids, pieces };
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of it) out.push(piece);
  return out;
}

const TEXTS: Record<string, string[]> = {
  marian: ['he is sleeping', 'the big red dog is not running today'],
  t5: ['translate English to German: The house is wonderful.', 'summarize: the cat sat on the mat'],
  'flan-t5': ['translate English to German: The house is wonderful.', 'summarize: the cat sat on the mat'],
};

describe.each(Object.keys(TEXTS))('%s', (variant) => {
  let m: TextSeq2SeqModel;
  const texts = TEXTS[variant]!;
  beforeAll(async () => {
    m = await loadModel(join(FIXTURES, variant), { runtime: rt, kind: 'seq2seq' });
  });
  afterAll(() => m?.dispose());

  const ref: RefOptions = { temperature: 0.8, topK: 20, topP: 0.9, repetitionPenalty: 1.3, seed: 7, maxNewTokens: 10 };
  const sampled: TranslateOptions = { doSample: true, ...ref };
  // Hot enough that even flan-t5's peaked distributions give other tokens than greedy search.
  const hotRef: RefOptions = { ...ref, temperature: 3, topK: 0, topP: 1 };
  const hot: TranslateOptions = { doSample: true, ...hotRef };

  test('sampling with a seed equals the re-computation from full decoder passes and the same xoshiro128** draws', () => {
    for (const [i, text] of texts.entries()) {
      for (const [r, seed] of [[ref, 7], [ref, 2 ** 40 + 3], [hotRef, 11], [{ ...ref, topP: 0.5, temperature: 1.5 }, 12]] as const) {
        const want = referenceSample(m, text, { ...r, seed });
        const got = translateIds(m, text, { doSample: true, ...r, seed });
        expect(got.ids, `text ${i}, seed ${seed}`).toEqual(want);
        expect(got.text).toBe(m.tokenizer.decode(want, { skip_special_tokens: true }));
      }
    }
    // Sampling did something: not greedy's tokens, and another seed draws others.
    const greedy = translateIds(m, texts[0]!, { numBeams: 1, maxNewTokens: 10, repetitionPenalty: 1.3 }).ids;
    const a = translateIds(m, texts[0]!, hot).ids, b = translateIds(m, texts[0]!, { ...hot, seed: 8 }).ids;
    expect(a).not.toEqual(greedy);
    expect(a).not.toEqual(b);
    // The same seed again: the same tokens; a batch samples each text as alone.
    expect(translateIds(m, texts[0]!, hot).ids).toEqual(a);
    expect(m.translate(texts, sampled)).toEqual(texts.map((t) => m.translate(t, sampled)[0]));
  });

  test('doSample false and temperature 0 take the steps to greedy search\'s output (the batch search\'s and PyTorch\'s)', () => {
    const o = { maxLength: 12, numBeams: 1 };
    const batch = m.translate(texts, o);
    for (const [i, text] of texts.entries()) {
      // onToken and stop send these through the steps; a stop id that is never generated changes nothing.
      const viaSteps = translateIds(m, text, { ...o, doSample: false });
      expect(viaSteps.text, `text ${i}`).toBe(batch[i]);
      expect(translateIds(m, text, { ...o, doSample: true, temperature: 0, seed: 1 }).ids).toEqual(viaSteps.ids);
      // The checkpoint's beams give way to the step options when numBeams is not given.
      expect(m.translate(text, { maxLength: 12, doSample: true, temperature: 0, stop: [m.config.vocabSize - 1] })).toEqual([batch[i]]);
    }
    if (variant === 'marian') {
      const f = JSON.parse(readFileSync(join(FIXTURES, 'marian', 'fixture.json'), 'utf8'));
      expect(batch).toEqual(f.generation.texts.slice(0, 2));
    } else {
      const f = JSON.parse(readFileSync(join(FIXTURES, variant, 'fixture.json'), 'utf8')) as { greedy: number[][] };
      // PyTorch's greedy ids: the start token, then the new ones up to an EOS (padded after it).
      const want = f.greedy[0]!.slice(1), end = want.indexOf(m.config.eosTokenId!);
      expect(translateIds(m, texts[0]!, { maxLength: 33, doSample: false }).ids).toEqual(end < 0 ? want : want.slice(0, end + 1));
    }
  });

  test('stream() pieces join to translate()\'s text, greedy and sampled; maxNewTokens bounds the tokens', async () => {
    let pieces = 0;
    for (const o of [{ numBeams: 1, maxNewTokens: 10 }, sampled, hot]) {
      for (const text of texts) {
        const got = await collect(m.stream(text, o));
        expect(got.join('')).toBe(m.translate(text, { ...o, onToken: () => {} })[0]);
        pieces += got.length;
      }
    }
    expect(pieces).toBeGreaterThan(6);
    for (const n of [1, 3]) expect(translateIds(m, texts[1]!, { ...sampled, maxNewTokens: n }).ids.length).toBeLessThanOrEqual(n);
    expect(translateIds(m, texts[1]!, { ...sampled, maxNewTokens: 3, temperature: 5, topK: 0, topP: 1, repetitionPenalty: 1 }).ids).toHaveLength(3);
  });

  test('stop: an id ends generation when generated, a string once the text contains it', () => {
    const long = { numBeams: 1, maxNewTokens: 12 };
    const full = translateIds(m, texts[1]!, long);
    expect(full.ids.length).toBeGreaterThan(4);
    const id = full.ids[3]!, upTo = full.ids.indexOf(id) + 1;
    expect(translateIds(m, texts[1]!, { ...long, stop: id }).ids).toEqual(full.ids.slice(0, upTo));
    // A string: the text of the first tokens up to one that completes it.
    const target = full.text.trim().slice(0, 3);
    expect(target.length).toBeGreaterThan(0);
    const stopped = translateIds(m, texts[1]!, { ...long, stop: [target] });
    expect(stopped.text).toContain(target);
    expect(full.ids.slice(0, stopped.ids.length)).toEqual(stopped.ids);
    const before = stopped.ids.length > 1 ? m.tokenizer.decode(stopped.ids.slice(0, -1), { skip_special_tokens: true }) : '';
    expect(before).not.toContain(target);
    expect(stopped.ids.length).toBeLessThan(full.ids.length);
  });

  test('an AbortSignal stops between tokens: translate() throws, stream() rejects, with its AbortError; beam search too', async () => {
    const controller = new AbortController();
    let n = 0;
    // Greedy search on the longer text: it runs past two tokens (the fixtures' greedy outputs do).
    const long = { numBeams: 1, maxNewTokens: 10 };
    expect(translateIds(m, texts[1]!, long).ids.length).toBeGreaterThan(2);
    expect(() => m.translate(texts[1]!, { ...long, signal: controller.signal, onToken: () => { if (++n === 2) controller.abort(); } }))
      .toThrow(expect.objectContaining({ name: 'AbortError' }) as Error);
    expect(n).toBe(2);
    expect(() => m.translate(texts[0]!, { signal: controller.signal, numBeams: 3 })).toThrow(expect.objectContaining({ name: 'AbortError' }) as Error);
    const c2 = new AbortController(), got: string[] = [];
    const run = (async () => {
      for await (const piece of m.stream(texts[1]!, { ...long, signal: c2.signal })) {
        got.push(piece);
        c2.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(got).toHaveLength(1);
    // A signal not aborted changes nothing: the batch beam search's texts.
    expect(m.translate(texts, { numBeams: 2, maxLength: 8, signal: new AbortController().signal })).toEqual(m.translate(texts, { numBeams: 2, maxLength: 8 }));
  });
});

describe('options', () => {
  let m: TextSeq2SeqModel;
  beforeAll(async () => {
    m = await loadModel(join(FIXTURES, 'marian'), { runtime: rt, kind: 'seq2seq' });
  });
  afterAll(() => m?.dispose());

  test('bad options are refused naming the option', () => {
    const t = 'he is sleeping';
    expect(() => m.translate(t, { doSample: true, topP: 0 })).toThrow('translate: option topP must be a number in (0, 1], got 0');
    expect(() => m.translate(t, { temperature: -1 })).toThrow('translate: option temperature must be a number ≥ 0 (0: greedy search), got -1');
    expect(() => m.translate(t, { maxNewTokens: 0 })).toThrow('translate: option maxNewTokens must be an integer ≥ 1, got 0');
    expect(() => m.translate(t, { topK: 1.5 })).toThrow(/option topK/);
    expect(() => m.translate(t, { minP: 2 })).toThrow(/option minP/);
    expect(() => m.translate(t, { seed: -1, doSample: true })).toThrow(/option seed/);
    expect(() => m.translate(t, { stop: [''] })).toThrow(/option stop/);
    expect(() => m.translate(t, { signal: {} as AbortSignal })).toThrow(/option signal must be an AbortSignal/);
    expect(() => m.translate(t, { top_p: 0.5 } as never)).toThrow(/top_p \(Hugging Face's name for topP\)/);
    expect(() => m.translate(t, { temprature: 0.5 } as never)).toThrow(/temprature/);
    expect(() => m.stream(t, { nucleus: 1 } as never)).toThrow(/stream: unknown option.*nucleus/);
    // The caller's beams are not set aside: sampling with them is refused, naming both.
    expect(() => m.translate(t, { numBeams: 3, doSample: true })).toThrow('translate: sampling (doSample) is not supported with beam search (numBeams 3); give numBeams: 1');
    expect(() => m.stream(t, { numBeams: 2 })).toThrow(/stream\(\) is not supported with beam search \(numBeams 2\)/);
    expect(() => m.translate(t, { doSample: true, numReturnSequences: 2 })).toThrow('translate: option numReturnSequences must be an integer from 1 to numBeams (1), got 2');
    expect(() => m.translate([t, t], { onToken: () => {} })).toThrow('translate: option onToken needs a single text, got 2');
  });

  test('the checkpoint\'s sampling defaults (generation_config.json) apply, under the caller\'s options', () => {
    const json = JSON.stringify({ num_beams: 4, max_length: 512, do_sample: true, temperature: 0.7, top_k: 5, top_p: 0.95, repetition_penalty: 1.2, max_new_tokens: 6 });
    const defaults = generationDefaults(json, 'generation_config.json');
    expect(defaults).toEqual({ numBeams: 4, maxLength: 512, doSample: true, temperature: 0.7, topK: 5, topP: 0.95, repetitionPenalty: 1.2, maxNewTokens: 6 });
    expect(() => generationDefaults('{"top_p": 0}', 'generation_config.json')).toThrow(/top_p 0 is not a number in \(0, 1\] \(field top_p/);
    expect(() => generationDefaults('{"max_new_tokens": 0}', 'generation_config.json')).toThrow(/max_new_tokens 0 is not an integer ≥ 1/);
    const sampler = new TextSeq2SeqModel(m.model, m.tokenizer, defaults);
    const t = 'the big red dog is not running today';
    const explicit = { numBeams: 1, doSample: true, temperature: 0.7, topK: 5, topP: 0.95, repetitionPenalty: 1.2, maxNewTokens: 6, seed: 3 };
    const ids: number[] = [];
    // The checkpoint's do_sample sets its 4 beams aside: one beam, sampled.
    expect(sampler.translate(t, { seed: 3, onToken: (_, id) => ids.push(id) })).toEqual(m.translate(t, explicit));
    expect(ids.length).toBeLessThanOrEqual(6);
    expect(sampler.translate(t, { seed: 3, doSample: false })).toEqual(m.translate(t, { ...explicit, doSample: false }));
  });
});
