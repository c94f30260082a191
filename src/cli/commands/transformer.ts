// wasm-nlp embed / classify / translate: a Hugging Face model folder (or base URL) run on texts
// given as arguments or, one a line, in a file. All three stream their --file: a window
// of lines at a time is run batch by batch (the model sorts it by length) and written, one output
// line per input line, so that memory stays bounded however long the file is.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isHubId } from '../../hub/hub-id';
import { loadProgressBars } from '../load-progress';
import { createGunzip } from 'node:zlib';
import { loadModel } from '../../transformer/load';
import { TextEncoderModel } from '../../transformer/text-encoder';
import { TextSeq2SeqModel } from '../../transformer/text-seq2seq';
import { formatFloat32 } from '../../io/word2vec-format';
import type { Runtime } from '../../runtime';
import type { WeightDtype } from '../../transformer/weights';
import { columns, UsageError, type OptionSpec, type ParsedArgs, type PositionalSpec } from '../args';
import type { Command } from '../command';
import { requireFile, requireFolder } from '../input-files';
import { printJson, println, type CliIO } from '../io';
import { JSON_OPTION, RUNTIME_OPTIONS, withRuntime } from '../runtime-options';

export const MODEL: PositionalSpec = { name: 'model', help: 'a hub id (org/name: downloaded once into the Hugging Face cache), a model folder (config.json, weights, tokenizer) or a base URL' };
const TEXTS: PositionalSpec = { name: 'text', help: 'texts to run (or --file)', variadic: true, optional: true };
export const TRUNCATE: OptionSpec = { name: 'truncate', type: 'boolean', api: 'truncation', help: "cut texts longer than the model's positions instead of refusing them" };
const FILE_LINES: OptionSpec = { name: 'file', short: 'f', type: 'string', value: 'FILE', help: "read the texts from FILE ('-': standard input), one a line; writes one output line per input line (empty for an empty line)" };
export const BATCH_SIZE: OptionSpec = { name: 'batch-size', type: 'int', min: 1, default: 32, value: 'N', help: 'texts run through the model at once (memory grows with it)' };
export const STRICT: OptionSpec = { name: 'strict', type: 'boolean', help: 'with --file, stop at the first line that fails (default: name it on stderr, write an empty line, go on, exit 1 at the end)' };
export const DTYPE: OptionSpec = { name: 'dtype', type: 'choice', choices: ['f32', 'q8'], help: "weights as f32, or int8 (q8) (default: q8 for a folder 'quantize' wrote, else f32)" };

type Kind = 'encoder' | 'seq2seq';

/** Loads the model and checks that it can do what the command asks. */
export async function loadTextModel(source: string, runtime: Runtime, command: string, want: Kind, dtype: WeightDtype | undefined,
  io: Pick<CliIO, 'stderr'>): Promise<TextEncoderModel | TextSeq2SeqModel> {
  // A folder that exists is a folder; else a name like org/name is a hub id (downloaded into the cache shared with Python).
  const url = /^https?:\/\//.test(source);
  const hub = !url && isHubId(source) && !(await stat(source).catch(() => undefined));
  if (!url && !hub) await requireFolder(source, 'model folder');
  // Bars on a terminal, and for downloads anywhere; a folder's quick load into a log stays quiet.
  const progress = hub || io.stderr.isTTY === true ? loadProgressBars(io) : undefined;
  let model;
  try {
    model = await loadModel(source, { runtime, dtype, onProgress: progress });
  } finally {
    progress?.done();
  }
  if (model.kind !== want) {
    model.dispose();
    const is = { encoder: 'an encoder model; use embed or classify', seq2seq: 'an encoder-decoder (translation) model; use translate', decoder: 'a decoder-only (text generation) model' };
    throw new Error(`${command}: ${source} is ${is[model.kind] ?? `a ${String(model.kind)} model`}`);
  }
  return model as TextEncoderModel | TextSeq2SeqModel;
}

/** The texts, and how messages name the i-th: "text 2" (an argument) or "line 7 of texts.txt". */
export interface Texts {
  list: string[];
  where: (i: number) => string;
}

/** The texts given as arguments (fileOrTexts has checked there are some, and no --file). */
function texts(args: ParsedArgs): Texts {
  const given = (args.positionals.text as string[] | undefined) ?? [];
  return { list: given, where: (i) => `text ${i + 1}${given.length > 1 ? ` of ${given.length}` : ''}` };
}

/**
 * The models refuse a text longer than they take, naming its index and truncation: 'truncate'
 * (text-encoder.ts, text-seq2seq.ts); here the text is named as the user gave it, with --truncate.
 */
