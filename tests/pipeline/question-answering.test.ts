// extractAnswers against tools/pipeline_reference.py (HF's question_answering.py postprocess on
// three overlapping windows, with answers in the overlaps, a repeated word, a span inside a word,
// and a context whose CLS logits say "no answer"), then hand-computed cases and every error.
import { describe, expect, test } from 'vitest';
import type { Encoding } from '../../src/tokenizer/encoding';
import { extractAnswers, qaWindowParams, type QuestionAnswer } from '../../src/pipeline/question-answering';
import { fixture } from './decoders';

interface Case {
  name: string;
  context: string;
  clsTokenId: number;
  windows: Encoding[];
  startLogits: number[][];
  endLogits: number[][];
  results: { options: { top_k?: number; max_answer_len?: number; handle_impossible_answer?: boolean; align_to_words?: boolean }; answers: QuestionAnswer[] }[];
}

const CASES = fixture<Case[]>('question-answering.json');

describe('question answering vs the HF reference', () => {
  for (const c of CASES) {
    for (const r of c.results) {
      test(`${c.name} ${JSON.stringify(r.options)}`, () => {
        const o = r.options;
        const got = extractAnswers({
          context: c.context, windows: c.windows, clsTokenId: c.clsTokenId,
          startLogits: c.startLogits.map((x) => Float32Array.from(x)), endLogits: c.endLogits.map((x) => Float32Array.from(x)),
          topK: o.top_k, maxAnswerLength: o.max_answer_len, handleImpossibleAnswer: o.handle_impossible_answer, alignToWords: o.align_to_words,
        });
        expect(got.map((a) => [a.answer, a.start, a.end])).toEqual(r.answers.map((a) => [a.answer, a.start, a.end]));
        got.forEach((a, i) => expect(Math.abs(a.score - r.answers[i]!.score)).toBeLessThan(1e-6));
      });
    }
  }

  test('the fixture covers what it claims', () => {
    const long = CASES.find((c) => c.name === 'three-windows')!;
    expect(long.windows).toHaveLength(3);
    const top5 = long.results.find((r) => r.options.top_k === 5 && r.options.align_to_words === undefined)!.answers;
    const unaligned = long.results.find((r) => r.options.align_to_words === false)!.answers;
    // "Manhattan Bridge" lies in the overlap of windows 0 and 1: both windows' spans add up.
    expect(top5[0]!.answer).toBe('Manhattan Bridge');
    // "tools" (twice in the context) keeps the first position; unaligned, a span inside "entrepreneurs" stays cut.
    expect(top5.find((a) => a.answer === 'tools')!.start).toBe(long.context.indexOf('tools'));
    expect(unaligned.some((a) => a.answer.endsWith('entrepre'))).toBe(true);
    const impossible = CASES.find((c) => c.name === 'impossible')!;
    expect(impossible.results[1]!.answers[0]).toMatchObject({ answer: '', start: 0, end: 0 });
  });
});

/**
 * [CLS] q [SEP] + context tokens + [SEP]: the context tokens are [text, start, end, word].
 * ids: CLS 101, SEP 102, others 1000+.
 */
function window(context: [string, number, number, number][]): Encoding {
  const T = context.length + 4;
  return {
    ids: [101, 1000, 102, ...context.map((_, i) => 1001 + i), 102],
    tokens: ['[CLS]', 'q', '[SEP]', ...context.map((c) => c[0]), '[SEP]'],
    typeIds: [0, 0, 0, ...context.map(() => 1), 1],
    offsets: [[0, 0], [0, 1], [0, 0], ...context.map((c): [number, number] => [c[1], c[2]]), [0, 0]],
    sequenceIds: [null, 0, null, ...context.map((): 1 => 1), null],
    wordIds: [null, 0, null, ...context.map((c) => c[3]), null],
    specialTokensMask: [1, 0, 1, ...context.map(() => 0), 1].slice(0, T),
  };
}

