// The two standard checks of word vectors, with gensim's semantics so the numbers compare:
// analogies (questions-words.txt; gensim's evaluate_word_analogies, the C tool's
// compute-accuracy) and word-pair similarity (WordSim-353, SimLex-999; gensim's
// evaluate_word_pairs). The analogies run as batches of queries, one matrix product each.
// Both take the file as gensim does, by path (Node), or its text with { text: true }: a string
// is never guessed to be one or the other.
import { checkOptions, selectTop, type WordVectors } from './vectors';

declare const __BROWSER__: boolean;

export interface EvaluateAnalogiesOptions {
  /** Only questions whose 4 words are all among the first restrictVocab words count. Default 30000. */
  restrictVocab?: number;
  /** Compare words case-folded (as gensim, by upper case). Default true. */
  caseInsensitive?: boolean;
  /** 'add': 3CosAdd (what gensim and the C tool use), 'mul': 3CosMul. Default 'add'. */
  method?: 'add' | 'mul';
  /** The string is the file's text, not its path. Default false. */
  text?: boolean;
}

export interface Accuracy {
  correct: number;
  /** Questions evaluated: those with every word in the vocabulary. */
  total: number;
  /** correct / total, 0 when total is 0. */
  accuracy: number;
}

export interface SectionAccuracy extends Accuracy {
  name: string;
}

export interface AnalogyResult extends Accuracy {
  /** Questions skipped for a word outside the first restrictVocab words, over all questions (0…1). */
  oovRatio: number;
  /** Sections whose name does not start with 'gram'. */
  semantic: Accuracy;
  /** Sections named 'gram…' (questions-words.txt: the last 9 of 14). */
  syntactic: Accuracy;
  sections: SectionAccuracy[];
}

export interface EvaluateSimilarityOptions {
  restrictVocab?: number;
  caseInsensitive?: boolean;
  /** Field separator. Default: a tab if the line has one, else any whitespace. */
  delimiter?: string;
  /** The string is the file's text, not its path. Default false. */
  text?: boolean;
}

export interface SimilarityResult {
  /** Spearman's rank correlation, ties given their average rank (scipy.stats.spearmanr). */
  spearman: number;
  pearson: number;
  /** Pairs skipped for an unknown word, over all pairs read (0…1). */
  oovRatio: number;
  /** Pairs evaluated. */
  pairs: number;
}

/** Questions per matrix product: 256 queries × 30000 words is a 30 MB score matrix. */
const BATCH_ROWS = 256;
/** gensim looks at the 5 best answers (not a, b or c) for the first not case-equal to them. */
const GENSIM_TOPN = 5;

interface Question {
  section: number;
  /** Word rows of a, b, c. */
  rows: [number, number, number];
  /** Folded words a, b, c, expected. */
  words: [string, string, string, string];
}

/**
 * Analogy accuracy, as gensim's evaluate_word_analogies. `source` is the questions file's path
 * (Node), or its text with { text: true }.
 */
export function evaluateAnalogies(model: WordVectors, source: string, options: EvaluateAnalogiesOptions = {}): AnalogyResult {
  checkOptions('evaluateAnalogies', options, ['restrictVocab', 'caseInsensitive', 'method', 'text']);
  const restrictVocab = options.restrictVocab ?? 30000;
  const caseInsensitive = options.caseInsensitive ?? true;
  const method = options.method ?? 'add';
  if (!Number.isSafeInteger(restrictVocab) || restrictVocab < 1) {
    throw new Error(`evaluateAnalogies: option restrictVocab must be a positive integer, got ${String(restrictVocab)}`);
  }
  if (method !== 'add' && method !== 'mul') throw new Error(`evaluateAnalogies: option method must be 'add' or 'mul', got ${String(method)}`);
  const questionsText = readSource('evaluateAnalogies', 'questions', source, options.text);

  const rows = Math.min(restrictVocab, model.size);
  const fold = folder(caseInsensitive);
  const known = knownWords(model, rows, fold);
  const sections: SectionAccuracy[] = [];
  const questions: Question[] = [];
  let asked = 0;
  questionsText.split('\n').forEach((line, n) => {
    if (line.startsWith(': ')) {
      sections.push({ name: line.slice(2).trim(), correct: 0, total: 0, accuracy: 0 });
      return;
    }
    if (sections.length === 0 && line.trim() === '') return;
    if (sections.length === 0) throw new Error(`evaluateAnalogies: line ${n + 1} comes before the first ': section' line`);
    const words = line.split(/\s+/).filter(Boolean).map(fold);
    // gensim skips lines that are not 4 words, without counting them.
    if (words.length !== 4) return;
    asked++;
    const ids = words.map((w) => known.get(w));
    if (ids.some((i) => i === undefined)) return;
    questions.push({ section: sections.length - 1, rows: [ids[0]!, ids[1]!, ids[2]!], words: words as Question['words'] });
  });

  const perBatch = method === 'add' ? BATCH_ROWS : Math.floor(BATCH_ROWS / 3);
  for (let start = 0; start < questions.length; start += perBatch) {
    const batch = questions.slice(start, start + perBatch);
    const abc = batch.flatMap((q) => q.rows);
    const scores = method === 'add' ? model.cosines(model.offsetQuery(abc), batch.length, rows) : model.cosMulScores(abc, batch.length, rows);
    batch.forEach((q, i) => {
      const section = sections[q.section]!;
      section.total++;
      if (predict(model, fold, q, scores, i * rows, rows) === q.words[3]) section.correct++;
    });
  }

  for (const s of sections) s.accuracy = ratio(s.correct, s.total);
  const sum = (list: SectionAccuracy[]): Accuracy => {
    const correct = list.reduce((t, s) => t + s.correct, 0), total = list.reduce((t, s) => t + s.total, 0);
    return { correct, total, accuracy: ratio(correct, total) };
  };
  return {
    ...sum(sections),
    oovRatio: ratio(asked - questions.length, asked),
    semantic: sum(sections.filter((s) => !s.name.startsWith('gram'))),
    syntactic: sum(sections.filter((s) => s.name.startsWith('gram'))),
    sections,
  };
}