export function withTextErrors<T>(command: string, t: Texts, job: () => T): T {
  try {
    return job();
  } catch (e) {
    const m = e instanceof Error ? /^\w+: text (\d+) has (\d+) tokens, (.*); pass truncation: 'truncate' to cut it$/.exec(e.message) : null;
    if (!m) throw e;
    const i = Number(m[1]), text = t.list[i] ?? '';
    const quoted = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
    throw new Error(`${command}: ${t.where(i)} (${quoted}) has ${m[2]} tokens, ${m[3]}; pass --truncate to cut it`, { cause: e });
  }
}

/** The lines of a text file, plain or gzipped (by its .gz name), or of standard input for '-', read as they come. */
export async function* fileLines(path: string, io: CliIO): AsyncGenerator<string> {
  let chunks: AsyncIterable<Uint8Array>;
  if (path === '-') chunks = io.stdin ? streamChunks(io.stdin) : (process.stdin as AsyncIterable<Uint8Array>);
  else {
    const file = createReadStream(path, { highWaterMark: 1 << 16 });
    chunks = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  }
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  rest += decoder.decode();
  // A last line without its newline is still a line; a file ending in a newline has no empty last line.
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) yield r.value;
  } finally {
    reader.releaseLock();
  }
}

/** How a file is named in messages: its path, or 'standard input'. */
const fileName = (path: string) => (path === '-' ? 'standard input' : path);

/** A text quoted for a message, cut at 40 characters. */
const quote = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** One input line and what became of it: a result, nothing (an empty line), or an error. */
export interface LineResult<R> {
  /** 1-based line number. */
  line: number;
  text: string;
  result: R | undefined;
  error: string | undefined;
}

/**
 * Runs `job` over the lines of `path`, a window at a time, and hands `write` every line in
 * order with its result. An empty (or blank) line is not run: its result is undefined. A line
 * the model refuses (too long without --truncate) is named on stderr ("embed: line 7 of
 * f.txt: …") with no result, and the run goes on; at the end the command fails (exit 1),
 * saying how many lines failed (failIfAny). With `strict`, the first refused line stops the run,
 * after the lines before it are written.
 */
export async function runLines<R>(io: CliIO, command: string, path: string, window: number, strict: boolean,
  job: (texts: string[], onTextError: (error: Error, index: number) => void) => R[], write: (line: LineResult<R>) => void): Promise<LinesRun> {
  if (path !== '-') await requireFile(path, 'text file');
  const name = fileName(path);
  let failed = 0, firstFailed = 0, lineNo = 0;
  let lines: string[] = [];
  const lineError = (n: number, text: string, e: Error) => {
    const m = /^\w+: text \d+ has (\d+ tokens, .*); pass truncation: 'truncate' to cut it$/.exec(e.message);
    const why = m ? `${quote(text)} has ${m[1]}; pass --truncate to cut it` : e.message.replace(/^\w+: text \d+ /, `${quote(text)} `);
    return `${command}: line ${n} of ${name}: ${why}`;
  };
  const flush = () => {
    const first = lineNo - lines.length + 1;
    const run = lines.flatMap((l, i) => (l.trim() !== '' ? [i] : []));
    const errors = new Map<number, string>();
    let stop: { at: number; message: string } | undefined;
    const onTextError = (e: Error, j: number) => {
      const i = run[j]!, message = lineError(first + i, lines[i]!, e);
      if (strict) {
        stop = { at: i, message };
        throw new Error(message);
      }
      errors.set(i, message);
    };
    let results: R[] = [];
    if (run.length > 0) {
      try {
        results = job(run.map((i) => lines[i]!), onTextError);
      } catch (e) {
        if (!stop) throw e;
        // --strict: the lines before the failing one are run and written, then the run stops.
        const before = run.filter((i) => i < stop!.at);
        const done = before.length > 0 ? job(before.map((i) => lines[i]!), onTextError) : [];
        lines = lines.slice(0, stop.at);
        before.forEach((i, j) => void (results[run.indexOf(i)] = done[j]!));
      }
    }
    const byLine = new Map(run.map((i, j) => [i, results[j]]));
    lines.forEach((text, i) => {
      const error = errors.get(i);
      if (error !== undefined) {
        io.stderr.write(`wasm-nlp: ${error}\n`);
        if (failed++ === 0) firstFailed = first + i;
      }
      write({ line: first + i, text, result: error === undefined ? byLine.get(i) : undefined, error });
    });
    lines = [];
    if (stop) throw new Error(stop.message);
  };
  for await (const text of fileLines(path, io)) {
    lineNo++;
    lines.push(text);
    if (lines.length === window) {
      if (io.signal?.aborted) throw io.signal.reason;
      flush();
      // A window's output (megabytes of numbers) waits in memory until the reader takes it:
      // without this, a pipe to a slower reader grew the process by ~20 MB a minute.
      await io.stdout.drain?.();
    }
  }
  flush();
  await io.stdout.drain?.();
  return { command, name, lines: lineNo, failed, firstFailed };
}

