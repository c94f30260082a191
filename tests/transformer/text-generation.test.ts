// TextGenerationModel's generation options end to end (src/transformer/text-generation.ts):
// greedy search with a repetition penalty and seeded sampling against tools/make_decoder_fixtures.py
// --sampling (torch's model and HF's processors; our sampler transcribed in Python), streaming,
// stop strings and ids, abort, truncation, the checkpoint's sampling defaults, and bad input.
// A scripted stand-in for the model (its logits pick the next id of a script) drives the cases
// that need given tokens: a character split across byte-level BPE tokens, vocabulary rows the
// tokenizer cannot decode, a slow step.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import type { TransformerConfig } from '../../src/transformer/config';
import type { DecoderOnlyModel } from '../../src/transformer/decoder-only';
import { loadModel } from '../../src/transformer/load';
import { TextGenerationModel, type TextGenerationOptions } from '../../src/transformer/text-generation';
import { DECODERS, readFixture } from './decoder-fixtures';

interface Seeded { seed: number; case: number; ids: number[]; gap: number }
interface SamplingFixture {
  cases: Record<string, number | boolean>[];
  models: Record<string, { penalised: { repetition_penalty: number; ids: number[] }; seeded: Seeded[] }>;
}
const sampling = JSON.parse(readFileSync(join(DECODERS, 'sampling.json'), 'utf8')) as SamplingFixture;

/** A fixture case in our option names. */
function optionsOf(c: Record<string, number | boolean>): TextGenerationOptions {
  return { doSample: c['do_sample'] as boolean, temperature: c['temperature'] as number, topK: c['top_k'] as number, topP: c['top_p'] as number,
    minP: c['min_p'] as number | undefined, repetitionPenalty: c['repetition_penalty'] as number | undefined };
}

async function collect(pieces: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of pieces) out.push(p);
  return out;
}

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

