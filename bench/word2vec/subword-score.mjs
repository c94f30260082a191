// The quality figures of the subword benchmark, the same scorer for every engine: analogy accuracy
// (questions-words.txt, the 30,000 most frequent words, 3CosAdd, gensim's rules) and WordSim-353's
// Spearman correlation (gensim's evaluate_word_pairs rules: pairs with an unknown word skipped),
// both by wasm-nlp's evaluate functions on the engine's word vectors (for fastText, its .vec:
// getWordVector of each word, as ours).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** { analogies?: { accuracy, semantic, syntactic, total }, wordsim?: { spearman, pairs, oovRatio } } for a WordVectors. */
export async function scoreVectors(vectors, { questions, wordsim, dist }) {
  const { evaluateAnalogies, evaluateSimilarity } = await import(pathToFileURL(path.resolve(dist)).href);
  const out = {};
  if (questions) {
    const a = evaluateAnalogies(vectors, readFileSync(questions, 'utf8'), { restrictVocab: 30000, text: true });
    out.analogies = { accuracy: a.accuracy, semantic: a.semantic.accuracy, syntactic: a.syntactic.accuracy, total: a.total };
  }
  if (wordsim) {
    const s = evaluateSimilarity(vectors, readFileSync(wordsim, 'utf8'), { text: true });
    out.wordsim = { spearman: s.spearman, pairs: s.pairs, oovRatio: s.oovRatio };
  }
  return out;
}
