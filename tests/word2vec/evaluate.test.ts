// Analogy and word-pair evaluation: hand-made vectors where every answer is known, gensim's
// evaluate_word_analogies on the same model and questions (Debian's gensim, required in CI: see
// tests/references.ts), and the full questions-words.txt (data/ has it) in seconds.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { formatWord2Vec } from '../../src/io/word2vec-format';
import { evaluateAnalogies, evaluateSimilarity, ranks, spearman } from '../../src/word2vec/evaluate';
import { WordVectors } from '../../src/word2vec/vectors';
import { randomArray, rng } from '../kernel-tester';
import { gensimReference, PYTHON } from '../gensim';

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

// Axes: person, royal, child, male, female, Q(uick), S(low), adj, adv. Each word is the sum of
// two axes, so b − a + c lands exactly on the answer: woman − man + king = royal + female = queen.
const AXES = ['person', 'royal', 'child', 'male', 'female', 'Q', 'S', 'adj', 'adv'];
const WORDS: [string, string, string][] = [
  ['man', 'person', 'male'], ['woman', 'person', 'female'], ['king', 'royal', 'male'],
  // "King" folds to KING, as king does; gensim takes the first (king) and never predicts a
  // case variant of a, b or c: here King sits on queen's spot, ahead of it in the vocabulary.
  ['King', 'royal', 'female'], ['queen', 'royal', 'female'], ['boy', 'child', 'male'], ['girl', 'child', 'female'],
  ['quick', 'Q', 'adj'], ['quickly', 'Q', 'adv'], ['slow', 'S', 'adj'], ['slowly', 'S', 'adv'],
  // Row 11: outside restrictVocab = 11.
  ['empress', 'royal', 'female'],
];

function handModel(): WordVectors {
  const dim = AXES.length;
  const v = new Float32Array(WORDS.length * dim);
  WORDS.forEach(([, x, y], i) => {
    v[i * dim + AXES.indexOf(x)] = 1;
    v[i * dim + AXES.indexOf(y)] = 1;
  });
  return new WordVectors(WORDS.map((w) => w[0]), v, dim, { kernels: rt.kernels });
}

const QUESTIONS = `: family
man woman king queen
man woman boy girl
king queen boy girl
man woman boy queen
MAN WOMAN KING QUEEN
man woman king empress
man woman king zebra
this line is not a question
: capital-common-countries
king man queen woman
: gram3-adverbs
quick quickly slow slowly
slow slowly quick quickly
quick slow quickly slowly
quick quickly slow slow
`;

describe('evaluateAnalogies', () => {
  test('sections, semantic and syntactic split, OOV, case folding: answers known by hand', () => {
    const r = evaluateAnalogies(handModel(), QUESTIONS, { restrictVocab: 11, text: true });
    expect(r.sections).toEqual([
      // "man woman boy queen" is answered girl; empress (row 11) and zebra are out of vocabulary.
      { name: 'family', correct: 4, total: 5, accuracy: 0.8 },
      { name: 'capital-common-countries', correct: 1, total: 1, accuracy: 1 },
      // "quick quickly slow slow": the answer is c itself, which is never predicted.
      { name: 'gram3-adverbs', correct: 3, total: 4, accuracy: 0.75 },
    ]);
    expect(r.semantic).toEqual({ correct: 5, total: 6, accuracy: 5 / 6 });
    expect(r.syntactic).toEqual({ correct: 3, total: 4, accuracy: 0.75 });
    expect(r.correct).toBe(8);
    expect(r.total).toBe(10);
    expect(r.accuracy).toBe(0.8);
    // 12 questions (the 5-word line is not one), 2 skipped.
    expect(r.oovRatio).toBeCloseTo(2 / 12, 12);
  });

  test('caseInsensitive: false, restrictVocab, and 3CosMul', () => {
    const exact = evaluateAnalogies(handModel(), QUESTIONS, { restrictVocab: 11, caseInsensitive: false, text: true });
    // Case-sensitive, King is a word of its own, not c: it ties with queen and, more frequent, wins.
    expect(exact.sections[0]).toEqual({ name: 'family', correct: 2, total: 4, accuracy: 0.5 });
    expect(exact.oovRatio).toBeCloseTo(3 / 12, 12);
    // With empress in the vocabulary its question counts, and empress (= queen) is a rival answer
    // that loses the tie to the more frequent queen.
    const all = evaluateAnalogies(handModel(), QUESTIONS, { restrictVocab: 100, text: true });
    expect(all.sections[0]).toEqual({ name: 'family', correct: 4, total: 6, accuracy: 4 / 6 });
    const mul = evaluateAnalogies(handModel(), QUESTIONS, { restrictVocab: 11, method: 'mul', text: true });
    expect(mul.sections.map((s) => [s.correct, s.total])).toEqual([[4, 5], [1, 1], [3, 4]]);
  });

  test('bad input', () => {
    expect(() => evaluateAnalogies(handModel(), 'man woman king queen\n', { text: true })).toThrow(/line 1 comes before the first ': section' line/);
    expect(() => evaluateAnalogies(handModel(), QUESTIONS, { restrictVocab: 0, text: true })).toThrow(/option restrictVocab must be a positive integer, got 0/);
    expect(() => evaluateAnalogies(handModel(), QUESTIONS, { method: 'sum' as never, text: true })).toThrow(/option method/);
    const empty = evaluateAnalogies(handModel(), ': empty\n', { text: true });
    expect(empty).toMatchObject({ correct: 0, total: 0, accuracy: 0, oovRatio: 0 });
  });
});