describe('question answering by hand', () => {
  // Context "ab cd". Masked softmax: start = [1, 0, 0, 2, 1, 0] / 4, end = [1, 0, 0, 1, 3, 0] / 5 (the question
  // token's 100 and [SEP]'s are masked to -10000, the CLS token takes part).
  const ln = Math.log;
  const w = window([['ab', 0, 2, 0], ['cd', 3, 5, 1]]);
  const base = { context: 'ab cd', windows: [w], clsTokenId: 101, startLogits: [[0, 100, 100, ln(2), 0, 100]], endLogits: [[0, 100, 100, 0, ln(3), 100]] };

  test('spans score start × end; the CLS token counts in the softmax, not as an answer', () => {
    const got = extractAnswers({ ...base, topK: 3, alignToWords: false });
    expect(got.map((a) => [a.answer, a.start, a.end])).toEqual([['ab cd', 0, 5], ['cd', 3, 5], ['ab', 0, 2]]);
    expect(got.map((a) => a.score)).toEqual([0.5 * 0.6, 0.25 * 0.6, 0.5 * 0.2].map((x) => expect.closeTo(x, 12)));
    // Without a CLS token to keep, index 0 is masked too: start = [0, 0, 0, 2, 1, 0] / 3, end = [0, 0, 0, 1, 3, 0] / 4.
    const noCls = extractAnswers({ ...base, clsTokenId: null, topK: 1, alignToWords: false });
    expect(noCls[0]!.score).toBeCloseTo((2 / 3) * (3 / 4), 12);
  });

  test('maxAnswerLength and the impossible answer', () => {
    const short = extractAnswers({ ...base, topK: 2, maxAnswerLength: 1, alignToWords: false });
    expect(short.map((a) => [a.answer, a.score])).toEqual([['cd', expect.closeTo(0.15, 12)], ['ab', expect.closeTo(0.1, 12)]]);
    const withNull = extractAnswers({ ...base, topK: 5, alignToWords: false, handleImpossibleAnswer: true });
    // 3 positive spans, then zero cells fill the 5 asked for: (0, 0) → "" and (0, 3) → "ab" (+0), then the null answer
    expect(withNull.map((a) => [a.answer, a.score])).toEqual([
      ['ab cd', expect.closeTo(0.3, 12)], ['cd', expect.closeTo(0.15, 12)], ['ab', expect.closeTo(0.1, 12)], ['', expect.closeTo(0.25 * 0.2, 12)], ['', 0],
    ]);
  });

  test('aligned to words: pieces of one word widen to it and their scores add up', () => {
    // "Brooklyn is": Brook ##lyn is. start = [1, 0, 0, 1, 2, 1] / 5, end = [1, 0, 0, 1, 3, 1] / 6.
    const bw = window([['Brook', 0, 5, 0], ['##lyn', 5, 8, 0], ['is', 9, 11, 1]]);
    const o = { context: 'Brooklyn is', windows: [bw], clsTokenId: 101, startLogits: [[0, 9, 9, 0, ln(2), 0, 9]], endLogits: [[0, 9, 9, 0, ln(3), 0, 9]] };
    const s = [0, 0, 0, 1 / 5, 2 / 5, 1 / 5];
    const e = [0, 0, 0, 1 / 6, 3 / 6, 1 / 6];
    const brooklyn = s[3]! * e[3]! + s[3]! * e[4]! + s[4]! * e[4]!; // (Brook,Brook) (Brook,##lyn) (##lyn,##lyn)
    const got = extractAnswers({ ...o, topK: 3 });
    expect(got.map((a) => [a.answer, a.start, a.end])).toEqual([['Brooklyn', 0, 8], ['Brooklyn is', 0, 11], ['is', 9, 11]]);
    expect(got[0]!.score).toBeCloseTo(brooklyn, 12);
    expect(got[1]!.score).toBeCloseTo(s[3]! * e[5]! + s[4]! * e[5]!, 12);
    const raw = extractAnswers({ ...o, topK: 1, alignToWords: false });
    expect(raw[0]).toEqual({ answer: 'lyn', start: 5, end: 8, score: expect.closeTo(s[4]! * e[4]!, 12) });
    // A window that starts inside the word knows only the pieces it holds.
    const cut = window([['##lyn', 5, 8, 0], ['is', 9, 11, 1]]);
    const inCut = extractAnswers({ ...o, windows: [cut], startLogits: [[0, 9, 9, 5, 0, 9]], endLogits: [[0, 9, 9, 5, 0, 9]] });
    expect(inCut[0]).toMatchObject({ answer: 'lyn', start: 5, end: 8 });
    // word_to_chars stops at the first later word (tokenizers' take_while): word 0 coming back after word 1 is not reached.
    const odd = window([['Brook', 0, 5, 0], ['is', 9, 11, 1], ['##lyn', 5, 8, 0]]);
    const inOdd = extractAnswers({ ...o, windows: [odd], startLogits: [[0, 9, 9, -9, -9, 5, 9]], endLogits: [[0, 9, 9, -9, -9, 5, 9]] });
    expect(inOdd[0]).toMatchObject({ answer: 'Brook', start: 0, end: 5 });
  });

  test('answers with the same text in another case merge into the first', () => {
    const rep = window([['Paris', 0, 5, 0], ['or', 6, 8, 1], ['paris', 9, 14, 2]]);
    const got = extractAnswers({ context: 'Paris or paris', windows: [rep], clsTokenId: 101, topK: 3, alignToWords: false,
      startLogits: [[-50, 0, 0, 3, -50, 3, 0]], endLogits: [[-50, 0, 0, 3, -50, 3, 0]] });
    expect(got.map((a) => a.answer)).toEqual(['Paris', 'Paris or paris']);
    // start ≈ end ≈ [0, 0, 0, ½, 0, ½, 0]: the 3 best cells (Paris,Paris), (Paris,paris), (paris,paris) score 0.25 each;
    // the third has the first one's text but for case, so it adds to it.
    expect(got[0]).toMatchObject({ answer: 'Paris', start: 0, end: 5 });
    expect(got[0]!.score).toBeCloseTo(0.5, 6);
  });

  test('bad input names the option', () => {
    expect(() => extractAnswers({ ...base, topK: 0 })).toThrow('top_k parameter should be >= 1 (got 0)');
    expect(() => extractAnswers({ ...base, maxAnswerLength: 0 })).toThrow('max_answer_len parameter should be >= 1 (got 0)');
    expect(() => extractAnswers({ ...base, windows: [] })).toThrow('windows must hold at least one Encoding');
    expect(() => extractAnswers({ ...base, endLogits: [] })).toThrow('endLogits must hold one array per window (1), got 0');
    expect(() => extractAnswers({ ...base, startLogits: [[0, 1]] })).toThrow("startLogits[0] has 2 values, expected 6 (T, the window's tokens)");
    expect(() => extractAnswers({ ...base, endLogits: [[0, 0, 0, Infinity, 0, 0]] })).toThrow('endLogits[0][3] is Infinity: logits must be finite');
    expect(() => extractAnswers({ ...base, context: 'ab' })).toThrow('windows[0].offsets[4] = [3, 5] is not a range of the context (length 2)');
    expect(() => extractAnswers({ ...base, windows: [{ ...w, wordIds: [] }] })).toThrow('windows[0].wordIds must have one entry per token (6), got 0');
    expect(() => extractAnswers({ ...base, clsTokenId: 1.5 })).toThrow('clsTokenId must be a token id or null, got 1.5');
  });
});