describe.each(['llama', 'gpt2'])('%s', (name) => {
  const f = readFixture(name), ref = sampling.models[name]!;
  let model: TextGenerationModel;
  beforeAll(async () => {
    model = await loadModel(join(DECODERS, name), { runtime: rt, kind: 'decoder' });
  });
  afterAll(() => model.dispose());

  test('greedy search with repetitionPenalty 1.3 gives torch\'s ids (HF\'s RepetitionPenaltyLogitsProcessor, prompt included)', () => {
    const out = model.generate(f.prompt, { repetitionPenalty: ref.penalised.repetition_penalty, maxNewTokens: 16 });
    expect(out.ids).toEqual(ref.penalised.ids);
    // It changes the output: the fixture's plain greedy run differs.
    expect(out.ids).not.toEqual(f.greedy.slice(0, 16));
  });

  test('seeded sampling (temperature, top-k, top-p, min-p, repetition penalty) picks the Python transcription\'s ids', () => {
    for (const s of ref.seeded) {
      const out = model.generate(f.prompt, { ...optionsOf(sampling.cases[s.case]!), seed: s.seed, maxNewTokens: 16 });
      expect(out.ids, `seed ${s.seed}`).toEqual(s.ids);
      expect(out.text).toBe(model.tokenizer.decode(out.ids, { skip_special_tokens: true }));
    }
  });

  test('the same seed gives the same ids; other seeds give others', () => {
    const o = { doSample: true, temperature: 1.3, topK: 0, maxNewTokens: 20 };
    const a = model.generate(f.prompt, { ...o, seed: 11 }).ids;
    expect(model.generate(f.prompt, { ...o, seed: 11 }).ids).toEqual(a);
    const others = [12, 13, 14, 2 ** 40].map((seed) => model.generate(f.prompt, { ...o, seed }).ids.join());
    expect(new Set([a.join(), ...others]).size).toBe(5);
    // Temperature 0 is greedy search, sampling or not.
    expect(model.generate(f.prompt, { doSample: true, temperature: 0, seed: 1 }).ids).toEqual(f.greedy);
  });

  test('stream() gives pieces that concatenate to generate()\'s text; onToken sees every token', async () => {
    const o = { doSample: true, temperature: 1.3, topK: 0, seed: 5, maxNewTokens: 40 };
    const want = model.generate(f.prompt, o);
    const seen: [string, number][] = [];
    const pieces = await collect(model.stream(f.prompt, { ...o, onToken: (piece, id) => seen.push([piece, id]) }));
    expect(pieces.join('')).toBe(want.text);
    expect(seen.map(([, id]) => id)).toEqual(want.ids);
    expect(seen.map(([p]) => p).join('')).toBe(want.text);
    expect(pieces.every((p) => p.length > 0)).toBe(true);
    // Only the last piece may end in an incomplete character (generation stopped inside it).
    pieces.slice(0, -1).forEach((p) => expect(p.endsWith('\uFFFD')).toBe(false));
    // generate()'s onToken gives the same.
    const again: [string, number][] = [];
    model.generate(f.prompt, { ...o, onToken: (piece, id) => again.push([piece, id]) });
    expect(again).toEqual(seen);
  });

  test('stop: an id ends generation when produced (kept last); a string when the text contains it (kept, as HF\'s stop_strings)', () => {
    const at = f.greedy.findIndex((t, i) => i >= 3 && f.greedy.indexOf(t) === i);
    expect(model.generate(f.prompt, { stop: f.greedy[at] }).ids).toEqual(f.greedy.slice(0, at + 1));
    expect(model.generate(f.prompt, { stop: [999 % model.config.vocabSize, f.greedy[at]!] }).ids).toEqual(f.greedy.slice(0, at + 1));
    const full = model.generate(f.prompt, { maxNewTokens: 32 });
    // A stop string spanning tokens: the text's characters 3 to 5.
    const stop = full.text.slice(3, 6);
    expect(stop.length).toBe(3);
    const out = model.generate(f.prompt, { stop: ['never in the text \u0000', stop] });
    expect(out.text).toContain(stop);
    expect(out.text.indexOf(stop) + stop.length).toBeGreaterThan(model.tokenizer.decode(out.ids.slice(0, -1), { skip_special_tokens: true }).length);
    expect(full.ids.slice(0, out.ids.length)).toEqual(out.ids);
    expect(out.ids.length).toBeLessThan(full.ids.length);
  });

  test('a prompt past the model\'s positions is refused, or with truncation: \'truncate\' cut to its last tokens (a leading BOS kept)', () => {
    const long = Array.from({ length: 70 }, (_, i) => 5 + (i * 37) % 400);
    const prompt = name === 'llama' ? [0, ...long] : long;
    expect(() => model.generate(prompt, { maxNewTokens: 4 })).toThrow(`generate: the prompt has ${prompt.length} tokens, and the model's positions end at 64: no room for a new token; pass truncation: 'truncate' to keep its last tokens`);
    const out = model.generate(prompt, { maxNewTokens: 4, truncation: 'truncate' });
    const kept = name === 'llama' ? [0, ...long.slice(long.length - 59)] : long.slice(long.length - 60);
    expect(out).toEqual(model.generate(kept, { maxNewTokens: 4 }));
    expect(out.ids).toHaveLength(4);
  });

  test('an AbortSignal stops generation between tokens: generate() throws, stream() rejects, with its AbortError', async () => {
    const controller = new AbortController();
    let n = 0;
    expect(() => model.generate(f.prompt, { signal: controller.signal, onToken: () => { if (++n === 3) controller.abort(); } }))
      .toThrow(expect.objectContaining({ name: 'AbortError' }) as Error);
    expect(n).toBe(3);
    expect(() => model.generate(f.prompt, { signal: controller.signal, numBeams: 3 })).toThrow(expect.objectContaining({ name: 'AbortError' }) as Error);
    const c2 = new AbortController(), got: string[] = [];
    const run = (async () => {
      for await (const piece of model.stream(f.prompt, { signal: c2.signal, doSample: true, topK: 0, temperature: 1.5, seed: 3, maxNewTokens: 50 })) {
        got.push(piece);
        if (got.length === 2) c2.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(got).toHaveLength(2);
    const reason = new Error('mine');
    const c3 = new AbortController();
    c3.abort(reason);
    await expect(collect(model.stream(f.prompt, { signal: c3.signal }))).rejects.toBe(reason);
  });
});

describe('options and bad input', () => {
  let model: TextGenerationModel;
  const f = readFixture('llama');
  beforeAll(async () => {
    model = await loadModel(join(DECODERS, 'llama'), { runtime: rt, kind: 'decoder' });
  });
  afterAll(() => model.dispose());

  test('each bad option is refused, naming it', () => {
    const refused: [TextGenerationOptions | Record<string, unknown>, string][] = [
      [{ maxNewTokens: 0 }, 'generate: option maxNewTokens must be an integer ≥ 1, got 0'],
      [{ maxNewTokens: 2.5 }, 'option maxNewTokens must be an integer ≥ 1, got 2.5'],
      [{ topP: 0 }, 'generate: option topP must be a number in (0, 1], got 0'],
      [{ topP: 1.5 }, 'option topP must be a number in (0, 1], got 1.5'],
      [{ temperature: -0.5 }, 'generate: option temperature must be a number ≥ 0 (0: greedy search), got -0.5'],
      [{ topK: -1 }, 'generate: option topK must be an integer ≥ 0 (0: no limit), got -1'],
      [{ topK: 2.5 }, 'option topK must be an integer ≥ 0 (0: no limit), got 2.5'],
      [{ minP: 1.2 }, 'generate: option minP must be a number in [0, 1], got 1.2'],
      [{ repetitionPenalty: 0 }, 'generate: option repetitionPenalty must be a number > 0, got 0'],
      [{ doSample: 'yes' }, 'generate: option doSample must be true or false, got "yes"'],
      [{ seed: -1 }, 'generate: option seed must be an integer in [0, 2^53), got -1'],
      [{ stop: '' }, 'generate: option stop must be non-empty strings or token ids in [0, 511), got ""'],
      [{ stop: ['a', 511] }, 'option stop must be non-empty strings or token ids in [0, 511), got 511'],
      [{ onToken: 'x' }, 'generate: option onToken must be a function (piece, id) => void, got "x"'],
      [{ signal: {} }, 'generate: option signal must be an AbortSignal, got [object Object]'],
      [{ truncation: 'left' }, 'generate: option truncation must be \'error\' or \'truncate\', got "left"'],
      [{ numBeams: 0 }, 'generate: option numBeams must be an integer ≥ 1, got 0'],
      [{ top_k: 5 }, "generate: unknown option top_k (Hugging Face's name for topK); write { topK: 5 }"],
      [{ max_new_tokens: 5, do_sample: true }, "unknown options max_new_tokens (Hugging Face's name for maxNewTokens), do_sample (Hugging Face's name for doSample); write { maxNewTokens: 5, doSample: true }"],
      [{ stop_strings: ['.'] }, "stop_strings (Hugging Face's name for stop)"],
      [{ tempreature: 0.5 }, 'unknown option tempreature (did you mean temperature?)'],
      [{ numBeams: 3, doSample: true }, 'generate: sampling (doSample) is not supported with beam search (numBeams 3); give doSample: false, or numBeams: 1'],
      [{ numBeams: 3, stop: 'x' }, 'generate: option stop with strings is not supported with beam search (numBeams 3); give numBeams: 1'],
      [{ numBeams: 3, repetitionPenalty: 1.2 }, 'generate: option repetitionPenalty is not supported with beam search'],
      [{ numBeams: 3, onToken: () => {} }, 'generate: option onToken is not supported with beam search'],
    ];
    for (const [o, message] of refused) expect(() => model.generate(f.prompt, o as TextGenerationOptions), JSON.stringify(o)).toThrow(message);
    expect(() => model.stream(f.prompt, { topP: 2 })).toThrow('stream: option topP must be a number in (0, 1], got 2');
    expect(() => model.stream(f.prompt, { numBeams: 2 })).toThrow('stream: option numBeams must be 1 (greedy search or sampling)');
    // Beam search with a stop id: an EOS of its own.
    expect(model.generate(f.prompt, { numBeams: 3, maxNewTokens: 32 }).ids).toEqual(f.beam);
  });

  test('the checkpoint\'s sampling defaults (generation_config.json) apply unless the options override them; bad values are refused at load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-sampling-'));
    try {
      cpSync(join(DECODERS, 'llama'), dir, { recursive: true });
      const gen = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ ...gen, do_sample: true, temperature: 0.7, top_k: 5, repetition_penalty: 1.1 }));
      const sampled = await loadModel(dir, { runtime: rt, kind: 'decoder' });
      try {
        expect(sampled.generationDefaults).toMatchObject({ doSample: true, temperature: 0.7, topK: 5, repetitionPenalty: 1.1, maxNewTokens: 32 });
        const want = model.generate(f.prompt, { doSample: true, temperature: 0.7, topK: 5, repetitionPenalty: 1.1, seed: 4 });
        expect(sampled.generate(f.prompt, { seed: 4 })).toEqual(want);
        expect(want.ids).not.toEqual(f.greedy);
        expect(sampled.generate(f.prompt, { doSample: false, repetitionPenalty: 1 }).ids).toEqual(f.greedy);
        expect(() => sampled.generate(f.prompt, { numBeams: 3 })).toThrow("generate: sampling (doSample: the checkpoint's do_sample) is not supported with beam search (numBeams 3)");
      } finally {
        sampled.dispose();
      }
      writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ ...gen, top_p: 1.5 }));
      await expect(loadModel(dir, { runtime: rt, kind: 'decoder' })).rejects.toThrow('generation_config.json: top_p 1.5 is not a number in (0, 1] (field top_p, byte offset');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A stand-in for the decoder: its logits make `script[n]` the best token after n new tokens (and
 * `favourite`, when given, better still), each step taking `stepMs` of busy time.
 */
