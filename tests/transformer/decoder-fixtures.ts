// The checks every decoder-only family runs against its fixtures (tools/make_decoder_fixtures.py,
// tests/fixtures/decoders/<variant>: Hugging Face's modeling code in torch, f32): the prompt's
// logits to 1e-4, greedy and beam-search ids identical to torch's for 32 new tokens, KV-cached
// decoding equal to full recomputation, q8 within a stated bound, and the parameter count as
// torch's sum of numel. Used by llama.test.ts and gpt2.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { countParameters } from '../../src/transformer/count-parameters';
import { loadModel } from '../../src/transformer/load';
import { quantizeCheckpoint } from '../../src/transformer/quantize-checkpoint';
import type { TextGenerationModel } from '../../src/transformer/text-generation';

export const DECODERS = join(__dirname, '..', 'fixtures', 'decoders');

interface Fixture {
  prompt: number[];
  logits: { shape: number[]; data: number[] };
  greedy: number[];
  beam: number[];
  eos: number[];
  parameters: number;
}

export function readFixture(variant: string): Fixture {
  return JSON.parse(readFileSync(join(DECODERS, variant, 'fixture.json'), 'utf8')) as Fixture;
}

function largest(got: Float32Array, want: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m;
}

/**
 * q8 against torch's f32 logits (int8 weights per output channel, the head and embeddings included,
 * 7-bit activations per row), relative to the logits' RMS: these models are tiny (D 32–64), so each
 * row's quantization step is coarse. Measured over the six fixtures: RMS error 3.6–6.1% of the
 * logits' RMS, largest error 0.16–0.23 of it (0.33–1.3 in logits of range ±6 to ±28). The bounds
 * are about 1.5 times the largest measured; an unquantized head or a table read as the wrong rows
 * is off by far more. (q8 greedy ids need not match: the fixtures' margins are 0.01–0.2.)
 */
export const Q8_RMS_BOUND = 0.1;
export const Q8_MAX_BOUND = 0.35;

/** RMS error and largest error of logits against torch's, both relative to the RMS of torch's. */
function q8Errors(got: Float32Array, want: ArrayLike<number>): { relative: number; worst: number; rms: number } {
  let squaredError = 0, squared = 0;
  for (let i = 0; i < got.length; i++) {
    squaredError += (got[i]! - want[i]!) ** 2;
    squared += want[i]! ** 2;
  }
  const rms = Math.sqrt(squared / got.length);
  return { relative: Math.sqrt(squaredError / squared), worst: largest(got, want) / rms, rms };
}

