// wasm-nlp similar / analogy: questions to saved word vectors.
import type { Runtime } from '../../runtime';
import type { Neighbour } from '../../word2vec/vectors';
import { Word2Vec } from '../../word2vec/word2vec';
import { columns, type OptionSpec } from '../args';
import type { Command } from '../command';
import { requireFile } from '../input-files';
import { printJson, println, type CliIO } from '../io';
import { ENGINE_OPTIONS, JSON_OPTION, withRuntime } from '../runtime-options';

const VECTORS = { name: 'vectors', help: 'word vectors: word2vec text or binary, fastText .vec, or a checkpoint' };
const TOP: OptionSpec = { name: 'top', short: 'n', type: 'int', min: 1, default: 10, api: 'topN', help: 'how many words to list' };
const RESTRICT: OptionSpec = { name: 'restrict-vocab', type: 'int', min: 1, value: 'N', help: 'search only the N most frequent words' };

export async function loadVectors(path: string, runtime: Runtime): Promise<Word2Vec> {
  await requireFile(path, 'vectors');
  return Word2Vec.load(path, { runtime });
}

export const similarCommand: Command = {
  spec: {
    name: 'similar',
    summary: 'List the words nearest to each given word, by cosine similarity.',
    positionals: [VECTORS, { name: 'word', help: 'one or more query words', variadic: true }],
    options: [TOP, RESTRICT, ...ENGINE_OPTIONS, JSON_OPTION],
    examples: ['similar out/vectors.bin whale king --top 5'],
  },
  async run(args, io) {
    const o = args.options;
    const words = args.positionals.word as string[];
    const results = await withRuntime(o, async (runtime) => {
      const model = await loadVectors(args.positionals.vectors as string, runtime);
      const restrict = o['restrict-vocab'] !== undefined ? { restrictVocab: Math.min(o['restrict-vocab'] as number, model.size) } : {};
      return words.map((word) => ({ word, neighbours: model.mostSimilar(word, o.top as number, restrict) }));
    });
    if (o.json) return printJson(io, results);
    results.forEach((r, i) => {
      if (i > 0) println(io);
      println(io, `${r.word}:`);
      printNeighbours(io, r.neighbours);
    });
  },
};

export const analogyCommand: Command = {
  spec: {
    name: 'analogy',
    summary: '"a is to b as c is to ?": the words best completing the analogy.',
    positionals: [VECTORS, { name: 'a', help: 'e.g. man' }, { name: 'b', help: 'e.g. king' }, { name: 'c', help: 'e.g. woman' }],
    options: [
      { ...TOP, default: 5 },
      { name: 'method', type: 'choice', choices: ['add', 'mul'], default: 'add', help: '3CosAdd or 3CosMul' },
      RESTRICT, ...ENGINE_OPTIONS, JSON_OPTION,
    ],
    examples: ['analogy out/vectors.bin man king woman'],
  },
  async run(args, io) {
    const o = args.options;
    const [a, b, c] = ['a', 'b', 'c'].map((k) => args.positionals[k] as string) as [string, string, string];
    const answers = await withRuntime(o, async (runtime) => {
      const model = await loadVectors(args.positionals.vectors as string, runtime);
      const restrict = o['restrict-vocab'] !== undefined ? { restrictVocab: Math.min(o['restrict-vocab'] as number, model.size) } : {};
      return model.analogy(a, b, c, { topN: o.top as number, method: o.method as 'add' | 'mul', ...restrict });
    });
    if (o.json) return printJson(io, { a, b, c, answers });
    println(io, `${a} : ${b} :: ${c} : ?`);
    printNeighbours(io, answers);
  },
};

function printNeighbours(io: CliIO, list: readonly Neighbour[]): void {
  for (const line of columns(list.map((n) => [n.word, n.similarity.toFixed(4)]))) println(io, line);
}