function scripted(script: number[], promptLength: number, V: number, o: { favourite?: number; stepMs?: number } = {}) {
  const config = { vocabSize: V, maxPositions: 64, padTokenId: 1, eosTokenId: 2 } as TransformerConfig;
  const state = { freed: 0, steps: 0 };
  const model = {
    config,
    stepDecoder: () => ({
      next: (tokens: number[][], pos: number) => {
        state.steps++;
        const until = Date.now() + (o.stepMs ?? 0);
        while (Date.now() < until) { /* a slow model */ }
        const logits = new Float32Array(V);
        logits[script[pos + tokens[0]!.length - promptLength] ?? 2] = 10;
        if (o.favourite !== undefined) logits[o.favourite] = 20;
        return logits;
      },
      reorder: () => {},
      free: () => { state.freed++; },
    }),
  } as unknown as DecoderOnlyModel;
  return { model, state };
}

describe('with a scripted model', () => {
  let tokenizer: TextGenerationModel['tokenizer'];
  beforeAll(async () => {
    const m = await loadModel(join(DECODERS, 'gpt2'), { runtime: rt, kind: 'decoder' });
    tokenizer = m.tokenizer;
    m.dispose();
  });
  const TEXT = 'héllo 😀 wörld €';

  test('characters split across byte-level tokens come out whole, and only when complete', async () => {
    const ids = tokenizer.encode(TEXT).ids;
    // é, ö and € are two or three single-byte tokens, the emoji four.
    expect(ids.length).toBeGreaterThan(15);
    const { model, state } = scripted(ids, 1, 511);
    const gen = new TextGenerationModel(model, tokenizer);
    const seen: [string, number][] = [];
    const pieces = await collect(gen.stream([65], { maxNewTokens: ids.length, onToken: (p, id) => seen.push([p, id]) }));
    expect(pieces).toEqual(['h', 'é', 'll', 'o', ' ', '😀', ' w', 'ö', 'r', 'ld', ' ', '€']);
    expect(seen.map(([, id]) => id)).toEqual(ids);
    // The tokens inside a character give ''.
    expect(seen.filter(([p]) => p === '').length).toBe(ids.length - pieces.length);
    expect(gen.generate([65], { maxNewTokens: ids.length }).text).toBe(TEXT);
    expect(state.freed).toBe(2);
    // Stopping inside a character: the last piece has the incomplete character, as the text does.
    const cut = await collect(gen.stream([65], { maxNewTokens: 7 }));
    expect(cut.join('')).toBe(tokenizer.decode(ids.slice(0, 7)));
    expect(cut.join('').endsWith('\uFFFD')).toBe(true);
  });

  test('a stop string spanning tokens ends generation at the token that completes it (the string kept); break frees the cache', async () => {
    const ids = tokenizer.encode(TEXT).ids;
    const { model, state } = scripted(ids, 1, 511);
    const gen = new TextGenerationModel(model, tokenizer);
    expect(gen.generate([65], { maxNewTokens: 30, stop: 'o 😀' }).text).toBe('héllo 😀');
    expect(gen.generate([65], { maxNewTokens: 30, stop: ['zz', 'wö'] }).text).toBe('héllo 😀 wö');
    // A stop string inside one token's text ("ll"): the whole token is kept.
    expect(gen.generate([65], { maxNewTokens: 30, stop: 'l' }).text).toBe('héll');
    expect(gen.generate([65], { maxNewTokens: 30, stop: ids[3] }).ids).toEqual(ids.slice(0, 4));
    for await (const piece of gen.stream([65], { maxNewTokens: 30 })) if (piece === 'o') break;
    expect(state.freed).toBe(5);
  });

  test('ids the tokenizer cannot decode (vocabulary rows past its 511 tokens) are never generated', () => {
    const ids = tokenizer.encode('abc').ids;
    const { model } = scripted(ids, 1, 520, { favourite: 515 });
    const gen = new TextGenerationModel(model, tokenizer);
    expect(gen.generate([65], { maxNewTokens: 3 }).ids).toEqual(ids);
    const sampled = gen.generate([65], { maxNewTokens: 20, doSample: true, topK: 0, temperature: 100, seed: 1 }).ids;
    expect(sampled.every((t) => t < 511)).toBe(true);
    expect(new Set(sampled).size).toBeGreaterThan(5);
  });

  test('stream() yields to the event loop between tokens: a timer\'s abort stops a slow generation', async () => {
    const { model, state } = scripted(Array.from({ length: 60 }, () => 70), 1, 511, { stepMs: 3 });
    const gen = new TextGenerationModel(model, tokenizer);
    const controller = new AbortController();
    // The timer starts at the first token; at 3 ms a step, all 60 would take 180 ms.
    const onToken = () => { if (state.steps === 1) setTimeout(() => controller.abort(), 10); };
    await expect(collect(gen.stream([65], { maxNewTokens: 60, signal: controller.signal, onToken }))).rejects.toMatchObject({ name: 'AbortError' });
    expect(state.steps).toBeLessThan(40);
    expect(state.freed).toBe(1);
  });
});
