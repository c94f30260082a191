// The alignment primitives, on cases small enough to check by hand, and the diff against a
// plain longest-common-subsequence table.
import { describe, expect, it } from 'vitest';
import { Aligned, diffMatches, mapClusters, prependAligned, reconcile, replaceAligned } from '../../src/tokenizer/aligned';

const ranges = (a: Aligned) => a.starts.map((s, i) => [s, a.ends[i]]);

describe('aligned strings', () => {
  it('maps surrogate pairs to the whole character', () => {
    expect(ranges(Aligned.original('a😀', 10))).toEqual([[10, 11], [11, 13], [11, 13]]);
  });

  it('gives a replacement the range of the last matched character (tokenizers\' NormalizedString::replace)', () => {
    const r = replaceAligned(Aligned.original('a   b', 0), / {2,}/g, ' ');
    expect(r.text).toBe('a b');
    expect(ranges(r)).toEqual([[0, 1], [3, 4], [4, 5]]);
  });

  it('maps prepended text to an empty range where the text starts', () => {
    const p = prependAligned(Aligned.original('ab', 5), '\u2581');
    expect(p.text).toBe('\u2581ab');
    expect(ranges(p)).toEqual([[5, 5], [5, 6], [6, 7]]);
    expect(p.range(0, 1)).toEqual([5, 5]);
    expect(p.range(0, 3)).toEqual([5, 7]);
  });

  it('maps expansions and compositions to the whole cluster', () => {
    const nfd = mapClusters(Aligned.original('éx', 0), (s) => s.normalize('NFD'));
    expect(nfd.text).toBe('e\u0301x');
    expect(ranges(nfd)).toEqual([[0, 1], [0, 1], [1, 2]]);
    const nfc = mapClusters(Aligned.original('e\u0301x', 0), (s) => s.normalize('NFC'));
    expect(nfc.text).toBe('éx');
    expect(ranges(nfc)).toEqual([[0, 2], [2, 3]]);
    // Hangul jamo compose across what would otherwise be three clusters
    const jamo = mapClusters(Aligned.original('\u1100\u1161\u11a8!', 0), (s) => s.normalize('NFC'));
    expect(jamo.text).toBe('각!');
    expect(ranges(jamo)).toEqual([[0, 3], [3, 4]]);
  });

  it('reconciles with the library where context matters, keeping what agrees', () => {
    // per character Σ lowercases to σ; the whole word ends in ς
    const candidate = mapClusters(Aligned.original('ΟΔΟΣ ΟΔΟΣ', 0), (s) => s.toLowerCase());
    expect(candidate.text).toBe('οδοσ οδοσ');
    const r = reconcile(candidate, 'ΟΔΟΣ ΟΔΟΣ'.toLowerCase());
    expect(r.text).toBe('οδος οδος');
    expect(ranges(r)).toEqual(ranges(candidate));
    // an inserted character takes the range of the one before it; a dropped one leaves nothing
    expect(ranges(reconcile(Aligned.original('abc', 0), 'aXbc'))).toEqual([[0, 1], [0, 1], [1, 2], [2, 3]]);
    expect(ranges(reconcile(Aligned.original('abc', 0), 'ac'))).toEqual([[0, 1], [2, 3]]);
    // a run replaced by a run of another length gets the whole run's range
    expect(ranges(reconcile(Aligned.original('abcd', 0), 'aXd'))).toEqual([[0, 1], [1, 3], [3, 4]]);
  });

  it('finds a longest common subsequence (Myers), or gives up past the edit bound', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const word = (n: number) => Array.from({ length: n }, () => 'abc'[Math.floor(rand() * 3)]).join('');
    for (let k = 0; k < 200; k++) {
      const a = word(Math.floor(rand() * 12)), b = word(Math.floor(rand() * 12));
      const m = diffMatches(a, b, 100)!;
      // the LCS length by dynamic programming
      const L = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = a.length - 1; i >= 0; i--) {
        for (let j = b.length - 1; j >= 0; j--) L[i]![j] = a[i] === b[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
      }
      expect(m.length).toBe(L[0]![0]);
      m.forEach(([i, j], n) => {
        expect(a[i]).toBe(b[j]);
        if (n > 0) { expect(i).toBeGreaterThan(m[n - 1]![0]); expect(j).toBeGreaterThan(m[n - 1]![1]); }
      });
    }
    expect(diffMatches('aaaa', 'bbbb', 3)).toBeNull();
  });
});