/** The standard checks for each variant folder. */
export function describeDecoders(variants: string[]): void {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await init();
  });
  afterAll(() => rt.dispose());

  describe.each(variants)('%s against torch', (variant) => {
    const f = readFixture(variant);
    let model: TextGenerationModel;
    beforeAll(async () => {
      model = await loadModel(join(DECODERS, variant), { runtime: rt, kind: 'decoder' });
    });
    afterAll(() => model.dispose());

    test('the prompt\'s logits agree with torch to 1e-4', () => {
      const got = model.logits(f.prompt);
      expect(got.length).toBe(f.logits.data.length);
      const diff = largest(got, f.logits.data);
      console.log(`${variant}: largest logit difference from torch ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-4);
    });

    test('greedy search gives torch\'s ids for 32 new tokens (generation_config.json\'s max_new_tokens, its EOS)', () => {
      const out = model.generate(f.prompt);
      expect(out.ids).toEqual(f.greedy);
      expect(model.generate(f.prompt, { maxNewTokens: 32, numBeams: 1 }).ids).toEqual(f.greedy);
      // A shorter budget is a prefix.
      expect(model.generate(f.prompt, { maxNewTokens: 5 }).ids).toEqual(f.greedy.slice(0, 5));
    });

    test('beam search with 3 beams gives torch\'s ids', () => {
      expect(model.generate(f.prompt, { numBeams: 3, maxNewTokens: 32 }).ids).toEqual(f.beam);
    });

    test('KV-cached decoding (prefill in one pass, then a token at a time, and in chunks) equals recomputing the whole prefix', () => {
      const seq = [...f.prompt, ...f.greedy];
      const V = model.config.vocabSize, P = f.prompt.length;
      const full = model.logits(seq);
      const row = (t: number) => full.subarray(t * V, (t + 1) * V);
      let worst = 0;
      for (const chunks of [[P, ...f.greedy.map(() => 1)], [3, 2, P - 5, 7, seq.length - P - 7]]) {
        const decoder = model.model.stepDecoder(1, seq.length);
        try {
          let pos = 0;
          for (const n of chunks) {
            const got = decoder.next([seq.slice(pos, pos + n)], pos);
            pos += n;
            worst = Math.max(worst, largest(got, row(pos - 1)));
          }
          expect(pos).toBe(seq.length);
        } finally {
          decoder.free();
        }
      }
      expect(worst).toBeLessThan(1e-4);
    });

    test('a text prompt is tokenized by the checkpoint\'s tokenizer.json and continued as its ids are', () => {
      const text = 'the cat sat on the mat';
      const ids = model.tokenizer.encode(text).ids;
      expect(ids.length).toBeGreaterThan(3);
      const out = model.generate(text, { maxNewTokens: 6 });
      expect(out).toEqual(model.generate(ids, { maxNewTokens: 6 }));
      expect(out.text).toBe(model.tokenizer.decode(out.ids, { skip_special_tokens: true }));
    });

    test('countParameters counts what torch does', () => {
      expect(countParameters(model.config).total).toBe(f.parameters);
    });

    test(`q8 logits: RMS error within ${Q8_RMS_BOUND} and every error within ${Q8_MAX_BOUND} of the logits' RMS`, async () => {
      const q8 = await loadModel(join(DECODERS, variant), { runtime: rt, kind: 'decoder', dtype: 'q8' });
      try {
        const got = q8.logits(f.prompt), want = f.logits.data;
        const { relative, worst, rms } = q8Errors(got, want);
        console.log(`${variant}: q8 RMS error ${relative.toFixed(4)}, largest error ${worst.toFixed(3)} of the logits' RMS ${rms.toFixed(2)}`);
        expect(relative).toBeLessThan(Q8_RMS_BOUND);
        expect(worst).toBeLessThan(Q8_MAX_BOUND);
        expect(largest(got, want), 'q8 is not f32').toBeGreaterThan(1e-3);
      } finally {
        q8.dispose();
      }
    });

    test('a folder quantizeCheckpoint wrote loads as q8: the model dtype \'q8\' builds (GPT-2\'s Conv1D: within the q8 bounds)', async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'wasm-nlp-decoder-q8-'));
      const models: TextGenerationModel[] = [];
      try {
        await quantizeCheckpoint(join(DECODERS, variant), tmp);
        const stored = await loadModel(tmp, { runtime: rt, kind: 'decoder' });
        models.push(stored);
        expect(stored.model.config.family).toBe(model.config.family);
        const got = stored.logits(f.prompt);
        if (model.config.family === 'gpt2') {
          // The file scales each stored row of a Conv1D weight (an input channel); the loader
          // dequantizes it and quantizes again per output channel: a second rounding.
          const { relative, worst } = q8Errors(got, f.logits.data);
          expect(relative).toBeLessThan(Q8_RMS_BOUND);
          expect(worst).toBeLessThan(Q8_MAX_BOUND);
        } else {
          const q8 = await loadModel(join(DECODERS, variant), { runtime: rt, kind: 'decoder', dtype: 'q8' });
          models.push(q8);
          expect(got).toEqual(q8.logits(f.prompt));
        }
      } finally {
        models.forEach((m) => m.dispose());
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}