describe('evaluateSimilarity', () => {
  // a = (1, 0), b = (0.8, 0.6), c = (0.6, 0.8), d = (0, 1): cosines ab 0.8, ac 0.6, ad 0,
  // bc 0.96, bd 0.6, cd 0.8, with ties (0.6, 0.6) and (0.8, 0.8).
  const model = () => new WordVectors(['a', 'b', 'c', 'd'], Float32Array.from([1, 0, 0.8, 0.6, 0.6, 0.8, 0, 1]), 2, { kernels: rt.kernels });
  const PAIRS = '# word1\tword2\tscore\na\tb\t7\nA\tc\t5\na\td\t1\nb\tc\t9\nb\td\t5\nc\td\t6\na\tzebra\t3\nnot a pair line\n';

  test('Spearman with tied ranks, Pearson, OOV ratio: by hand', () => {
    const r = evaluateSimilarity(model(), PAIRS, { text: true });
    // Model ranks [4.5, 2.5, 1, 6, 2.5, 4.5], gold ranks [5, 2.5, 1, 6, 2.5, 4]: Σdxdy = 16.5,
    // Σdx² = 16.5, Σdy² = 17, so ρ = √(16.5/17) (scipy.stats.spearmanr: 0.9851843661437779).
    expect(r.spearman).toBeCloseTo(Math.sqrt(16.5 / 17), 6);
    // Gold mean 5.5, model mean 0.62667: Σdxdy = 4.36, Σdx² = 35.5, Σdy² = 0.565333 (scipy: 0.9732401480941607).
    expect(r.pearson).toBeCloseTo(4.36 / Math.sqrt(35.5 * 0.5653333333333334), 6);
    expect(r.pairs).toBe(6);
    expect(r.oovRatio).toBeCloseTo(1 / 7, 12);
    // Whitespace-separated files, and case-sensitive look-up (A is then unknown).
    const spaced = evaluateSimilarity(model(), PAIRS.replaceAll('\t', '  '), { caseInsensitive: false, text: true });
    expect(spaced.pairs).toBe(5);
    expect(spaced.oovRatio).toBeCloseTo(2 / 7, 12);
    expect(() => evaluateSimilarity(model(), 'x\ty\t1\n', { text: true })).toThrow(/no pair had both words in the vocabulary/);
  });

  test('ranks and spearman', () => {
    expect(ranks([10, 20, 20, 5, 20])).toEqual([2, 4, 4, 1, 4]);
    expect(spearman([1, 2, 3, 4], [40, 30, 20, 10])).toBe(-1);
  });
});

