// wasm-nlp search: semantic search over the lines of a file. The corpus is streamed and embedded
// batch by batch (as embed --file does), each embedding added to a CorpusIndex on the model's
// runtime; the queries' embeddings are then scored against it by one GEMM per chunk, and the
// top hits printed with their line numbers and texts.
import { CorpusIndex } from '../../search/semantic-search';
import { UsageError, type OptionSpec } from '../args';
import type { Command } from '../command';
import { requireFile } from '../input-files';
import { printJson, println } from '../io';
import { JSON_OPTION, RUNTIME_OPTIONS } from '../runtime-options';
import { BATCH_SIZE, DTYPE, failIfAny, MODEL, runLines, STRICT, truncation, TRUNCATE, WINDOW_BATCHES, withModel, withTextErrors } from './transformer';

const CORPUS: OptionSpec = { name: 'corpus', short: 'c', type: 'string', value: 'FILE', help: "the texts to search, one a line ('-': standard input; a .gz file is gunzipped); empty lines are skipped" };
const TOP_K: OptionSpec = { name: 'top-k', short: 'k', type: 'int', min: 1, default: 5, value: 'N', api: 'topK', help: 'hits shown per query' };

export const searchCommand: Command = {
  spec: {
    name: 'search',
    summary: 'Semantic search: the lines of a file closest in meaning to each query (cosine of sentence embeddings).',
    positionals: [MODEL, { name: 'query', help: 'texts to search for', variadic: true }],
    options: [CORPUS, TOP_K, BATCH_SIZE, TRUNCATE,
      { ...STRICT, help: 'stop at the first corpus line that fails (default: name it on stderr, leave it out, go on, exit 1 at the end)' }, DTYPE, ...RUNTIME_OPTIONS,
      { ...JSON_OPTION, help: 'print the result as one line of JSON: [{query, hits: [{line, score, text}]}]' }],
    examples: ['search ./all-MiniLM-L6-v2 --corpus faq.txt "how do I reset my password"'],
  },
  async run(args, io) {
    const o = args.options;
    const corpus = o.corpus as string | undefined;
    if (corpus === undefined) throw new UsageError('search: give the texts to search with --corpus FILE', 'search');
    if (corpus !== '-') await requireFile(corpus, 'corpus');
    const queries = args.positionals.query as string[];
    const batchSize = o['batch-size'] as number, topK = o['top-k'] as number;
    const found = await withModel(io, args, 'search', 'encoder', async (model) => {
      // The model's own pooling and normalisation (a sentence-transformers folder's), as embed's API default.
      const embedOptions = { batchSize, ...truncation(args) };
      const index = new CorpusIndex([], { runtime: model.model.runtime });
      try {
        // The corpus's lines that were embedded: hit i is lines[i], texts[i].
        const lines: number[] = [], texts: string[] = [];
        const read = await runLines(io, 'search', corpus, batchSize * WINDOW_BATCHES, o.strict === true,
          (list, onTextError) => model.embed(list, { ...embedOptions, onTextError }),
          ({ line, text, result }) => {
            if (!result) return;
            index.add([result]);
            lines.push(line);
            texts.push(text);
          });
        if (index.size === 0) throw new Error(`search: ${corpus === '-' ? 'standard input' : corpus} has no text to search (no non-empty line that could be embedded)`);
        const where = (i: number) => `query ${i + 1}${queries.length > 1 ? ` of ${queries.length}` : ''}`;
        const vectors = withTextErrors('search', { list: queries, where }, () => model.embed(queries, embedOptions));
        const hits = index.search(vectors, { topK }).map((list) => list.map((h) => ({ line: lines[h.corpusId]!, score: h.score, text: texts[h.corpusId]! })));
        return { read, hits };
      } finally {
        index.dispose();
      }
    });
    if (o.json) printJson(io, queries.map((query, i) => ({ query, hits: found.hits[i] })));
    else {
      queries.forEach((query, i) => {
        if (i > 0) println(io);
        println(io, JSON.stringify(query));
        for (const h of found.hits[i]!) println(io, `  ${h.score.toFixed(4)}  ${h.line}: ${h.text}`);
      });
    }
    failIfAny(found.read, 'they were left out of the search');
  },
};