/**
 * gensim's answer: of the 5 best words that are not a, b or c (by row), the first whose folded
 * form is none of theirs either (another case of one of them); if there is none, the 5th.
 */
function predict(model: WordVectors, fold: (w: string) => string, q: Question, scores: Float32Array, offset: number, rows: number): string | undefined {
  const [ia, ib, ic] = q.rows;
  const best = selectTop(scores, offset, rows, GENSIM_TOPN, (x) => x === ia || x === ib || x === ic);
  let predicted: string | undefined;
  for (const x of best) {
    predicted = fold(model.vocab[x]!);
    if (predicted !== q.words[0] && predicted !== q.words[1] && predicted !== q.words[2]) break;
  }
  return predicted;
}

/**
 * Word-pair similarity correlations, as gensim's evaluate_word_pairs. `source` is the pairs file's
 * path (Node), or its text with { text: true }.
 */
export function evaluateSimilarity(model: WordVectors, source: string, options: EvaluateSimilarityOptions = {}): SimilarityResult {
  checkOptions('evaluateSimilarity', options, ['restrictVocab', 'caseInsensitive', 'delimiter', 'text']);
  const restrictVocab = options.restrictVocab ?? 300000;
  const caseInsensitive = options.caseInsensitive ?? true;
  if (!Number.isSafeInteger(restrictVocab) || restrictVocab < 1) {
    throw new Error(`evaluateSimilarity: option restrictVocab must be a positive integer, got ${String(restrictVocab)}`);
  }
  if (options.delimiter !== undefined && (typeof options.delimiter !== 'string' || options.delimiter === '')) {
    throw new Error(`evaluateSimilarity: option delimiter must be a non-empty string, got ${JSON.stringify(options.delimiter)}`);
  }
  const pairsText = readSource('evaluateSimilarity', 'pairs', source, options.text);
  const fold = folder(caseInsensitive);
  const known = knownWords(model, Math.min(restrictVocab, model.size), fold);
  const gold: number[] = [], predicted: number[] = [];
  let oov = 0;
  for (const line of pairsText.split('\n')) {
    if (line.startsWith('#')) continue;
    const d = options.delimiter ?? (line.includes('\t') ? '\t' : undefined);
    const parts = d === undefined ? line.trim().split(/\s+/) : line.split(d).map((f) => f.trim());
    const score = parts.length === 3 && parts[2] !== '' ? Number(parts[2]) : NaN;
    // As gensim: a line that is not "word word number" is skipped, not counted.
    if (!Number.isFinite(score)) continue;
    const a = known.get(fold(parts[0]!)), b = known.get(fold(parts[1]!));
    if (a === undefined || b === undefined) {
      oov++;
      continue;
    }
    gold.push(score);
    predicted.push(model.similarity(model.vocab[a]!, model.vocab[b]!));
  }
  if (gold.length === 0) throw new Error('evaluateSimilarity: no pair had both words in the vocabulary (or no line was "word word score")');
  return {
    spearman: spearman(gold, predicted),
    pearson: pearson(gold, predicted),
    oovRatio: oov / (gold.length + oov),
    pairs: gold.length,
  };
}

/**
 * The file's text: `source` itself with { text: true }, else the file it names, read as UTF-8
 * (Node). A string with a line break is text given without { text: true }, never a path.
 */
function readSource(method: string, what: string, source: unknown, text: unknown): string {
  if (text !== undefined && typeof text !== 'boolean') throw new Error(`${method}: option text must be true or false, got ${String(text)}`);
  if (typeof source !== 'string') {
    throw new Error(`${method}: ${what} must be a string: the file's path, or its text with { text: true }; got ${source === null ? 'null' : typeof source}`);
  }
  if (text) return source;
  if (/[\r\n]/.test(source)) {
    throw new Error(`${method}: ${what} has line breaks, so it is the file's text, not a path: pass { text: true }`);
  }
  if (__BROWSER__ || typeof process === 'undefined' || !process.versions?.node) {
    throw new Error(`${method}: reading ${what} from a path works in Node only; in a browser pass the file's text with { text: true }`);
  }
  // Synchronous, so that evaluating stays a plain function call whichever form is given.
  const fs = process.getBuiltinModule('node:fs');
  try {
    return fs.readFileSync(source, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    throw new Error(`${method}: cannot read the ${what} file ${JSON.stringify(source)}: ${why} (to pass the file's text instead, add { text: true })`);
  }
}

/** Pearson's r, in f64; NaN when either side is constant (as scipy). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n, my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** Spearman's ρ: Pearson's r of the ranks, tied values sharing their average rank. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

/** 1-based ranks, ties averaged (scipy.stats.rankdata's 'average'). */
export function ranks(x: readonly number[]): number[] {
  const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && x[order[j + 1]!] === x[order[i]!]) j++;
    for (let t = i; t <= j; t++) r[order[t]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function folder(caseInsensitive: boolean): (w: string) => string {
  return caseInsensitive ? (w) => w.toUpperCase() : (w) => w;
}

/** Folded word → row of its first (most frequent) form among the first `rows` words. */
function knownWords(model: WordVectors, rows: number, fold: (w: string) => string): Map<string, number> {
  const known = new Map<string, number>();
  for (let i = 0; i < rows; i++) {
    const w = fold(model.vocab[i]!);
    if (!known.has(w)) known.set(w, i);
  }
  return known;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}
