// One fuzz target per parser and loader: where its valid inputs come from, how they are mutated,
// how the library loads them, and what a loaded result must satisfy (the sanity check that
// turns a silently wrong load into a failure).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../../src/runtime';
import { parseSafetensors } from '../../src/io/safetensors';
import { loadModel, type LoadModelOptions, type TextModel } from '../../src/transformer/load';
import { quantizeCheckpoint } from '../../src/transformer/quantize-checkpoint';
import { TextEncoderModel } from '../../src/transformer/text-encoder';
import type { TextSeq2SeqModel } from '../../src/transformer/text-seq2seq';
import { parseCheckpoint } from '../../src/word2vec/checkpoint';
import { Word2Vec } from '../../src/word2vec/word2vec';
import { encodeSafetensors, type StFile, mutateCheckpoint, mutateQ8Config, mutateQ8Safetensors, mutateSafetensors, mutateWord2VecBinary, mutateWord2VecText } from './formats';
import { mutateBytes, mutateJsonText, type Rng } from './mutate';
import { sentencePieceTarget } from './sentencepiece-target';
import { pytorchTarget } from './pytorch';

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
  return readFolder(join(FIXTURES, name));
}

/** The folder's files by relative path ("1_Pooling/config.json"), but the reference outputs. */
function readFolder(dir: string): Files {
  return Object.fromEntries(readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== 'fixture.json')
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return [path.slice(dir.length + 1), new Uint8Array(readFileSync(path))];
    }));
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
  return { check: () => checkLoaded(model, files), dispose: () => model.dispose() };
}

function checkLoaded(model: TextModel, files: Files): string | void {
  try {
    checkModel(model);
  } catch (e) {
    // Finite weights too large for float32 arithmetic (x² in LayerNorm, q·k) overflow: the
    // forward pass says so (src/transformer/finite.ts). Noted, not failed, when the checkpoint
    // has such weights (the load cannot bound them); any other non-finite output fails.
    const overflow = (e instanceof SanityFailure && /NaN|Infinity/.test(e.message)) || /overflow float32$/.test((e as Error).message);
    const largest = overflow ? largestWeight(files) : 0;
    // An I8 value times its scale that is ±Infinity is a weight the load must have refused.
    sane(Number.isFinite(largest), `a weight of the checkpoint is ${largest} (an I8 value times its scale), yet it loaded: ${(e as Error).message}`);
    if (largest > EXTREME_WEIGHT) return 'outputs overflow float32 (weights beyond ±1e4)';
    throw e;
  }
}

/** Larger than any trained transformer weight: BERT's are below 30, fp16 checkpoints below 65504. */
const EXTREME_WEIGHT = 1e4;

/** The largest |weight| of the safetensors files: float tensors as they are, I8 ones times their F32 NAME_scale (±Infinity when that overflows). */
function largestWeight(files: Files): number {
  let largest = 0;
  for (const [name, bytes] of Object.entries(files)) {
    if (!name.endsWith('.safetensors')) continue;
    const st = parseSafetensors(bytes);
    for (const t of st.names) {
      const { dtype, shape } = st.info(t);
      if (['F32', 'F16', 'BF16', 'F64'].includes(dtype)) {
        for (const x of st.tensor(t)) largest = Math.max(largest, Math.abs(x));
      } else if (dtype === 'I8' && shape.length === 2 && st.has(`${t}_scale`) && st.info(`${t}_scale`).dtype === 'F32') {
        const values = st.int8Tensor(t), scales = st.tensor(`${t}_scale`), cols = shape[1]!;
        // As the loader dequantizes: the product rounded to float32.
        for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(Math.fround(values[i]! * (scales[Math.floor(i / cols)] ?? 0))));
      }
    }
  }
  return largest;
}

