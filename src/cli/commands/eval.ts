// wasm-nlp eval: the standard checks of word vectors, analogies (questions-words.txt) and
// word-pair similarity (WordSim-353, SimLex-999), with gensim's semantics.
import { evaluateAnalogies, evaluateSimilarity, type AnalogyResult, type SimilarityResult } from '../../word2vec/evaluate';
import { columns, UsageError } from '../args';
import type { Command } from '../command';
import { readTextFile } from '../input-files';
import { printJson, println, type CliIO } from '../io';
import { ENGINE_OPTIONS, JSON_OPTION, withRuntime } from '../runtime-options';
import { loadVectors } from './query';

export const evalCommand: Command = {
  spec: {
    name: 'eval',
    summary: 'Score word vectors on analogy questions and/or word-pair similarities.',
    positionals: [{ name: 'vectors', help: 'word vectors: word2vec text or binary, fastText .vec, or a checkpoint' }],
    options: [
      { name: 'analogies', type: 'string', value: 'FILE', help: 'analogy questions (": section" headers, then "a b c d" lines)' },
      { name: 'similarity', type: 'string', value: 'FILE', help: 'word pairs with a human score ("word word score" lines)' },
      { name: 'restrict-vocab', type: 'int', min: 1, value: 'N', help: 'use only the N most frequent words (default: 30000 for analogies, all for similarity)' },
      { name: 'method', type: 'choice', choices: ['add', 'mul'], default: 'add', help: 'analogies by 3CosAdd or 3CosMul' },
      ...ENGINE_OPTIONS, JSON_OPTION,
    ],
    examples: ['eval out/vectors.bin --analogies data/questions-words.txt'],
  },
  async run(args, io) {
    const o = args.options;
    if (o.analogies === undefined && o.similarity === undefined) {
      throw new UsageError('eval: give --analogies FILE, --similarity FILE or both', 'eval');
    }
    const questions = o.analogies !== undefined ? await readTextFile(o.analogies as string, 'analogies file') : undefined;
    const pairs = o.similarity !== undefined ? await readTextFile(o.similarity as string, 'similarity file') : undefined;
    const restrict = o['restrict-vocab'] as number | undefined;
    const result = await withRuntime(o, async (runtime) => {
      const model = await loadVectors(args.positionals.vectors as string, runtime);
      const cap = (n: number) => Math.min(n, model.size);
      return {
        ...(questions !== undefined ? { analogies: evaluateAnalogies(model, questions, { restrictVocab: cap(restrict ?? 30000), method: o.method as 'add' | 'mul', text: true }) } : {}),
        ...(pairs !== undefined ? { similarity: evaluateSimilarity(model, pairs, { text: true, ...(restrict !== undefined ? { restrictVocab: cap(restrict) } : {}) }) } : {}),
      };
    });
    if (o.json) return printJson(io, result);
    if (result.analogies) printAnalogies(io, result.analogies);
    if (result.similarity) printSimilarity(io, result.similarity);
  },
};

export function percent(a: { correct: number; total: number; accuracy: number }): string {
  return `${(a.accuracy * 100).toFixed(1)}% (${a.correct}/${a.total})`;
}

function printAnalogies(io: CliIO, r: AnalogyResult): void {
  println(io, `analogies: ${percent(r)}, ${(r.oovRatio * 100).toFixed(1)}% of questions skipped (words out of vocabulary)`);
  const rows: [string, string][] = [['semantic', percent(r.semantic)], ['syntactic', percent(r.syntactic)]];
  for (const s of r.sections) rows.push([`  ${s.name}`, percent(s)]);
  for (const line of columns(rows)) println(io, line);
}

function printSimilarity(io: CliIO, r: SimilarityResult): void {
  println(io, `similarity: Spearman ${r.spearman.toFixed(4)}, Pearson ${r.pearson.toFixed(4)} on ${r.pairs} pairs, ` +
    `${(r.oovRatio * 100).toFixed(1)}% of pairs skipped (words out of vocabulary)`);
}
