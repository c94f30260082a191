// wasm-nlp train: word2vec on a corpus file (plain or gzipped) or standard input, with a
// progress bar, saved in the format the output's extension says. What can be checked is
// checked before training starts: the options, the format, the output's and the checkpoint's
// folders, the checkpoint to resume and that it was trained on this corpus. Ctrl-C or SIGTERM
// stops between batches and, with --checkpoint, leaves a file that --resume continues from.
import { readFile, stat } from 'node:fs/promises';
import { checkOutputPath } from '../../io/output-path';
import { parseCheckpoint } from '../../word2vec/checkpoint';
import { Word2Vec, formatOfPath, type ResumeInfo, type SaveFormat } from '../../word2vec/word2vec';
import type { ProgressEvent, TrainOptions } from '../../word2vec/options';
import type { Runtime } from '../../runtime';
import { UsageError, type CommandSpec, type ForeignFlag, type OptionSpec, type OptionValue, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { corpusFile, requireFile } from '../input-files';
import { printJson, println, type CliIO } from '../io';
import { formatCount, formatDuration, ProgressBar } from '../progress';
import { ENGINE_OPTIONS, JSON_OPTION, THREADS_OPTION, withRuntime } from '../runtime-options';

const FASTTEXT = 'fastText', C_TOOL = 'the word2vec C tool', GENSIM = 'gensim';
const CORPUS_ARGUMENT = 'the corpus, the first argument';

/** fastText's, the C tool's and gensim's options, for the message when one is typed here. */
export const WORD2VEC_FOREIGN_FLAGS: Readonly<Record<string, ForeignFlag>> = {
  ws: { tool: FASTTEXT, use: '--window' },
  epoch: { tool: FASTTEXT, use: '--epochs' },
  minCount: { tool: FASTTEXT, use: '--min-count' },
  neg: { tool: FASTTEXT, use: '--negative' },
  thread: { tool: FASTTEXT, use: '--threads' },
  lr: { tool: FASTTEXT, use: '--alpha' },
  t: { tool: FASTTEXT, use: '--sample' },
  input: { tool: FASTTEXT, use: CORPUS_ARGUMENT },
  size: { tool: C_TOOL, use: '--dim' },
  iter: { tool: C_TOOL, use: '--epochs' },
  cbow: { tool: C_TOOL, use: '--model cbow (for -cbow 1)' },
  hs: { tool: C_TOOL, use: '--loss hs (for -hs 1)' },
  binary: { tool: C_TOOL, use: 'an output name ending in .bin (or --format binary)' },
  train: { tool: C_TOOL, use: CORPUS_ARGUMENT },
  vector_size: { tool: GENSIM, use: '--dim' },
  workers: { tool: GENSIM, use: '--threads' },
  sg: { tool: GENSIM, use: '--model skipgram (sg=1) or --model cbow (sg=0)' },
  max_vocab_size: { tool: GENSIM, use: '--max-vocab' },
};

/** The options that describe the model, by flag: given with --resume, each must equal the checkpoint's (but --epochs). */
const MODEL_FLAGS: OptionSpec[] = [
  { name: 'dim', type: 'int', min: 1, default: 100, help: 'vector size' },
  { name: 'window', type: 'int', min: 1, default: 5, help: 'context words on each side' },
  { name: 'negative', type: 'int', min: 0, default: 5, help: 'negative samples per example (--loss ns)' },
  { name: 'min-count', type: 'int', min: 1, default: 5, help: 'drop words rarer than this' },
  { name: 'sample', type: 'number', min: 0, default: 1e-3, help: 'subsampling threshold of frequent words (0: off)' },
  { name: 'epochs', type: 'int', min: 1, default: 5, help: 'passes over the corpus (may change with --resume)' },
  { name: 'alpha', type: 'number', default: 0.025, help: 'initial learning rate' },
  { name: 'model', type: 'choice', choices: ['skipgram', 'cbow'], default: 'skipgram', help: 'architecture' },
  { name: 'loss', type: 'choice', choices: ['ns', 'hs', 'softmax'], default: 'ns', help: 'negative sampling, hierarchical or full softmax' },
  { name: 'seed', type: 'int', min: 0, default: 1, help: 'random seed (one thread and a seed: the same vectors to the bit)' },
  { name: 'max-vocab', type: 'int', min: 1, value: 'N', api: 'maxVocabSize', help: 'prune the vocabulary to about N words while counting' },
  { name: 'maxn', type: 'int', min: 0, value: 'N', help: "subwords (fastText): longest character n-gram; 0 (the default) trains plain word2vec (fastText's is 6)" },
  { name: 'minn', type: 'int', min: 1, value: 'N', help: 'subwords: shortest character n-gram (default 3)' },
  { name: 'bucket', type: 'int', min: 1, value: 'N', help: 'subwords: hash buckets for the n-grams (default 2000000)' },
];

const spec: CommandSpec = {
  name: 'train',
  summary: "Train word2vec vectors on a corpus file (one sentence a line; .gz read too; '-' reads standard input).",
  positionals: [{ name: 'corpus', help: "the corpus: a text file, a gzipped one, or '-' for standard input" }],
  options: [
    { name: 'output', short: 'o', type: 'string', value: 'FILE', default: 'vectors.bin', help: 'where to save the vectors; its extension picks the format' },
    {
      name: 'format', type: 'choice', choices: ['text', 'binary', 'vec', 'checkpoint', 'fasttext'],
      help: "file format (default: from the extension: .bin binary (fastText's .bin with --maxn), .txt/.vec text, .ckpt checkpoint; another extension needs --format); 'vec' is fastText's .vec, the word2vec text format",
    },
    ...MODEL_FLAGS,
    { name: 'checkpoint', type: 'string', value: 'FILE', api: 'checkpointPath', help: 'on Ctrl-C or SIGTERM, write a resumable checkpoint here' },
    { name: 'resume', type: 'string', value: 'FILE', help: 'continue the run saved in this checkpoint, on the same corpus (its options are used; --epochs and --threads may change)' },
    { name: 'allow-binary', type: 'boolean', help: 'train on a corpus that does not look like UTF-8 text (NUL bytes, or over 1% invalid UTF-8 in its first MiB)' },
    THREADS_OPTION,
    ...ENGINE_OPTIONS,
    JSON_OPTION,
  ],
  examples: [
    'train data/corpus-pd4m.txt.gz -o out/vectors.bin --epochs 2 --threads 2',
    'train corpus.txt -o vectors.txt --model cbow --dim 200',
    'train corpus.txt --checkpoint run.ckpt        (Ctrl-C, then:)',
    'train corpus.txt --resume run.ckpt --threads 2',
    'train - -o vectors.vec < corpus.txt',
  ],
  foreign: WORD2VEC_FOREIGN_FLAGS,
};

export const trainCommand: Command = {
  spec,
  async run(args, io) {
    const o = args.options;
    const corpusPath = args.positionals.corpus as string;
    const corpus = await corpusFile(corpusPath, io.stdin);
    const output = o.output as string;
    const subword = ((o.maxn as number | undefined) ?? 0) > 0;
    await checkOutputPath(output, 'output');
    const format = saveFormat(output, o.format as string | undefined, subword);
    const checkpoint = o.checkpoint as string | undefined;
    if (checkpoint !== undefined) await checkOutputPath(checkpoint, 'checkpoint');
    const resume = o.resume as string | undefined;
    let resumedThreads: number | undefined;
    if (resume !== undefined) {
      await requireFile(resume, 'checkpoint');
      // Its threads are kept unless --threads says otherwise (the runtime is made for them).
      resumedThreads = parseCheckpoint(new Uint8Array(await readFile(resume))).options.threads;
    }
    const threads = args.given.has('threads') || resumedThreads === undefined ? o.threads as number : resumedThreads;
    const progress = trainingProgress(io);
    const started = performance.now();
    const checkpointBefore = checkpoint !== undefined ? await modified(checkpoint) : undefined;
    const model = await withRuntime({ ...o, threads }, async (runtime) => {
      const common = {
        onProgress: progress.onProgress, runtime,
        ...(io.signal ? { signal: io.signal } : {}), ...(checkpoint !== undefined ? { checkpointPath: checkpoint } : {}),
        ...(o['allow-binary'] ? { allowBinary: true } : {}),
      };
      try {
        return resume !== undefined
          ? await Word2Vec.resume(corpus, resume, {
            ...givenModelOptions(args), ...(args.given.has('threads') ? { threads: runtime.features.threads } : {}), ...common,
            onResume: (info) => io.stderr.write(resumeLine(resume, info)),
          })
          : await Word2Vec.train(corpus, { ...trainOptions(o, runtime), ...common });
      } catch (e) {
        if (io.signal?.aborted && checkpoint !== undefined && await modified(checkpoint) !== checkpointBefore) {
          io.stderr.write(`wasm-nlp: checkpoint saved to ${checkpoint}; continue with --resume ${checkpoint}\n`);
        }
        throw e;
      } finally {
        progress.done();
      }
    });
    const seconds = (performance.now() - started) / 1000;
    await model.save(output, { format });
    const summary = {
      output, format: o.format ?? format, words: model.size, dim: model.dim, seconds,
      wordsPerSecond: model.wordsPerSecond, lossPerEpoch: model.lossPerEpoch,
    };
    if (o.json) printJson(io, summary);
    else println(io, `${model.size.toLocaleString('en-US')} words × ${model.dim} in ${formatDuration(seconds)} ` +
      `(${formatCount(model.wordsPerSecond ?? 0)} corpus words/s); saved ${output} (${summary.format})`);
  },
};

/** The API's name for a flag: its `api`, else its name in camelCase. */
const apiName = (option: OptionSpec) => option.api ?? option.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function trainOptions(o: Record<string, OptionValue | undefined>, runtime: Runtime): TrainOptions {
  const options: Record<string, unknown> = { threads: runtime.features.threads };
  for (const flag of MODEL_FLAGS) if (o[flag.name] !== undefined) options[apiName(flag)] = o[flag.name];
  return options as TrainOptions;
}

/** With --resume, only the model options typed on the command line: Word2Vec.resume refuses those that differ from the checkpoint's. */
function givenModelOptions(args: ParsedArgs): TrainOptions {
  const options: Record<string, unknown> = {};
  for (const flag of MODEL_FLAGS) if (args.given.has(flag.name)) options[apiName(flag)] = args.options[flag.name];
  return options as TrainOptions;
}

/** "resuming run.ckpt: 1 of 2 epochs done, and 3 chunks of the next; --epochs 2 → 4, --threads 1 → 2" */
function resumeLine(path: string, info: ResumeInfo): string {
  const done = `${info.epoch} epoch${info.epoch === 1 ? '' : 's'} done${info.chunk > 0 ? `, and ${info.chunk} chunk${info.chunk === 1 ? '' : 's'} of the next` : ''}`;
  const changed = info.changed.map((c) => `--${c.option} ${String(c.from)} → ${String(c.to)}`).join(', ');
  return `resuming ${path}: ${done}; training to epoch ${info.epochs}${changed ? `; changed: ${changed}` : ''}\n`;
}

/** The format to save in: the one asked for, else the extension's; an extension that says none is a usage error. */
function saveFormat(path: string, asked: string | undefined, subword: boolean): SaveFormat {
  if (asked === 'vec') return 'text';
  if (asked === 'checkpoint' && subword) throw new UsageError('train: --format checkpoint is not supported with subwords (--maxn) yet', 'train');
  if (asked === 'fasttext' && !subword) throw new UsageError("train: --format fasttext (fastText's .bin) needs subwords: give --maxn (fastText's default is 6)", 'train');
  if (asked !== undefined) return asked as SaveFormat;
  const format = formatOfPath(path, subword);
  if (format === undefined) {
    throw new UsageError(`train: cannot tell the format of ${path} from its extension: name it .bin, .txt, .vec or .ckpt, or give --format`, 'train');
  }
  if (format === 'checkpoint' && subword) throw new UsageError('train: checkpoints (.ckpt) are not supported with subwords (--maxn) yet', 'train');
  return format;
}

/** The file's modification time (ns), to tell whether a checkpoint was written; undefined if there is none. */
async function modified(path: string): Promise<bigint | undefined> {
  return stat(path, { bigint: true }).then((s) => s.mtimeNs, () => undefined);
}

/** A progress bar on stderr fed by Word2Vec.train's onProgress. */
export function trainingProgress(io: CliIO): { onProgress: (e: ProgressEvent) => void; done: () => void } {
  const bar = new ProgressBar(io.stderr);
  return {
    onProgress: (e) => bar.update({
      fraction: e.fraction, label: `epoch ${e.epoch}/${e.epochs}`, rate: e.wordsPerSecond, rateUnit: 'words',
      extra: e.examples > 0 ? `loss ${(e.loss / e.examples).toFixed(4)}` : undefined,
    }),
    done: () => bar.done(),
  };
}
