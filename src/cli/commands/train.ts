// wasm-nlp train: word2vec on a corpus file (plain or gzipped), with a progress bar, saved
// in the format asked for. Ctrl-C stops between batches and, with --checkpoint, leaves a file
// that --resume continues from.
import { Word2Vec, type SaveFormat } from '../../word2vec/word2vec';
import type { ProgressEvent, TrainOptions } from '../../word2vec/options';
import type { Runtime } from '../../runtime';
import type { OptionValue } from '../args';
import type { Command } from '../command';
import { corpusFile, requireFile } from '../input-files';
import { printJson, println, type CliIO } from '../io';
import { formatCount, formatDuration, ProgressBar } from '../progress';
import { JSON_OPTION, RUNTIME_OPTIONS, withRuntime } from '../runtime-options';

export const trainCommand: Command = {
  spec: {
    name: 'train',
    summary: 'Train word2vec vectors on a corpus file (one sentence a line; .gz read too).',
    positionals: [{ name: 'corpus', help: 'the corpus: a text file, or a gzipped one' }],
    options: [
      { name: 'output', short: 'o', type: 'string', value: 'FILE', default: 'vectors.bin', help: 'where to save the vectors' },
      { name: 'format', type: 'choice', choices: ['text', 'binary', 'vec', 'checkpoint'], help: "file format (default: from the extension: .txt/.vec text, .ckpt checkpoint, else binary); 'vec' is fastText's .vec, the word2vec text format" },
      { name: 'dim', type: 'int', min: 1, default: 100, help: 'vector size' },
      { name: 'window', type: 'int', min: 1, default: 5, help: 'context words on each side' },
      { name: 'negative', type: 'int', min: 0, default: 5, help: 'negative samples per example (--loss ns)' },
      { name: 'min-count', type: 'int', min: 1, default: 5, help: 'drop words rarer than this' },
      { name: 'sample', type: 'number', min: 0, default: 1e-3, help: 'subsampling threshold of frequent words (0: off)' },
      { name: 'epochs', type: 'int', min: 1, default: 5, help: 'passes over the corpus' },
      { name: 'alpha', type: 'number', default: 0.025, help: 'initial learning rate' },
      { name: 'model', type: 'choice', choices: ['skipgram', 'cbow'], default: 'skipgram', help: 'architecture' },
      { name: 'loss', type: 'choice', choices: ['ns', 'hs', 'softmax'], default: 'ns', help: 'negative sampling, hierarchical or full softmax' },
      { name: 'seed', type: 'int', min: 0, default: 1, help: 'random seed (one thread and a seed: the same vectors to the bit)' },
      { name: 'max-vocab', type: 'int', min: 1, value: 'N', help: 'prune the vocabulary to about N words while counting' },
      { name: 'checkpoint', type: 'string', value: 'FILE', help: 'on Ctrl-C, write a resumable checkpoint here' },
      { name: 'resume', type: 'string', value: 'FILE', help: 'continue the run saved in this checkpoint (its options are used)' },
      ...RUNTIME_OPTIONS,
      JSON_OPTION,
    ],
    examples: [
      'train data/corpus-pd4m.txt.gz -o out/vectors.bin --epochs 2 --threads 2',
      'train corpus.txt -o vectors.txt --model cbow --dim 200',
    ],
  },
  async run(args, io) {
    const o = args.options;
    const corpus = await corpusFile(args.positionals.corpus as string);
    const output = o.output as string;
    const format = saveFormat(output, o.format as string | undefined);
    if (o.resume !== undefined) await requireFile(o.resume as string, 'checkpoint');
    const progress = trainingProgress(io);
    const started = performance.now();
    const model = await withRuntime(o, async (runtime) => {
      const common = { onProgress: progress.onProgress, runtime, ...(io.signal ? { signal: io.signal } : {}), ...(o.checkpoint ? { checkpointPath: o.checkpoint as string } : {}) };
      try {
        return o.resume !== undefined
          ? await Word2Vec.resume(corpus, o.resume as string, common)
          : await Word2Vec.train(corpus, { ...trainOptions(o, runtime), ...common });
      } catch (e) {
        if (io.signal?.aborted && o.checkpoint) io.stderr.write(`wasm-nlp: checkpoint saved to ${o.checkpoint}; continue with --resume ${o.checkpoint}\n`);
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

function trainOptions(o: Record<string, OptionValue | undefined>, runtime: Runtime): TrainOptions {
  return {
    dim: o.dim as number, window: o.window as number, negative: o.negative as number, minCount: o['min-count'] as number,
    sample: o.sample as number, epochs: o.epochs as number, alpha: o.alpha as number,
    model: o.model as 'skipgram' | 'cbow', loss: o.loss as 'ns' | 'hs' | 'softmax', seed: o.seed as number,
    threads: runtime.features.threads,
    ...(o['max-vocab'] !== undefined ? { maxVocabSize: o['max-vocab'] as number } : {}),
  };
}

/** The format to save in: the one asked for, else guessed from the file's extension. */
function saveFormat(path: string, asked: string | undefined): SaveFormat {
  if (asked === 'vec') return 'text';
  if (asked !== undefined) return asked as SaveFormat;
  if (/\.(txt|vec)$/i.test(path)) return 'text';
  if (/\.ckpt$/i.test(path)) return 'checkpoint';
  return 'binary';
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