describe('a path, or the text with { text: true }', () => {
  const pairsModel = () => new WordVectors(['a', 'b', 'c', 'd'], Float32Array.from([1, 0, 0.8, 0.6, 0.6, 0.8, 0, 1]), 2, { kernels: rt.kernels });
  const PAIRS = 'a\tb\t7\na\tc\t5\na\td\t1\nb\tc\t9\nb\td\t5\nc\td\t6\n';
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'w2v-eval-path-'));
    writeFileSync(join(dir, 'questions.txt'), QUESTIONS);
    writeFileSync(join(dir, 'pairs.txt'), PAIRS);
    mkdirSync(join(dir, 'folder'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a string is a path: the file gives what its text gives', () => {
    const byPath = evaluateAnalogies(handModel(), join(dir, 'questions.txt'), { restrictVocab: 11 });
    expect(byPath).toEqual(evaluateAnalogies(handModel(), QUESTIONS, { restrictVocab: 11, text: true }));
    expect(byPath.correct).toBe(8);
    const pairs = evaluateSimilarity(pairsModel(), join(dir, 'pairs.txt'), { text: false });
    expect(pairs).toEqual(evaluateSimilarity(pairsModel(), PAIRS, { text: true }));
    expect(pairs.pairs).toBe(6);
  });

  test('the text without { text: true }, a missing file, a directory, not a string', () => {
    expect(() => evaluateAnalogies(handModel(), QUESTIONS))
      .toThrow("evaluateAnalogies: questions has line breaks, so it is the file's text, not a path: pass { text: true }");
    expect(() => evaluateSimilarity(pairsModel(), PAIRS)).toThrow(/^evaluateSimilarity: pairs has line breaks.*pass \{ text: true \}$/);
    const missing = join(dir, 'questions-words.txt');
    expect(() => evaluateAnalogies(handModel(), missing))
      .toThrow(`evaluateAnalogies: cannot read the questions file ${JSON.stringify(missing)}: no such file (to pass the file's text instead, add { text: true })`);
    // One line of text is a path that does not exist, and the error says how to pass text.
    expect(() => evaluateAnalogies(handModel(), ': family')).toThrow(/cannot read the questions file ": family": no such file .*\{ text: true \}/);
    expect(() => evaluateSimilarity(pairsModel(), join(dir, 'folder'))).toThrow(/cannot read the pairs file ".*folder": it is a directory/);
    expect(() => evaluateAnalogies(handModel(), 42 as never)).toThrow("evaluateAnalogies: questions must be a string: the file's path, or its text with { text: true }; got number");
    expect(() => evaluateAnalogies(handModel(), QUESTIONS, { text: 'yes' as never })).toThrow('evaluateAnalogies: option text must be true or false, got yes');
  });

  test('without Node (a browser), a path is an error saying to pass the text', () => {
    const g = globalThis as { process?: unknown };
    const saved = g.process;
    let error: unknown;
    try {
      g.process = undefined;
      try {
        evaluateAnalogies(handModel(), join(dir, 'questions.txt'));
      } catch (e) {
        error = e;
      }
      // The text form needs no file system.
      expect(evaluateAnalogies(handModel(), QUESTIONS, { restrictVocab: 11, text: true }).correct).toBe(8);
    } finally {
      g.process = saved;
    }
    expect(String(error)).toBe("Error: evaluateAnalogies: reading questions from a path works in Node only; in a browser pass the file's text with { text: true }");
  });

  test('unknown options are refused, naming gensim\'s equivalents and the known ones', () => {
    expect(() => evaluateAnalogies(handModel(), QUESTIONS, { restrict_vocab: 11, text: true } as never))
      .toThrow("evaluateAnalogies: unknown option restrict_vocab (gensim's name for restrictVocab); write { restrictVocab: 11 }");
    expect(() => evaluateAnalogies(handModel(), QUESTIONS, { txt: true } as never)).toThrow('evaluateAnalogies: unknown option txt (did you mean text?)');
    expect(() => evaluateSimilarity(pairsModel(), PAIRS, { text: true, dummy4unknown: true } as never))
      .toThrow("evaluateSimilarity: unknown option dummy4unknown (gensim's; questions and pairs with an unknown word are skipped and counted in oovRatio)");
    expect(() => evaluateSimilarity(pairsModel(), PAIRS, { text: true, lowercase: true } as never))
      .toThrow('evaluateSimilarity: unknown option lowercase; the options are restrictVocab, caseInsensitive, delimiter, text');
    expect(() => evaluateSimilarity(pairsModel(), PAIRS, 'text' as never)).toThrow('evaluateSimilarity: options must be an object, got string');
  });
});

// --- against gensim -----------------------------------------------------------------------

const gensim = gensimReference('evaluate.test.ts: gensim comparison');

/**
 * Concepts × sections: word c{i}{s}a = E_i + A_s + noise, c{i}{s}b = E_i + B_s + noise, in a
 * shuffled order with fillers, so noise makes some answers wrong and restrictVocab cuts some
 * questions. Concept 0's words are capitalised in the model, lower-case in the questions.
 */
