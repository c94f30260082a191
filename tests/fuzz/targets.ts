// One fuzz target per parser and loader: where its valid inputs come from, how they are mutated,
// how the library loads them, and what a loaded result must satisfy (the sanity check that
// turns a silently wrong load into a failure).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../../src/runtime';
import { parseSafetensors } from '../../src/io/safetensors';
import { loadModel } from '../../src/transformer/load';
import { TextEncoderModel } from '../../src/transformer/text-encoder';
import type { TextSeq2SeqModel } from '../../src/transformer/text-seq2seq';
import { parseCheckpoint } from '../../src/word2vec/checkpoint';
import { Word2Vec } from '../../src/word2vec/word2vec';
import { mutateCheckpoint, mutateSafetensors, mutateWord2VecBinary, mutateWord2VecText } from './formats';
import { mutateBytes, mutateJsonText, type Rng } from './mutate';

/** A target's input: one or more named files. */
export type Files = Record<string, Uint8Array>;

export interface Target {
  name: string;
  /** Valid inputs the mutations start from. */
  seeds: Files[];
  mutate(rng: Rng, seed: Files): Files;
  /** Loads the files as the library's users do; throws whatever the library throws. */
  load(files: Files, rt: Runtime): Promise<Loaded>;
}

/**
 * A loaded result: `check` throws a SanityFailure if it is not a valid model, or returns a note
 * for a valid model with a known limit (non-finite outputs from absurdly large weights);
 * `dispose` frees it.
 */
export interface Loaded {
  check(): string | void;
  dispose(): void;
}

/** A load that succeeded but gave something wrong: always a fuzz failure. */
export class SanityFailure extends Error {
  override readonly name = 'SanityFailure';
}

function sane(condition: boolean, what: string): void {
  if (!condition) throw new SanityFailure(what);
}

function allFinite(x: ArrayLike<number>, what: string): void {
  for (let i = 0; i < x.length; i++) sane(Number.isFinite(x[i]), `${what}: element ${i} is ${x[i]}`);
}

const FIXTURES = join(__dirname, '..', 'fixtures');

function folder(name: string): Files {
  const dir = join(FIXTURES, name);
  return Object.fromEntries(readdirSync(dir).filter((f) => f !== 'fixture.json')
    .map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
}

/** Mutates one file of a folder (one of `names`), by its kind; the other files are kept. */
function mutateOne(rng: Rng, seed: Files, names: string[]): Files {
  const name = rng.pick(names.filter((n) => seed[n] !== undefined));
  const b = seed[name]!;
  const mutated = name.endsWith('.json') ? mutateJsonText(rng, new TextDecoder().decode(b))
    : name.endsWith('.safetensors') ? mutateSafetensors(rng, b) : mutateBytes(rng, b);
  return { ...seed, [name]: mutated };
}

async function loadFolder(files: Files, rt: Runtime): Promise<Loaded> {
  const model = await loadModel({ files }, { runtime: rt });
  return {
    check: () => {
      try {
        checkModel(model);
      } catch (e) {
        // Finite weights too large for float32 arithmetic (x² in LayerNorm, q·k) overflow: the
        // forward pass says so (src/transformer/finite.ts). Noted, not failed, when the checkpoint
        // has such weights (the load cannot bound them); any other non-finite output fails.
        const overflow = (e instanceof SanityFailure && /NaN|Infinity/.test(e.message)) || /overflow float32$/.test((e as Error).message);
        if (overflow && largestWeight(files) > EXTREME_WEIGHT) return 'outputs overflow float32 (weights beyond ±1e4)';
        throw e;
      }
    },
    dispose: () => model.dispose(),
  };
}

/** Larger than any trained transformer weight: BERT's are below 30, fp16 checkpoints below 65504. */
const EXTREME_WEIGHT = 1e4;

function largestWeight(files: Files): number {
  let largest = 0;
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.endsWith('.safetensors')) continue;
    const st = parseSafetensors(bytes);
    for (const t of st.names) for (const x of st.tensor(t)) largest = Math.max(largest, Math.abs(x));
  }
  return largest;
}

/** A loaded transformer runs: embeddings (and labels) of finite numbers, or a translation. */
function checkModel(model: TextEncoderModel | TextSeq2SeqModel): void {
  const c = model.config;
  if (model instanceof TextEncoderModel) {
    const embeddings = model.embed(['hello world', 'the cat sat on the mat.'], { truncation: 'truncate' });
    sane(embeddings.length === 2 && embeddings.every((e) => e.length === c.dModel), 'embed: wrong shape');
    embeddings.forEach((e, i) => allFinite(e, `embedding ${i}`));
    if (c.numLabels !== undefined) {
      for (const r of model.classify('what a film', { truncation: 'truncate' })) {
        sane(Number.isFinite(r.score) && r.score >= 0 && r.score <= 1, `classify: score ${r.score}`);
      }
    }
  } else {
    const [out] = model.translate('hello world', { maxLength: 6, truncation: 'truncate' });
    sane(typeof out === 'string', 'translate: not a string');
  }
}