/** What runLines went through: lines read, and those that failed. */
export interface LinesRun {
  command: string;
  /** The file as messages name it. */
  name: string;
  lines: number;
  failed: number;
  /** The first failed line's number (0: none). */
  firstFailed: number;
}

/** Fails the command (exit 1) when lines failed, saying how many and what became of them. */
export function failIfAny(run: LinesRun, what = 'their output lines are empty'): void {
  if (run.failed > 0) {
    throw new Error(`${run.command}: ${run.failed} of ${run.lines} lines of ${run.name} failed (the first: line ${run.firstFailed}); ${what}`);
  }
}

/** Lines read ahead per window, in batches: the model sorts a window by length, so more lines pad less. */
export const WINDOW_BATCHES = 16;

/** Runs `job` on the model of the command's <model>, then frees the model and its runtime. */
export function withModel<T>(io: Pick<CliIO, 'stderr'>, args: ParsedArgs, command: string, want: 'encoder', job: (model: TextEncoderModel) => T): Promise<Awaited<T>>;
export function withModel<T>(io: Pick<CliIO, 'stderr'>, args: ParsedArgs, command: string, want: 'seq2seq', job: (model: TextSeq2SeqModel) => T): Promise<Awaited<T>>;
export function withModel<T>(io: Pick<CliIO, 'stderr'>, args: ParsedArgs, command: string, want: Kind, job: (model: never) => T): Promise<Awaited<T>> {
  return withRuntime<Awaited<T>>(args.options, async (runtime): Promise<Awaited<T>> => {
    const model = await loadTextModel(args.positionals['model'] as string, runtime, command, want, args.options.dtype as WeightDtype | undefined, io);
    try {
      return (await job(model as never)) as Awaited<T>;
    } finally {
      model.dispose();
    }
  });
}

export const truncation = (args: ParsedArgs) => ({ truncation: args.options.truncate ? 'truncate' as const : 'error' as const });

/** The texts as arguments, or --file (streamed by runLines, checked here before the model loads); not both, not neither. */
async function fileOrTexts(args: ParsedArgs, command: string): Promise<string | undefined> {
  const given = (args.positionals.text as string[] | undefined) ?? [];
  const file = args.options.file as string | undefined;
  if (file !== undefined && given.length > 0) throw new UsageError(`${command}: give texts as arguments or --file, not both`, command);
  if (file === undefined && given.length === 0) throw new UsageError(`${command}: give one or more texts, or --file FILE`, command);
  if (file !== undefined && file !== '-') await requireFile(file, 'text file');
  return file;
}

export const embedCommand: Command = {
  spec: {
    name: 'embed',
    summary: 'Sentence embeddings from an encoder (BERT, DistilBERT): one line of numbers per text.',
    positionals: [MODEL, TEXTS],
    options: [
      FILE_LINES,
      { name: 'pooling', type: 'choice', choices: ['mean', 'cls', 'max'], help: "mean of the token states, the [CLS] state, or their max (default: a sentence-transformers folder's own, else mean)" },
      { name: 'normalize', type: 'boolean', help: "scale each embedding to unit length; --no-normalize: don't (default: a sentence-transformers folder's own Normalize, else yes)" },
      BATCH_SIZE, TRUNCATE, STRICT, DTYPE, ...RUNTIME_OPTIONS,
      { ...JSON_OPTION, help: 'print the result as one line of JSON (with --file: one JSON object a line, {line, text, embedding})' },
    ],
    examples: ['embed ./all-MiniLM-L6-v2 "A man is eating." "Someone eats."', 'embed ./all-MiniLM-L6-v2 --file sentences.txt --json'],
  },
  async run(args, io) {
    const o = args.options;
    const file = await fileOrTexts(args, 'embed');
    const options = { pooling: o.pooling as 'mean' | 'cls' | 'max' | undefined, normalize: o.normalize as boolean | undefined, batchSize: o['batch-size'] as number, ...truncation(args) };
    if (file !== undefined) {
      failIfAny(await withModel(io, args, 'embed', 'encoder', (model) => runLines(io, 'embed', file, options.batchSize * WINDOW_BATCHES, o.strict === true,
        (list, onTextError) => model.embed(list, { ...options, onTextError }),
        ({ line, text, result, error }) => {
          if (o.json) printJson(io, { line, text, embedding: result ? Array.from(result) : null, ...(error ? { error } : {}) });
          else println(io, result ? Array.from(result, formatFloat32).join(' ') : '');
        })));
      return;
    }
    const t = texts(args), list = t.list;
    const vectors = await withModel(io, args, 'embed', 'encoder', (model) => withTextErrors('embed', t, () => model.embed(list, options)));
    if (o.json) return printJson(io, list.map((text, i) => ({ text, embedding: Array.from(vectors[i]!) })));
    for (const v of vectors) println(io, Array.from(v, formatFloat32).join(' '));
  },
};