/** A loaded transformer runs: embeddings (and labels) of finite numbers, or a translation. */
function checkModel(model: TextModel): void {
  const c = model.config;
  if (model instanceof TextEncoderModel) {
    const embeddings = model.embed(['hello world', 'the cat sat on the mat.'], { truncation: 'truncate' });
    // A sentence-transformers Pooling with several modes concatenates their vectors.
    const width = c.dModel * (model.sentenceEmbedding?.pooling.length ?? 1);
    sane(embeddings.length === 2 && embeddings.every((e) => e.length === width), `embed: not 2 vectors of ${width}`);
    embeddings.forEach((e, i) => allFinite(e, `embedding ${i}`));
    if (c.head === 'sequence-classification') {
      for (const r of model.classify('what a film', { truncation: 'truncate' })) {
        sane(Number.isFinite(r.score) && r.score >= 0 && r.score <= 1, `classify: score ${r.score}`);
      }
    }
    const out = model.forward('what a film', { truncation: 'truncate' });
    if (c.head === 'token-classification') allFinite(model.model.tokenLogits(out), 'token logits');
    if (c.head === 'question-answering') allFinite(model.model.spanLogits(out).start, 'start logits');
    if (c.head === 'masked-lm') allFinite(model.model.maskedLmLogits(out, [0]), 'masked-LM logits');
  } else if (model.kind === 'decoder') {
    const out = model.generate('hello world', { maxNewTokens: 3 });
    sane(typeof out.text === 'string' && out.ids.length >= 1 && out.ids.length <= 3, 'generate: not 1 to 3 new tokens');
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

/** Small fastText models (subwords on, a few buckets): skipgram with negatives and cbow with hs. */
async function subwordSeeds(rt: Runtime): Promise<Word2Vec[]> {
  const corpus = Array.from({ length: 30 }, (_, i) => `the quick brown fox ${i % 5} café 東京 jumps over the lazy dog`).join('\n');
  const base = { dim: 4, minCount: 1, epochs: 1, threads: 1, seed: 1, runtime: rt, minn: 2, maxn: 3, bucket: 50 } as const;
  return [await Word2Vec.train(corpus, base), await Word2Vec.train(corpus, { ...base, model: 'cbow', loss: 'hs' })];
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
      // A fastText model answers for any word, from its n-gram rows.
      if (model.subwords) allFinite(model.vector('zzqx-not-a-word'), 'vector of an unknown word');
      if (model.lossPerEpoch.length > 0 && !model.subwords) {
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

// --- wasm-nlp-q8 checkpoints ----------------------------------------------------------------------

/** A file of the input that is not the model's: how the iteration loads it (in memory or from a folder, which dtype). */
const LOAD_OPTIONS = 'fuzz-load.json';

interface Q8LoadOptions { from?: 'files' | 'directory'; dtype?: LoadModelOptions['dtype'] }

/** A q8 model.safetensors in two shards with an index (a tensor and its scale often in different shards), each shard marked. */
function shardedQ8(seed: Files): Files {
  const st = parseSafetensors(seed['model.safetensors']!);
  const shards: [StFile, StFile] = [{ metadata: st.metadata, tensors: [] }, { metadata: st.metadata, tensors: [] }];
  const weightMap: Record<string, string> = {};
  const bytes = seed['model.safetensors']!;
  st.names.forEach((name, i) => {
    const { dtype, shape, byteOffset, byteLength } = st.info(name);
    shards[i % 2]!.tensors.push({ name, dtype, shape, data: bytes.slice(byteOffset, byteOffset + byteLength) });
    weightMap[name] = `model-0000${(i % 2) + 1}-of-00002.safetensors`;
  });
  const { 'model.safetensors': _, ...rest } = seed;
  return {
    ...rest,
    'model-00001-of-00002.safetensors': encodeSafetensors(shards[0]),
    'model-00002-of-00002.safetensors': encodeSafetensors(shards[1]),
    'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2)),
  };
}

/**
 * quantizeCheckpoint's folders of the BERT, DistilBERT and Marian fixtures (and the BERT one in
 * two shards, and BERT's float weights under its q8 config.json), their weights and config.json
 * mutated where the q8 reader looks (formats.ts); loaded from memory or from a folder (read
 * tensor by tensor), with the default dtype (q8, from the marker), or 'f32' (dequantized) or
 * 'q8' asked for. A valid load runs the forward pass of the other folder targets (checkModel).
 */
async function quantizedTarget(): Promise<Target> {
  const tmp = mkdtempSync(join(tmpdir(), 'wasm-nlp-fuzz-q8-'));
  const seeds: Files[] = [];
  try {
    for (const name of ['bert', 'distilbert', 'marian']) {
      await quantizeCheckpoint(join(FIXTURES, name), join(tmp, name));
      seeds.push(readFolder(join(tmp, name)));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  seeds.push(shardedQ8(seeds[0]!));
  // Float weights under a config that says q8 (quantized at load), where a mutation may put I8 tensors without the marker.
  const { 'model-f16.safetensors': _f16, 'model-bf16.safetensors': _bf16, ...f32 } = folder('bert');
  seeds.push({ ...f32, 'config.json': seeds[0]!['config.json']! });
  const enc = new TextEncoder(), dec = new TextDecoder();
  return {
    name: 'quantized-checkpoint',
    seeds,
    mutate: (rng, seed) => {
      const out: Files = { ...seed };
      const weights = rng.pick(Object.keys(seed).filter((n) => n.endsWith('.safetensors')));
      const op = rng.int(20);
      if (op < 12 || op >= 18) out[weights] = mutateQ8Safetensors(rng, seed[weights]!);
      else if (op < 15) out[weights] = mutateSafetensors(rng, seed[weights]!);
      if (op >= 15 && op < 17 || op >= 18) out['config.json'] = mutateQ8Config(rng, seed['config.json']!);
      else if (op === 17) out['config.json'] = mutateJsonText(rng, dec.decode(seed['config.json']!));
      const options: Q8LoadOptions = {};
      if (rng.chance(0.25)) options.from = 'directory';
      if (rng.chance(0.2)) options.dtype = rng.pick(['f32', 'q8'] as const);
      if (Object.keys(options).length > 0) out[LOAD_OPTIONS] = enc.encode(JSON.stringify(options));
      return out;
    },
    load: async (input, rt) => {
      const { [LOAD_OPTIONS]: optionBytes, ...files } = input;
      const options: Q8LoadOptions = optionBytes ? JSON.parse(dec.decode(optionBytes)) : {};
      const dtype = options.dtype ? { dtype: options.dtype } : {};
      let model;
      if (options.from === 'directory') {
        // A folder of its own, gone once loadModel has closed the files (it reads none later).
        const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-fuzz-q8-'));
        try {
          for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
          model = await loadModel(dir, { runtime: rt, ...dtype });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      } else {
        model = await loadModel({ files }, { runtime: rt, ...dtype });
      }
      return { check: () => checkLoaded(model, files), dispose: () => model.dispose() };
    },
  };
}

export async function makeTargets(rt: Runtime): Promise<Target[]> {
  const models = await word2vecSeeds(rt);
  const text = models.map((m) => m.toBytes('text'));
  const subword = await subwordSeeds(rt);
  const fastTextBin = subword.map((m) => m.toBytes('fasttext'));
  for (const m of subword) m.dispose();
  const targets = [
    safetensorsTarget(),
    folderTarget('sharded-index', ['bert-sharded'], ['model.safetensors.index.json', 'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors']),
    folderTarget('config', ['bert', 'distilbert', 'marian', 'roberta', 'mpnet-qa', 'xlm-roberta-ner', 'camembert'], ['config.json']),
    folderTarget('tokenizer', ['bert', 'distilbert', 'marian', 'roberta', 'xlm-roberta'], ['tokenizer.json', 'tokenizer_config.json']),
    folderTarget('sentence-transformers', ['xlm-roberta', 'mpnet-st'], ['modules.json', '1_Pooling/config.json']),
    word2vecTarget('word2vec-text', text, mutateWord2VecText),
    word2vecTarget('word2vec-binary', models.map((m) => m.toBytes('binary')), mutateWord2VecBinary),
    word2vecTarget('fasttext-vec', text.map(toVec), mutateWord2VecText),
    word2vecTarget('checkpoint', models.map((m) => m.toBytes('checkpoint')), mutateCheckpoint),
    word2vecTarget('fasttext-bin', fastTextBin, mutateBytes),
    await quantizedTarget(),
    pytorchTarget(),
    sentencePieceTarget(),
  ];
  for (const m of models) m.dispose();
  return targets;
}
