// classificationScores against tools/pipeline_reference.py (HF's text_classification.py
// postprocess: the default function from problem_type and the label count, explicit functions,
// top_k 1 / 2 / None), then hand-computed cases and every error.
import { describe, expect, test } from 'vitest';
import {
  classificationScores, defaultFunctionToApply, type ClassificationFunction, type LabelScore, type ProblemType,
} from '../../src/pipeline/text-classification';
import { fixture } from './decoders';

interface Case {
  name: string;
  id2label: string[];
  problemType: ProblemType | null;
  logits: number[][];
  results: { options: { function_to_apply?: ClassificationFunction; top_k?: number | null }; perText: LabelScore[][] }[];
}

const CASES = fixture<Case[]>('text-classification.json');

describe('text classification vs the HF reference', () => {
  for (const c of CASES) {
    for (const r of c.results) {
      test(`${c.name} ${JSON.stringify(r.options)}`, () => {
        const options = { functionToApply: r.options.function_to_apply, topK: r.options.top_k, problemType: c.problemType };
        c.logits.forEach((row, b) => {
          const got = classificationScores(Float32Array.from(row), c.id2label, options);
          expect(got.map((x) => x.label)).toEqual(r.perText[b]!.map((x) => x.label));
          got.forEach((x, i) => expect(Math.abs(x.score - r.perText[b]![i]!.score)).toBeLessThan(1e-6));
        });
      });
    }
  }
});

describe('text classification by hand', () => {
  const labels = ['neg', 'pos'];
  test('functions, defaults and topK', () => {
    expect(classificationScores([0, Math.log(3)], labels)).toEqual([{ label: 'pos', score: expect.closeTo(0.75, 12) }]);
    expect(classificationScores([0, Math.log(3)], labels, { topK: null, functionToApply: 'sigmoid' })).toEqual([
      { label: 'pos', score: expect.closeTo(0.75, 12) }, { label: 'neg', score: 0.5 }]);
    expect(classificationScores([2, -1], labels, { topK: 5, functionToApply: 'none' })).toEqual([{ label: 'neg', score: 2 }, { label: 'pos', score: -1 }]);
    expect(classificationScores([Math.log(4)], ['score'])).toEqual([{ label: 'score', score: expect.closeTo(0.8, 12) }]); // one label: sigmoid
    expect(classificationScores([1.5], ['score'], { problemType: 'regression' })).toEqual([{ label: 'score', score: 1.5 }]);
    // ties keep label order (Python's stable sort)
    expect(classificationScores([1, 1, 1], ['a', 'b', 'c'], { topK: null }).map((x) => x.label)).toEqual(['a', 'b', 'c']);
    expect(defaultFunctionToApply(3, 'multi_label_classification')).toBe('sigmoid');
    expect(defaultFunctionToApply(1, 'single_label_classification')).toBe('sigmoid');
    expect(defaultFunctionToApply(2, null)).toBe('softmax');
    expect(defaultFunctionToApply(2, 'regression')).toBe('none');
  });

  test('errors', () => {
    expect(() => classificationScores([0, 1], labels, { functionToApply: 'relu' as ClassificationFunction })).toThrow(
      'Unrecognized `function_to_apply` argument: relu (expected softmax, sigmoid or none)');
    expect(() => classificationScores([0, 1], labels, { topK: 0 })).toThrow('topK must be an integer ≥ 1 or null (all labels), got 0');
    expect(() => classificationScores([0, 1, 2], labels)).toThrow('logits has 3 values, expected 2 (one per label of id2label)');
    expect(() => classificationScores([0, 1], [])).toThrow('id2label must list at least one label name');
  });
});
