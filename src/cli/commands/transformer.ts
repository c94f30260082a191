// wasm-nlp embed / classify / translate: a Hugging Face model folder (or base URL) run on texts
// given as arguments or, one a line, in a file.
import { loadModel } from '../../transformer/load';
import { TextEncoderModel } from '../../transformer/text-encoder';
import { TextSeq2SeqModel } from '../../transformer/text-seq2seq';
import { formatFloat32 } from '../../io/word2vec-format';
import type { Runtime } from '../../runtime';
import type { WeightDtype } from '../../transformer/weights';
import { columns, UsageError, type OptionSpec, type ParsedArgs, type PositionalSpec } from '../args';
import type { Command } from '../command';
import { readTextFile, requireFolder } from '../input-files';
import { printJson, println } from '../io';
import { JSON_OPTION, RUNTIME_OPTIONS, withRuntime } from '../runtime-options';

const MODEL: PositionalSpec = { name: 'model-dir', help: 'a Hugging Face model folder (config.json, model.safetensors, tokenizer.json) or base URL' };
const TEXTS: PositionalSpec = { name: 'text', help: 'texts to run (or --file)', variadic: true, optional: true };
const FILE: OptionSpec = { name: 'file', short: 'f', type: 'string', value: 'FILE', help: 'read the texts from FILE, one a line' };
const TRUNCATE: OptionSpec = { name: 'truncate', type: 'boolean', api: 'truncation', help: "cut texts longer than the model's positions instead of refusing them" };
const DTYPE: OptionSpec = { name: 'dtype', type: 'choice', choices: ['f32', 'q8'], help: "weights as f32, or int8 (q8) (default: q8 for a folder 'quantize' wrote, else f32)" };

type Kind = 'encoder' | 'seq2seq';