function syntheticBenchmark(seed: number) {
  const random = rng(seed);
  const dim = 24, concepts = 14;
  const sections = ['capital-a', 'family', 'gram1-x', 'gram2-y'];
  const E = Array.from({ length: concepts }, () => randomArray(dim, random));
  const attr = sections.map(() => [randomArray(dim, random), randomArray(dim, random)]);
  const words: string[] = [];
  const rows: Float32Array[] = [];
  sections.forEach((_, s) => {
    for (let i = 0; i < concepts; i++) {
      for (const side of [0, 1]) {
        words.push(`${i === 0 ? 'C' : 'c'}${i}s${s}${side ? 'b' : 'a'}`);
        rows.push(E[i]!.map((x, t) => x + attr[s]![side]![t]! + 0.9 * (2 * random() - 1)));
      }
    }
  });
  for (let f = 0; f < 150; f++) {
    words.push(`filler${f}`);
    rows.push(randomArray(dim, random, -1.5, 1.5));
  }
  // Shuffle (Fisher–Yates) so that restrictVocab cuts through every section.
  for (let i = words.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [words[i], words[j]] = [words[j]!, words[i]!];
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const vectors = new Float32Array(words.length * dim);
  rows.forEach((r, i) => vectors.set(r, i * dim));
  let questions = '';
  sections.forEach((name, s) => {
    questions += `: ${name}\n`;
    for (let i = 0; i < concepts; i++) {
      for (let j = 0; j < concepts; j++) {
        if (i !== j) questions += `c${i}s${s}a c${i}s${s}b c${j}s${s}a c${j}s${s}b\n`;
      }
    }
  });
  return { words, dim, vectors, questions };
}

describe('against gensim', () => {
  test.skipIf(!gensim)('evaluate_word_analogies gives the same correct and total per section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'w2v-eval-'));
    try {
      const b = syntheticBenchmark(21);
      const restrictVocab = 230;
      writeFileSync(join(dir, 'model.txt'), formatWord2Vec(b, 'text'));
      writeFileSync(join(dir, 'questions.txt'), b.questions);
      const out = execFileSync(PYTHON, ['-c', [
        'import sys, json',
        'from gensim.models import KeyedVectors',
        'kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=False)',
        `score, sections = kv.evaluate_word_analogies(sys.argv[2], restrict_vocab=${restrictVocab})`,
        'print(json.dumps([[s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])] for s in sections]))',
      ].join('\n'), join(dir, 'model.txt'), join(dir, 'questions.txt')], { encoding: 'utf8' });
      const theirs = JSON.parse(out) as [string, number, number][];
      const ours = evaluateAnalogies(new WordVectors(b.words, b.vectors, b.dim, { kernels: rt.kernels }), join(dir, 'questions.txt'), { restrictVocab });
      expect([...ours.sections.map((s) => [s.name, s.correct, s.total]), ['Total accuracy', ours.correct, ours.total]]).toEqual(theirs);
      // A real comparison: some right, some wrong, some skipped.
      expect(ours.accuracy).toBeGreaterThan(0.2);
      expect(ours.accuracy).toBeLessThan(0.9);
      expect(ours.oovRatio).toBeGreaterThan(0.1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The repository's copy (data/README.md says where it comes from), so this never skips.
const QUESTIONS_WORDS = join(import.meta.dirname, '../../data/questions-words.txt');

test('questions-words.txt: 19 544 questions on 30 000 words × 100 in seconds', () => {
  const text = readFileSync(QUESTIONS_WORDS, 'utf8');
  const questionWords = [...new Set(text.split('\n').filter((l) => !l.startsWith(':')).flatMap((l) => l.split(/\s+/)).filter(Boolean))];
  const words = [...questionWords, ...Array.from({ length: 30000 - questionWords.length }, (_, i) => `filler${i}`)];
  const dim = 100;
  const model = new WordVectors(words, randomArray(words.length * dim, rng(1)), dim, { kernels: rt.kernels });
  const t0 = performance.now();
  // By path, as gensim's evaluate_word_analogies('questions-words.txt'): relative to the working directory.
  const r = evaluateAnalogies(model, relative(process.cwd(), QUESTIONS_WORDS), { restrictVocab: 30000 });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`questions-words.txt: ${r.total} questions on 30000 × ${dim} in ${seconds.toFixed(1)} s`);
  expect(r.sections.map((s) => s.name)).toHaveLength(14);
  expect(r.total).toBe(19544);
  expect(r.semantic.total).toBe(8869);
  expect(r.syntactic.total).toBe(10675);
  expect(r.oovRatio).toBe(0);
  expect(seconds).toBeLessThan(60);
  model.dispose();
});