describe('qaWindowParams', () => {
  test("HF's defaults: 384 clipped to the model, stride 128 clipped to half", () => {
    expect(qaWindowParams({ modelMaxLength: 512 })).toEqual({ maxSeqLen: 384, docStride: 128 });
    expect(qaWindowParams({ modelMaxLength: 200 })).toEqual({ maxSeqLen: 200, docStride: 100 });
    expect(qaWindowParams({ modelMaxLength: 101 })).toEqual({ maxSeqLen: 101, docStride: 50 });
    expect(qaWindowParams({ modelMaxLength: 512, maxSeqLen: 64 })).toEqual({ maxSeqLen: 64, docStride: 32 });
    expect(qaWindowParams({ modelMaxLength: 512, docStride: 10 })).toEqual({ maxSeqLen: 384, docStride: 10 });
  });
  test('errors', () => {
    expect(() => qaWindowParams({ modelMaxLength: 512, docStride: 400 })).toThrow('`doc_stride` (400) is larger than `max_seq_len` (384)');
    expect(() => qaWindowParams({ modelMaxLength: 0 })).toThrow('modelMaxLength must be an integer ≥ 1, got 0');
    expect(() => qaWindowParams({ modelMaxLength: 512, docStride: -1 })).toThrow('docStride must be an integer ≥ 0, got -1');
  });
});