/** Loads the model and checks that it can do what the command asks. */
async function loadTextModel(source: string, runtime: Runtime, command: string, want: Kind, dtype: WeightDtype | undefined): Promise<TextEncoderModel | TextSeq2SeqModel> {
  if (!/^https?:\/\//.test(source)) await requireFolder(source, 'model folder');
  const model = await loadModel(source, { runtime, dtype });
  if (model.kind === 'decoder' || model.kind !== want) {
    model.dispose();
    const what = { encoder: ['an encoder', 'embed or classify'], seq2seq: ['an encoder-decoder (translation)', 'translate'], decoder: ['a decoder-only (text generation)', 'the API (generate)'] }[model.kind];
    throw new Error(`${command}: ${source} is ${what[0]} model; use ${what[1]}`);
  }
  return model;
}

/** The texts, and how messages name the i-th: "text 2" (an argument) or "line 7 of texts.txt". */
interface Texts {
  list: string[];
  where: (i: number) => string;
}

/** The texts: the arguments, or the non-empty lines of --file; not both. */
async function texts(args: ParsedArgs, command: string): Promise<Texts> {
  const given = (args.positionals.text as string[] | undefined) ?? [];
  const file = args.options.file as string | undefined;
  if (file !== undefined && given.length > 0) throw new UsageError(`${command}: give texts as arguments or --file, not both`, command);
  if (file === undefined) {
    if (given.length === 0) throw new UsageError(`${command}: give one or more texts, or --file FILE`, command);
    return { list: given, where: (i) => `text ${i + 1}${given.length > 1 ? ` of ${given.length}` : ''}` };
  }
  const lines = (await readTextFile(file, 'text file')).split(/\r?\n/);
  const numbers = lines.flatMap((l, n) => (l.trim() !== '' ? [n + 1] : []));
  if (numbers.length === 0) throw new Error(`${command}: ${file} has no text (no non-empty line)`);
  return { list: numbers.map((n) => lines[n - 1]!), where: (i) => `line ${numbers[i]} of ${file}` };
}

/**
 * The models refuse a text longer than they take, naming its index and truncation: 'truncate'
 * (text-encoder.ts, text-seq2seq.ts); here the text is named as the user gave it, with --truncate.
 */
function withTextErrors<T>(command: string, t: Texts, job: () => T): T {
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

/** Runs `job` on the model of the command's <model-dir>, then frees the model and its runtime. */
function withModel<T>(args: ParsedArgs, command: string, want: 'encoder', job: (model: TextEncoderModel) => T): Promise<T>;
function withModel<T>(args: ParsedArgs, command: string, want: 'seq2seq', job: (model: TextSeq2SeqModel) => T): Promise<T>;
function withModel<T>(args: ParsedArgs, command: string, want: Kind, job: (model: never) => T): Promise<T> {
  return withRuntime(args.options, async (runtime) => {
    const model = await loadTextModel(args.positionals['model-dir'] as string, runtime, command, want, args.options.dtype as WeightDtype | undefined);
    try {
      return job(model as never);
    } finally {
      model.dispose();
    }
  });
}

const truncation = (args: ParsedArgs) => ({ truncation: args.options.truncate ? 'truncate' as const : 'error' as const });

export const embedCommand: Command = {
  spec: {
    name: 'embed',
    summary: 'Sentence embeddings from an encoder (BERT, DistilBERT): one line of numbers per text.',
    positionals: [MODEL, TEXTS],
    options: [
      FILE,
      { name: 'pooling', type: 'choice', choices: ['mean', 'cls'], default: 'mean', help: 'mean of the token states, or the [CLS] state' },
      { name: 'normalize', type: 'boolean', default: true, help: 'scale each embedding to unit length' },
      TRUNCATE, DTYPE, ...RUNTIME_OPTIONS, JSON_OPTION,
    ],
    examples: ['embed ./all-MiniLM-L6-v2 "A man is eating." "Someone eats."', 'embed ./all-MiniLM-L6-v2 --file sentences.txt --json'],
  },
  async run(args, io) {
    const o = args.options;
    const t = await texts(args, 'embed'), list = t.list;
    const vectors = await withModel(args, 'embed', 'encoder', (model) => withTextErrors('embed', t,
      () => model.embed(list, { pooling: o.pooling as 'mean' | 'cls', normalize: o.normalize as boolean, ...truncation(args) })));
    if (o.json) return printJson(io, list.map((text, i) => ({ text, embedding: Array.from(vectors[i]!) })));
    for (const v of vectors) println(io, Array.from(v, formatFloat32).join(' '));
  },
};

export const classifyCommand: Command = {
  spec: {
    name: 'classify',
    summary: 'Label texts with a sequence classifier (…ForSequenceClassification).',
    positionals: [MODEL, TEXTS],
    options: [FILE, TRUNCATE, DTYPE, ...RUNTIME_OPTIONS, JSON_OPTION],
    examples: ['classify data/models/book-classifier "call me ishmael some years ago never mind how long precisely"'],
  },
  async run(args, io) {
    const o = args.options;
    const t = await texts(args, 'classify'), list = t.list;
    const results = await withModel(args, 'classify', 'encoder', (model) => withTextErrors('classify', t, () => model.classify(list, truncation(args))));
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
      FILE,
      { name: 'max-length', type: 'int', min: 2, value: 'N', help: "longest output in tokens, the start token included (default: the checkpoint's, else 128)" },
      { name: 'beams', type: 'int', min: 1, value: 'N', api: 'numBeams', help: "beam search with N beams; 1 is greedy (default: the checkpoint's, else 1)" },
      TRUNCATE, DTYPE, ...RUNTIME_OPTIONS, JSON_OPTION,
    ],
    examples: ['translate data/models/number-translator ">>digits<< three hundred forty two"'],
  },
  async run(args, io) {
    const o = args.options;
    const t = await texts(args, 'translate'), list = t.list;
    // Options left out keep the checkpoint's generation defaults.
    const outputs = await withModel(args, 'translate', 'seq2seq', (model) => withTextErrors('translate', t,
      () => model.translate(list, { maxLength: o['max-length'] as number | undefined, numBeams: o.beams as number | undefined, ...truncation(args) })));
    if (o.json) return printJson(io, list.map((text, i) => ({ text, translation: outputs[i]! })));
    for (const t of outputs) println(io, t);
  },
};
