// fillMask against tools/pipeline_reference.py (HF's fill_mask.py postprocess: one mask, targets
// with a duplicate and topK capped, two masks with padding), then hand-computed cases and every error.
import { describe, expect, test } from 'vitest';
import { fillMask, type FillMaskPrediction } from '../../src/pipeline/fill-mask';
import { bertDecode, fixture } from './decoders';

interface Case {
  name: string;
  vocab: string[];
  specialTokens: string[];
  inputIds: number[];
  maskTokenId: number;
  padTokenId: number;
  maskLogits: number[][];
  results: { options: { top_k?: number; targets?: number[] }; predictions: FillMaskPrediction[] | FillMaskPrediction[][] }[];
}

const CASES = fixture<Case[]>('fill-mask.json');

describe('fill-mask vs the HF reference', () => {
  for (const c of CASES) {
    for (const r of c.results) {
      test(`${c.name} ${JSON.stringify(r.options)}`, () => {
        const got = fillMask({
          inputIds: c.inputIds, maskLogits: c.maskLogits.map((x) => Float32Array.from(x)), maskTokenId: c.maskTokenId, padTokenId: c.padTokenId,
          topK: r.options.top_k, targets: r.options.targets, decode: bertDecode(c.vocab, c.specialTokens),
        });
        const flat = (x: FillMaskPrediction[] | FillMaskPrediction[][]) => (Array.isArray(x[0]) ? (x as FillMaskPrediction[][]) : [x as FillMaskPrediction[]]);
        expect(Array.isArray(got[0])).toBe(Array.isArray(r.predictions[0])); // HF's shape: nested only for several masks
        const [g, w] = [flat(got), flat(r.predictions)];
        expect(g.map((row) => row.map((p) => ({ ...p, score: 0 })))).toEqual(w.map((row) => row.map((p) => ({ ...p, score: 0 }))));
        g.forEach((row, m) => row.forEach((p, k) => expect(Math.abs(p.score - w[m]![k]!.score)).toBeLessThan(1e-6)));
      });
    }
  }

  test('the fixture covers what it claims', () => {
    const two = CASES.find((c) => c.name === 'two-masks-padded')!;
    expect(two.inputIds.filter((i) => i === two.maskTokenId)).toHaveLength(2);
    expect(two.inputIds.at(-1)).toBe(two.padTokenId);
    const capped = CASES[0]!.results.find((r) => r.options.targets?.length === 3)!;
    expect(capped.predictions).toHaveLength(2); // 3 targets, one a duplicate: top 5 capped at 2
  });
});

describe('fill-mask by hand', () => {
  // vocabulary a b c [MASK] [CLS]; logits ln 1, ln 2, ln 5 (and -inf-ish for the specials) → 1/8, 2/8, 5/8
  const vocab = ['a', 'b', 'c', '[MASK]', '[CLS]'];
  const decode = bertDecode(vocab, ['[MASK]', '[CLS]']);
  const row = [0, Math.log(2), Math.log(5), -100, -100];
  const base = { inputIds: [4, 0, 3], maskLogits: [row], maskTokenId: 3, decode };

  test('top tokens with their probabilities and the filled sentence', () => {
    expect(fillMask({ ...base, topK: 2 })).toEqual([
      { score: expect.closeTo(5 / 8, 12), token: 2, token_str: 'c', sequence: 'a c' },
      { score: expect.closeTo(2 / 8, 12), token: 1, token_str: 'b', sequence: 'a b' },
    ]);
    // targets keep the full softmax's probabilities; topK is capped at their number
    expect(fillMask({ ...base, targets: [0, 0] })).toEqual([{ score: expect.closeTo(1 / 8, 12), token: 0, token_str: 'a', sequence: 'a a' }]);
    // two masks: one list each, other masks left in (special tokens kept)
    const two = fillMask({ ...base, inputIds: [4, 3, 3], maskLogits: [row, [9, 0, 0, 0, 0]], topK: 1 }) as { sequence: string }[][];
    expect(two.map((r) => r.map((p) => p.sequence))).toEqual([['[CLS] c [MASK]'], ['[CLS] [MASK] a']]);
  });

  test('errors', () => {
    expect(() => fillMask({ ...base, inputIds: [4, 0] })).toThrow('No mask_token (id 3) found on the input');
    expect(() => fillMask({ ...base, maskLogits: [row, row] })).toThrow('maskLogits must hold one row of V logits per mask token (1), got 2');
    expect(() => fillMask({ ...base, maskLogits: [[]] })).toThrow('maskLogits[0] is empty: expected V logits');
    expect(() => fillMask({ ...base, maskLogits: [[0, NaN, 0, 0, 0]] })).toThrow('maskLogits[0][1] is NaN: logits must be finite');
    expect(() => fillMask({ ...base, targets: [] })).toThrow('At least one target must be provided when passed.');
    expect(() => fillMask({ ...base, targets: [1, 7] })).toThrow('targets[1] = 7 is not a token id (vocabulary of 5)');
    expect(() => fillMask({ ...base, topK: 6 })).toThrow('topK (6) is larger than the vocabulary (5)');
    expect(() => fillMask({ ...base, topK: 0 })).toThrow('topK must be an integer ≥ 1, got 0');
  });
});