export const classifyCommand: Command = {
  spec: {
    name: 'classify',
    summary: 'Label texts with a sequence classifier (…ForSequenceClassification).',
    positionals: [MODEL, TEXTS],
    options: [FILE_LINES, BATCH_SIZE, TRUNCATE, STRICT, DTYPE, ...RUNTIME_OPTIONS,
      { ...JSON_OPTION, help: 'print the result as one line of JSON (with --file: one JSON object a line, {line, text, label, score, probabilities})' }],
    examples: ['classify data/models/book-classifier "call me ishmael some years ago never mind how long precisely"', 'classify data/models/book-classifier --file lines.txt'],
  },
  async run(args, io) {
    const o = args.options;
    const file = await fileOrTexts(args, 'classify');
    const options = { batchSize: o['batch-size'] as number, ...truncation(args) };
    if (file !== undefined) {
      // One line per input line: "label score", or empty for an empty or failed line.
      failIfAny(await withModel(io, args, 'classify', 'encoder', (model) => runLines(io, 'classify', file, options.batchSize * WINDOW_BATCHES, o.strict === true,
        (list, onTextError) => model.classify(list, { ...options, onTextError }),
        ({ line, text, result, error }) => {
          if (o.json) printJson(io, { line, text, ...(result ?? { label: null }), ...(error ? { error } : {}) });
          else println(io, result ? `${result.label} ${result.score.toFixed(3)}` : '');
        })));
      return;
    }
    const t = texts(args), list = t.list;
    const results = await withModel(io, args, 'classify', 'encoder', (model) => withTextErrors('classify', t, () => model.classify(list, options)));
    if (o.json) return printJson(io, list.map((text, i) => ({ text, ...results[i]! })));
    for (const line of columns(results.map((r, i) => [`${r.label} ${r.score.toFixed(3)}`, list[i]!]), 0)) println(io, line);
  },
};

export const translateCommand: Command = {
  spec: {
    name: 'translate',
    summary: 'Translate texts with an encoder-decoder (Marian): greedy or beam search.',
    positionals: [MODEL, TEXTS],
    options: [
      FILE_LINES,
      { name: 'max-length', type: 'int', min: 2, value: 'N', help: "longest output in tokens, the start token included (default: the checkpoint's, else 128)" },
      { name: 'beams', type: 'int', min: 1, value: 'N', api: 'numBeams', help: "beam search with N beams; 1 is greedy (default: the checkpoint's, else 1)" },
      { ...BATCH_SIZE, default: 8, help: 'texts searched at once (memory grows with it and the beams)' },
      TRUNCATE, STRICT, DTYPE, ...RUNTIME_OPTIONS,
      { ...JSON_OPTION, help: 'print the result as one line of JSON (with --file: one JSON object a line, {line, text, translation})' },
    ],
    examples: ['translate data/models/number-translator ">>digits<< three hundred forty two"', 'translate ./opus-mt-en-de --file sentences.txt'],
  },
  async run(args, io) {
    const o = args.options;
    const file = await fileOrTexts(args, 'translate');
    // Options left out keep the checkpoint's generation defaults, but for one translation a text
    // (the CLI shows no alternatives; a checkpoint's num_return_sequences would shift the lines).
    const options = {
      maxLength: o['max-length'] as number | undefined, numBeams: o.beams as number | undefined, numReturnSequences: 1,
      batchSize: o['batch-size'] as number, ...truncation(args),
    };
    if (file !== undefined) {
      failIfAny(await withModel(io, args, 'translate', 'seq2seq', (model) => runLines(io, 'translate', file, options.batchSize * WINDOW_BATCHES, o.strict === true,
        (list, onTextError) => model.translate(list, { ...options, onTextError }),
        ({ line, text, result, error }) => {
          if (o.json) printJson(io, { line, text, translation: result ?? null, ...(error ? { error } : {}) });
          // One output line per input line, whatever the translation holds.
          else println(io, (result ?? '').replace(/\r?\n/g, ' '));
        })));
      return;
    }
    const t = texts(args), list = t.list;
    const outputs = await withModel(io, args, 'translate', 'seq2seq', (model) => withTextErrors('translate', t, () => model.translate(list, options)));
    if (o.json) return printJson(io, list.map((text, i) => ({ text, translation: outputs[i]! })));
    for (const t of outputs) println(io, t);
  },
};
