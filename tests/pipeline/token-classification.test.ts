// tokenEntities against tools/pipeline_reference.py (HF's token_classification.py on a
// WordPiece encoding with split words, a repeated name, punctuation and an [UNK], and on
// SentencePiece-style pieces with the space heuristic), then hand-computed cases and every error.
import { describe, expect, test } from 'vitest';
import type { Encoding } from '../../src/tokenizer/encoding';
import {
  aggregateOverlappingEntities, tokenEntities, type AggregationStrategy, type EntityGroup, type TokenEntity,
} from '../../src/pipeline/token-classification';
import { fixture, metaspaceDecoder, wordpieceDecoder } from './decoders';

interface Case {
  name: string;
  text: string;
  encoding: Encoding;
  id2label: string[];
  logits: number[];
  wordAware: boolean;
  unkTokenId: number;
  decoder: 'wordpiece' | 'metaspace';
  results: { strategy: AggregationStrategy; ignoreLabels: string[] | null; entities: (TokenEntity | EntityGroup)[] }[];
}

const CASES = fixture<Case[]>('token-classification.json');

function expectEntities(got: (TokenEntity | EntityGroup)[], want: (TokenEntity | EntityGroup)[]) {
  expect(got.map((e) => ({ ...e, score: 0 }))).toEqual(want.map((e) => ({ ...e, score: 0 })));
  got.forEach((e, i) => expect(Math.abs(e.score - want[i]!.score)).toBeLessThan(1e-6));
}

describe('token classification vs the HF reference', () => {
  for (const c of CASES) {
    for (const r of c.results) {
      test(`${c.name}, ${r.strategy}, ignoreLabels ${JSON.stringify(r.ignoreLabels)}`, () => {
        const got = tokenEntities({
          text: c.text, logits: Float32Array.from(c.logits), encoding: c.encoding, id2label: c.id2label, strategy: r.strategy,
          ignoreLabels: r.ignoreLabels ?? undefined, wordAware: c.wordAware, unkTokenId: c.unkTokenId,
          convertTokensToString: c.decoder === 'wordpiece' ? wordpieceDecoder : metaspaceDecoder,
        });
        expect(r.entities.length).toBeGreaterThan(0);
        expectEntities(got, r.entities);
      });
    }
  }

  test('the fixture covers what it claims', () => {
    const wp = CASES.find((c) => c.name === 'wordpiece')!;
    const first = wp.results.find((r) => r.strategy === 'first')!.entities.map((e) => e.word);
    expect(first).toContain('Hugging'); // "Hu ##gging" fused
    expect(first).toContain('Brooklyn');
    expect(first).toContain('☃'); // [UNK] reported as its text
    const simple = wp.results.find((r) => r.strategy === 'simple' && r.ignoreLabels === null)!.entities.map((e) => e.word);
    expect(simple).toContain('##gging'); // 'simple' leaves a disagreeing subword on its own
    // The heuristic gives different words with and without the space in the offsets.
    const sp = CASES.filter((c) => c.name.startsWith('sentencepiece'));
    expect(sp.map((c) => c.encoding.offsets[5])).toEqual([[14, 19], [13, 19]]);
  });
});

/** [CLS] + tokens + [SEP] with the given offsets (word ids and sequence ids are not read here). */
function enc(tokens: [string, number, number][]): Encoding {
  const n = tokens.length + 2;
  return {
    ids: [101, ...tokens.map((_, i) => 1000 + i), 102],
    tokens: ['[CLS]', ...tokens.map((t) => t[0]), '[SEP]'],
    typeIds: new Array(n).fill(0),
    offsets: [[0, 0], ...tokens.map((t): [number, number] => [t[1], t[2]]), [0, 0]],
    sequenceIds: [null, ...tokens.map((): 0 => 0), null],
    wordIds: [null, ...tokens.map((_, i) => i), null],
    specialTokensMask: [1, ...tokens.map(() => 0), 1],
  };
}

