// zeroShotPairs / zeroShotScores against tools/pipeline_reference.py (HF's
// zero_shot_classification.py: MNLI label order, entailment first, a single label, tied scores),
// then hand-computed cases and every error.
import { describe, expect, test } from 'vitest';
import { nliLabelIds, parseCandidateLabels, zeroShotPairs, zeroShotScores, type ZeroShotResult } from '../../src/pipeline/zero-shot';
import { fixture } from './decoders';

interface Case {
  name: string;
  id2label: string[];
  sequences: string[];
  candidateLabels: string | string[];
  hypothesisTemplate: string;
  pairs: [string, string][];
  parsedLabels: string[];
  entailmentId: number;
  perSequence: { sequence: string; logits: number[][]; results: { multiLabel: boolean; result: ZeroShotResult }[] }[];
}

const CASES = fixture<Case[]>('zero-shot.json');

describe('zero-shot vs the HF reference', () => {
  for (const c of CASES) {
    test(`${c.name}: pairs and label ids`, () => {
      expect(zeroShotPairs(c.sequences, c.candidateLabels, c.hypothesisTemplate)).toEqual(c.pairs);
      expect(parseCandidateLabels(c.candidateLabels)).toEqual(c.parsedLabels);
      expect(nliLabelIds(c.id2label).entailmentId).toBe(c.entailmentId);
    });
    for (const s of c.perSequence) {
      for (const r of s.results) {
        test(`${c.name}: "${s.sequence}", multiLabel ${r.multiLabel}`, () => {
          const got = zeroShotScores(s.logits.map((x) => Float32Array.from(x)), c.candidateLabels, { sequence: s.sequence, multiLabel: r.multiLabel, ...nliLabelIds(c.id2label) });
          expect(got.sequence).toBe(r.result.sequence);
          expect(got.labels).toEqual(r.result.labels);
          got.scores.forEach((x, i) => expect(Math.abs(x - r.result.scores[i]!)).toBeLessThan(1e-6));
        });
      }
    }
  }
});

describe('zero-shot by hand', () => {
  const ids = { entailmentId: 2, contradictionId: 0 };
  // entailment logits 0 and ln 3: softmax across labels [1/4, 3/4]; per label, softmax([contradiction, entailment]).
  const logits = [[0, 5, 0], [Math.log(2), 5, Math.log(3)]];

  test('single-label and multi-label scores', () => {
    expect(zeroShotScores(logits, ['a', 'b'], { sequence: 's', ...ids })).toEqual({ sequence: 's', labels: ['b', 'a'], scores: [expect.closeTo(0.75, 12), expect.closeTo(0.25, 12)] });
    expect(zeroShotScores(logits, 'a,b', { sequence: 's', multiLabel: true, ...ids })).toEqual({ sequence: 's', labels: ['b', 'a'], scores: [expect.closeTo(0.6, 12), expect.closeTo(0.5, 12)] });
    // one label: always the per-label softmax
    expect(zeroShotScores([logits[1]!], ['b'], { sequence: 's', ...ids }).scores[0]).toBeCloseTo(0.6, 12);
  });

  test('label ids as HF finds them', () => {
    expect(nliLabelIds(['contradiction', 'neutral', 'entailment'])).toEqual({ entailmentId: 2, contradictionId: 0 });
    expect(nliLabelIds(['Entailment', 'neutral', 'contradiction'])).toEqual({ entailmentId: 0, contradictionId: 2 });
    expect(nliLabelIds(['entailment', 'not_entailment'])).toEqual({ entailmentId: 0, contradictionId: 1 });
    expect(() => nliLabelIds(['LABEL_0', 'LABEL_1'])).toThrow('id2label (LABEL_0, LABEL_1) has no entailment label (one starting with "entail")');
  });

  test('templates and label lists', () => {
    expect(parseCandidateLabels(' x , ,y,')).toEqual(['x', 'y']);
    expect(zeroShotPairs('t', ['x'], '{{{}}} and {{}}')).toEqual([['t', '{x} and {}']]);
    expect(zeroShotPairs(['t', 'u'], 'x, y', '{0}!')).toEqual([['t', 'x!'], ['t', 'y!'], ['u', 'x!'], ['u', 'y!']]);
  });

  test("errors (HF's messages where HF has one)", () => {
    expect(() => zeroShotPairs('t', [])).toThrow('You must include at least one label and at least one sequence.');
    expect(() => zeroShotPairs('t', ' , ')).toThrow('You must include at least one label and at least one sequence.');
    expect(() => zeroShotPairs([], ['x'])).toThrow('You must include at least one label and at least one sequence.');
    expect(() => zeroShotPairs('t', ['x'], 'No placeholder.')).toThrow(
      'The provided hypothesis_template "No placeholder." was not able to be formatted with the target labels. Make sure the passed template includes formatting syntax such as {} where the label should go.');
    expect(() => zeroShotPairs('t', ['x'], '{} {}')).toThrow('hypothesisTemplate "{} {}" has the field {: only one "{}" (or "{0}") can be filled with the label');
    expect(() => zeroShotPairs('t', ['x'], '{label}')).toThrow('has the field {label');
    expect(() => zeroShotPairs('t', ['x'], 'a } {}')).toThrow('has a single "}"');
    expect(() => zeroShotScores(logits, ['a'], { sequence: 's', ...ids })).toThrow('logits must hold one row per candidate label (1), got 2');
    expect(() => zeroShotScores(logits, ['a', 'b'], { sequence: 's', entailmentId: 3, contradictionId: 0 })).toThrow('entailmentId must be an index into the 3 NLI logits, got 3');
    expect(() => zeroShotScores([[0, 0, 0], [0, 0]], ['a', 'b'], { sequence: 's', ...ids })).toThrow('logits[1] has 2 values, expected 3 (NLI classes, as logits[0])');
    expect(() => zeroShotScores(logits, [], { sequence: 's', ...ids })).toThrow('You must include at least one label');
  });
});