function safetensorsTarget(): Target {
  const seeds = ['bert/model.safetensors', 'bert/model-f16.safetensors', 'bert/model-bf16.safetensors', 'distilbert/model.safetensors',
    'marian/model.safetensors', 'custom-prenorm/model.safetensors', 'bert-sharded/model-00002-of-00002.safetensors']
    .map((p) => ({ 'model.safetensors': new Uint8Array(readFileSync(join(FIXTURES, p))) }));
  return {
    name: 'safetensors',
    seeds,
    mutate: (rng, seed) => ({ 'model.safetensors': mutateSafetensors(rng, seed['model.safetensors']!) }),
    load: async (files) => {
      const st = parseSafetensors(files['model.safetensors']!);
      // Every tensor read as a loader would: floats checked finite, integers as int32.
      const read = st.names.map((name) => {
        const { dtype, shape } = st.info(name);
        const values = ['F32', 'F16', 'BF16', 'F64'].includes(dtype) ? st.tensor(name, { checkFinite: true }) : st.intTensor(name);
        return { name, shape, values };
      });
      return {
        check: () => {
          for (const { name, shape, values } of read) {
            sane(values.length === shape.reduce((a, b) => a * b, 1), `${name}: ${values.length} values for shape [${shape}]`);
            allFinite(values, name);
          }
        },
        dispose: () => {},
      };
    },
  };
}

function folderTarget(name: string, folders: string[], files: string[]): Target {
  return { name, seeds: folders.map(folder), mutate: (rng, seed) => mutateOne(rng, seed, files), load: loadFolder };
}

/** A small trained model, for the word2vec files: words with accents and CJK, several loss functions. */
async function word2vecSeeds(rt: Runtime): Promise<Word2Vec[]> {
  const corpus = Array.from({ length: 40 }, (_, i) =>
    `the quick brown fox jumps over the lazy dog ${i % 7} café naïve 東京 ${['a', 'b', 'c'][i % 3]} end`).join('\n');
  const base = { dim: 6, minCount: 1, epochs: 1, threads: 1, seed: 1, runtime: rt } as const;
  return [
    await Word2Vec.train(corpus, base),
    await Word2Vec.train(corpus, { ...base, loss: 'hs', model: 'cbow' }),
    await Word2Vec.train(corpus, { ...base, dim: 1, loss: 'softmax' }),
  ];
}

async function loadWord2Vec(files: Files, rt: Runtime): Promise<Loaded> {
  const model = await Word2Vec.load(files['vectors']!, { runtime: rt });
  return {
    check: () => {
      const { vocab, dim, vectors } = model;
      sane(Number.isSafeInteger(dim) && dim >= 1 && vectors.length === vocab.length * dim, `vectors: ${vectors.length} for ${vocab.length}×${dim}`);
      sane(new Set(vocab).size === vocab.length && vocab.every((w) => w.length > 0), 'vocabulary: empty or repeated words');
      allFinite(vectors, 'vectors');
      if (vocab.length > 0) model.mostSimilar(vocab[0]!, 3);
      if (model.lossPerEpoch.length > 0) {
        // A checkpoint: it must save back to a checkpoint that loads again.
        const again = parseCheckpoint(model.toBytes('checkpoint'));
        sane(again.vocab.words.length === vocab.length && again.syn0.every((x, i) => Object.is(x, vectors[i])), 'checkpoint: saved differently');
      }
    },
    dispose: () => model.dispose(),
  };
}

function word2vecTarget(name: string, seeds: Uint8Array[], mutate: (rng: Rng, b: Uint8Array) => Uint8Array): Target {
  return {
    name,
    seeds: seeds.map((b) => ({ vectors: b })),
    mutate: (rng, seed) => ({ vectors: mutate(rng, seed['vectors']!) }),
    load: loadWord2Vec,
  };
}

/** fastText's .vec: the text format with a space before each newline. */
function toVec(text: Uint8Array): Uint8Array {
  return new TextEncoder().encode(new TextDecoder().decode(text).replace(/\n/g, ' \n'));
}

export async function makeTargets(rt: Runtime): Promise<Target[]> {
  const models = await word2vecSeeds(rt);
  const text = models.map((m) => m.toBytes('text'));
  const targets = [
    safetensorsTarget(),
    folderTarget('sharded-index', ['bert-sharded'], ['model.safetensors.index.json', 'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors']),
    folderTarget('config', ['bert', 'distilbert', 'marian'], ['config.json']),
    folderTarget('tokenizer', ['bert', 'distilbert', 'marian'], ['tokenizer.json', 'tokenizer_config.json']),
    word2vecTarget('word2vec-text', text, mutateWord2VecText),
    word2vecTarget('word2vec-binary', models.map((m) => m.toBytes('binary')), mutateWord2VecBinary),
    word2vecTarget('fasttext-vec', text.map(toVec), mutateWord2VecText),
    word2vecTarget('checkpoint', models.map((m) => m.toBytes('checkpoint')), mutateCheckpoint),
  ];
  for (const m of models) m.dispose();
  return targets;
}