/** Logits rows for [CLS], the tokens, [SEP]: natural logs so that softmax gives round numbers. */
function rows(...r: number[][]): Float32Array {
  const L = r[0]!.length;
  return Float32Array.from([...new Array(L).fill(0), ...r.flat(), ...new Array(L).fill(0)]);
}

describe('token classification by hand', () => {
  const id2label = ['O', 'B-PER', 'I-PER'];
  // "Jose went": Jo → probabilities [0.25, 0.75, 0] (logits ln 1, ln 3, -inf-ish), ##se → [0.9, 0.1, 0], went → [0.8, 0.2, 0].
  const text = 'Jose went';
  const encoding = enc([['Jo', 0, 2], ['##se', 2, 4], ['went', 5, 9]]);
  const logits = rows([0, Math.log(3), -30], [Math.log(9), 0, -30], [Math.log(4), 0, -30]);
  const base = { text, encoding, id2label, logits, wordAware: true, convertTokensToString: wordpieceDecoder };

  test("'none' gives each kept token with its probability", () => {
    const got = tokenEntities({ ...base });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ entity: 'B-PER', index: 1, word: 'Jo', start: 0, end: 2 });
    expect(got[0]!.score).toBeCloseTo(0.75, 6);
    expect(tokenEntities({ ...base, ignoreLabels: [] }).map((e) => [e.entity, e.word])).toEqual([['B-PER', 'Jo'], ['O', '##se'], ['O', 'went']]);
  });

  test("'first', 'average', 'max' settle the word 'Jose' three ways", () => {
    const first = tokenEntities({ ...base, strategy: 'first' });
    expect(first).toEqual([{ entity_group: 'PER', score: expect.closeTo(0.75, 6), word: 'Jose', start: 0, end: 4 }]);
    // mean of [0.25, 0.75] and [0.9, 0.1] = [0.575, 0.425]: O wins, and O is ignored
    expect(tokenEntities({ ...base, strategy: 'average' })).toEqual([]);
    const average = tokenEntities({ ...base, strategy: 'average', ignoreLabels: [] });
    expect(average.map((g) => [g.entity_group, g.word, g.start, g.end])).toEqual([['O', 'Jose went', 0, 9]]);
    expect(average[0]!.score).toBeCloseTo((0.575 + 0.8) / 2, 6);
    // the most confident token (##se, 0.9) decides
    const max = tokenEntities({ ...base, strategy: 'max', ignoreLabels: [] });
    expect(max[0]!.score).toBeCloseTo((0.9 + 0.8) / 2, 6);
    // a tie between the pieces' best scores (0.75 each) goes to the first piece, as Python's max()
    const tie = rows([0, Math.log(3), -30], [Math.log(3), 0, -30], [Math.log(4), 0, -30]);
    expect(tokenEntities({ ...base, logits: tie, strategy: 'max' }).map((g) => [g.entity_group, g.word])).toEqual([['PER', 'Jose']]);
  });

  test("'simple' splits on B- and on a type change; labels without B-/I- continue", () => {
    const two = enc([['Ann', 0, 3], ['Bob', 4, 7], ['Cy', 8, 10]]);
    const l = rows([0, 5, 0], [0, 5, 0], [0, 0, 5]);
    const got = tokenEntities({ ...base, text: 'Ann Bob Cy', encoding: two, logits: l, strategy: 'simple' });
    expect(got.map((g) => [g.entity_group, g.word])).toEqual([['PER', 'Ann'], ['PER', 'Bob Cy']]);
    const tags = tokenEntities({ ...base, text: 'Ann Bob Cy', encoding: two, logits: l, strategy: 'simple', id2label: ['X', 'NOUN', 'B-LOC-CITY'] });
    expect(tags.map((g) => [g.entity_group, g.word])).toEqual([['NOUN', 'Ann Bob'], ['LOC-CITY', 'Cy']]);
  });

  test('the space heuristic (wordAware false) and [UNK]', () => {
    // "a-b c": "-" and "b" touch no space, so they join "a"; "c" starts a word.
    const e = enc([['a', 0, 1], ['-', 1, 2], ['b', 2, 3], ['[UNK]', 4, 5]]);
    e.ids[4] = 100;
    const l = rows([0, 5, 0], [5, 0, 0], [5, 0, 0], [0, 0, 5]);
    const got = tokenEntities({ ...base, text: 'a-b c', encoding: e, logits: l, strategy: 'first', wordAware: false, unkTokenId: 100, convertTokensToString: (t) => t.join('') });
    expect(got.map((g) => [g.entity_group, g.word, g.start, g.end])).toEqual([['PER', 'a-bc', 0, 5]]);
    const none = tokenEntities({ ...base, text: 'a-b c', encoding: e, logits: l, wordAware: false, unkTokenId: 100 });
    expect(none.map((x) => x.word)).toEqual(['a', 'c']);
  });

  test('a tokenizer without offsets: null spans for none/simple, HF error for word strategies', () => {
    const noOffsets = { ...encoding, offsets: [] };
    const got = tokenEntities({ ...base, encoding: noOffsets, strategy: 'simple' });
    expect(got).toEqual([{ entity_group: 'PER', score: expect.closeTo(0.75, 6), word: 'Jo', start: null, end: null }]);
    for (const strategy of ['first', 'average', 'max'] as const) {
      expect(() => tokenEntities({ ...base, encoding: noOffsets, strategy })).toThrow(
        'Slow tokenizers cannot handle subwords. Please set the `aggregation_strategy` option to `"simple"` or use a fast tokenizer.');
    }
  });

  test('bad input names the field', () => {
    expect(() => tokenEntities({ ...base, strategy: 'mean' as AggregationStrategy })).toThrow('strategy must be one of none, simple, first, average, max, got "mean"');
    expect(() => tokenEntities({ ...base, logits: new Float32Array(14) })).toThrow('logits has 14 values, expected 15 (T × labels = 5 × 3)');
    expect(() => tokenEntities({ ...base, logits: rows([NaN, 0, 0], [0, 0, 0], [0, 0, 0]) })).toThrow('logits[3] is NaN: logits must be finite');
    expect(() => tokenEntities({ ...base, id2label: [] })).toThrow('id2label must list at least one label name');
    expect(() => tokenEntities({ ...base, encoding: { ...encoding, tokens: ['x'] } })).toThrow('encoding.tokens must have one entry per token (5), got 1');
    expect(() => tokenEntities({ ...base, text: 'Jose' })).toThrow('encoding.offsets[3] = [5, 9] is not a range of the text (length 4)');
    expect(() => tokenEntities({ ...base, convertTokensToString: undefined as never })).toThrow('convertTokensToString must be a function');
  });
});

describe('aggregateOverlappingEntities', () => {
  test('keeps the longer entity, then the higher score, among those starting inside the previous one', () => {
    const g = (start: number, end: number, score: number): EntityGroup => ({ entity_group: 'X', score, word: `${start}-${end}`, start, end });
    const got = aggregateOverlappingEntities([g(10, 14, 0.5), g(0, 4, 0.9), g(2, 8, 0.1), g(10, 14, 0.6), g(20, 22, 0.3), g(20, 22, 0.2), g(21, 23, 0.1)]);
    expect(got.map((e) => e.word)).toEqual(['2-8', '10-14', '20-22']);
    expect(got[1]!.score).toBe(0.6);
    expect(got[2]!.score).toBe(0.3); // as long, lower score: the first one stays
    expect(aggregateOverlappingEntities([])).toEqual([]);
    expect(() => aggregateOverlappingEntities([{ ...g(0, 1, 1), start: null }])).toThrow('entities[0] has no start/end');
  });
});
