// The bugs the fuzz harness found, one test each: every one was a crash (RangeError, TypeError),
// a plain Error without field or offset, a leak of WASM memory, or a model that loaded and then
// failed or read outside its tables. Each now ends in a FormatError naming the field and offset.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FormatError } from '../../src/io/errors';
import { parseSafetensors, writeSafetensors, type WritableTensor } from '../../src/io/safetensors';
import { init, type Runtime } from '../../src/runtime';
import { configFromHuggingFace } from '../../src/transformer/families/index';
import { loadModel } from '../../src/transformer/load';
import { quantizeCheckpoint } from '../../src/transformer/quantize-checkpoint';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';
import { parseCheckpoint } from '../../src/word2vec/checkpoint';
import { Word2Vec } from '../../src/word2vec/word2vec';
import { formatError } from '../format-error';

const FIXTURES = join(__dirname, '..', 'fixtures');
const enc = new TextEncoder(), dec = new TextDecoder();

function folder(name: string): Record<string, Uint8Array> {
  const dir = join(FIXTURES, name);
  return Object.fromEntries(readdirSync(dir).filter((f) => f !== 'fixture.json').map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
}

function json(b: Uint8Array): Record<string, unknown> {
  return JSON.parse(dec.decode(b));
}

function withJson(files: Record<string, Uint8Array>, name: string, edit: (j: Record<string, unknown>) => void): Record<string, Uint8Array> {
  const j = json(files[name]!);
  edit(j);
  return { ...files, [name]: enc.encode(JSON.stringify(j)) };
}

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt?.dispose());

async function loadError(files: Record<string, Uint8Array> | string, options: { dtype?: 'f32' | 'q8' } = {}): Promise<FormatError> {
  const used = rt.arena!.usedBytes;
  const e = await loadModel(typeof files === 'string' ? files : { files }, { runtime: rt, ...options }).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(FormatError);
  // A load that fails half-way frees the layers it had packed (it leaked them before).
  expect(rt.arena!.usedBytes).toBe(used);
  return e as FormatError;
}

describe('loadModel', () => {
  test('a config whose sizes disagree with the tensors: FormatError at the tensor\'s bytes, nothing leaked', async () => {
    // classifier.weight is 3×48; 2 labels ask for 2×48. Found as a plain Error after 140 KB of leaked layers.
    const files = withJson(folder('bert'), 'config.json', (c) => {
      c['id2label'] = { 0: 'a', 1: 'b' };
      c['label2id'] = { a: 0, b: 1 };
    });
    const e = await loadError(files);
    expect(e.field).toBe('classifier.weight');
    expect(e.byteOffset).toBe(parseSafetensors(files['model.safetensors']!).info('classifier.weight').byteOffset);
    expect(e.message).toMatch(/classifier.weight has 144 values, expected 96 \(the tensor is F32 \[3, 48\] at byte offset \d+\)/);
  });

  test('a vocabulary larger than the word embedding: refused (it read past the table as NaN)', async () => {
    const e = await loadError(withJson(folder('distilbert'), 'config.json', (c) => { c['vocab_size'] = 121; }));
    expect(e.field).toBe('distilbert.embeddings.word_embeddings.weight');
    expect(e.message).toMatch(/has 4800 values, expected 4840/);
  });

  test('a missing tensor, file or shard: FormatError naming it', async () => {
    const files = folder('bert');
    const st = parseSafetensors(files['model.safetensors']!);
    const tensors = Object.fromEntries(st.names.filter((n) => n !== 'bert.pooler.dense.bias')
      .map((n) => [n, { dtype: 'F32' as const, shape: st.info(n).shape, data: st.tensor(n) }]));
    expect((await loadError({ ...files, 'model.safetensors': writeSafetensors(tensors) })).field).toBe('bert.pooler.dense.bias');
    expect((await loadError({ ...files, 'tokenizer.json': undefined as never })).field).toBe('tokenizer.json');
    const sharded = folder('bert-sharded');
    delete sharded['model-00002-of-00002.safetensors'];
    expect((await loadError(sharded)).field).toBe('model-00002-of-00002.safetensors');
  });

  test('a shard named "__proto__" is not Object.prototype (TypeError before)', async () => {
    const files = withJson(folder('bert-sharded'), 'model.safetensors.index.json', (j) => {
      (j['weight_map'] as Record<string, string>)['bert.pooler.dense.bias'] = '__proto__';
    });
    expect((await loadError(files)).field).toBe('__proto__');
  });

  test('an index that puts a tensor in a shard without it: the weight_map entry\'s offset', async () => {
    const files = withJson(folder('bert-sharded'), 'model.safetensors.index.json', (j) => {
      (j['weight_map'] as Record<string, string>)['bert.pooler.dense.bias'] = 'model-00001-of-00002.safetensors';
    });
    const e = await loadError(files);
    const text = dec.decode(files['model.safetensors.index.json']);
    expect([e.field, e.byteOffset]).toEqual(['weight_map', text.indexOf('"bert.pooler.dense.bias"')]);
  });

  test('marian: a huge max_position_embeddings is refused before its table (RangeError before)', async () => {
    const files = withJson(folder('marian'), 'config.json', (c) => { c['max_position_embeddings'] = 2 ** 32; });
    const e = await loadError(files);
    expect([e.field, e.byteOffset]).toEqual(['max_position_embeddings', dec.decode(files['config.json']).indexOf('"max_position_embeddings"')]);
    expect(e.message).toMatch(/larger than the checkpoint's \d+ bytes of weights/);
  });

  test('marian: a missing decoder_start_token_id whose default (58100) is outside a small vocabulary', async () => {
    const e = await loadError(withJson(folder('marian'), 'config.json', (c) => { delete c['decoder_start_token_id']; }));
    expect(e.field).toBe('decoder_start_token_id');
    expect(e.message).toMatch(/is missing, and its default 58100 is not a token id in \[0, 100\)/);
  });

  test('a config whose weights would not fit in wasm32 memory: a FormatError of config.json (a plain Error before)', async () => {
    const e = await loadError(withJson(folder('bert'), 'config.json', (c) => { c['vocab_size'] = 2 ** 32; }));
    expect([e.field, e.byteOffset]).toEqual(['config.json', 0]);
    expect(e.message).toMatch(/over the memory limit of 4294967296 bytes/);
  });

  test('an empty id2label in a classification config (validateConfig\'s plain Error on numLabels 0 before)', async () => {
    const e = await loadError(withJson(folder('distilbert'), 'config.json', (c) => {
      c['architectures'] = ['DistilBertForSequenceClassification'];
      c['id2label'] = {};
      c['label2id'] = {};
    }));
    expect(e.field).toBe('id2label');
  });

  test('layer counts past 10000 are refused (RangeError: Invalid array length before)', async () => {
    const e = await loadError(withJson(folder('bert'), 'config.json', (c) => { c['num_hidden_layers'] = 2 ** 32; }));
    expect(e.field).toBe('num_hidden_layers');
  });

  test('a classification config needs its classifier (the model loaded, then classify() threw)', async () => {
    const e = await loadError(withJson(folder('bert-sharded'), 'model.safetensors.index.json', (j) => {
      delete (j['weight_map'] as Record<string, string>)['classifier.weight'];
    }));
    expect(e.field).toBe('classifier.weight');
  });
});

describe('tokenizer.json', () => {
  test('not JSON: a FormatError at the byte (a SyntaxError before)', async () => {
    const files = folder('bert');
    const text = dec.decode(files['tokenizer.json']).replace('"unk_token": "[UNK]"', '"unk_token": "[UNK]",}');
    const e = await loadError({ ...files, 'tokenizer.json': enc.encode(text) });
    expect(e.field).toBe('tokenizer.json');
    expect(e.byteOffset).toBe(text.indexOf('"[UNK]",}') + 8);
  });

  test('what the tokenizer library refuses, and what it accepts but cannot run', async () => {
    const unknown = withJson(folder('bert'), 'tokenizer.json', (j) => { j['decoder'] = { type: 'Nope' }; });
    expect((await loadError(unknown)).message).toMatch(/the tokenizer library refuses it: Unknown Decoder type/);
    const notIterable = withJson(folder('bert'), 'tokenizer.json', (j) => { j['added_tokens'] = 5; });
    expect((await loadError(notIterable)).field).toBe('tokenizer.json');
  });

  test('ids outside the embedding: in the vocabulary, and segments from the post-processor', async () => {
    const vocab = withJson(folder('bert'), 'tokenizer.json', (j) => { ((j['model'] as Record<string, unknown>)['vocab'] as Record<string, number>)['the'] = 1e308; });
    expect((await loadError(vocab)).field).toBe('model.vocab');
    const segment = withJson(folder('bert'), 'tokenizer.json', (j) => {
      const pair = (j['post_processor'] as { pair: { Sequence?: { type_id: unknown } }[] }).pair;
      pair.find((p) => p.Sequence)!.Sequence!.type_id = 7;
    });
    expect((await loadError(segment)).message).toMatch(/emits segment id 7, not a row of the model's 2 token types/);
  });

  test('marian: a Metaspace replacement that is not a symbol (an array of 100 000 numbers took a minute and 2 GB)', async () => {
    const e = await loadError(withJson(folder('marian'), 'tokenizer.json', (j) => {
      (j['pre_tokenizer'] as Record<string, unknown>)['replacement'] = Array.from({ length: 100_000 }, () => 1e308);
    }));
    expect(e.field).toBe('pre_tokenizer.replacement');
    expect(e.message).toMatch(/must be a string of at most 64 characters, got an array of 100000/);
  });

  test('marian: ids with no token are never generated (translate() threw a TypeError in decode)', async () => {
    // The fixture's greedy outputs are made of ids 2, 40, 41 and 0: without 40 and up, the model must pick others.
    const shortVocab = withJson(folder('marian'), 'tokenizer.json', (j) => {
      const model = j['model'] as { vocab: unknown[] };
      model.vocab = model.vocab.slice(0, 40);
    });
    const model = await loadModel({ files: shortVocab }, { runtime: rt, kind: 'seq2seq' });
    try {
      expect(model.config.suppressTokenIds).toEqual(expect.arrayContaining([40, 41, 98]));
      const ids = model.model.generate([[3, 6, 8, 0]], { maxLength: 12 })[0]!;
      expect(ids.length).toBeGreaterThan(2);
      expect(ids.every((id) => id < 40 || id === 99)).toBe(true);   // 99: the decoder start (pad)
      expect(model.translate('he is sleeping', { maxLength: 12 })).toHaveLength(1);
    } finally {
      model.dispose();
    }
    const notString = withJson(folder('marian'), 'tokenizer.json', (j) => { (j['model'] as { vocab: unknown[] }).vocab[41] = [[0]]; });
    expect((await loadError(notString)).field).toMatch(/model.vocab|tokenizer.json/);
  });

  test('an id of 1e9 is refused before the tokenizer library sees it (it spent a minute on it)', async () => {
    const vocab = withJson(folder('bert'), 'tokenizer.json', (j) => { ((j['model'] as Record<string, unknown>)['vocab'] as Record<string, number>)['[PAD]'] = 1e9; });
    expect((await loadError(vocab)).message).toMatch(/token "\[PAD\]" has id 1000000000, not a row of the model's 120-token embedding/);
    const added = withJson(folder('bert'), 'tokenizer.json', (j) => { (j['added_tokens'] as { id: number }[])[0]!.id = 1e9; });
    expect((await loadError(added)).field).toBe('added_tokens[0].id');
  });

  test('a WordPiece model whose unknown token is not in its vocabulary (undefined ids before)', async () => {
    const e = await loadError(withJson(folder('bert'), 'tokenizer.json', (j) => { (j['model'] as Record<string, unknown>)['unk_token'] = '[NOPE]'; }));
    expect(e.field).toBe('model.unk_token');
  });
});

describe('word2vec checkpoints', () => {
  let ckpt: Uint8Array;
  beforeAll(async () => {
    const model = await Word2Vec.train('a b c a b a\nb a c a', { dim: 3, minCount: 1, epochs: 1, threads: 1, seed: 1, runtime: rt });
    ckpt = model.toBytes('checkpoint');
    model.dispose();
  });

  /** The checkpoint with its JSON header edited (the float section realigned). */
  function edited(edit: (h: Record<string, unknown>) => void): Uint8Array {
    const length = new DataView(ckpt.buffer, ckpt.byteOffset).getUint32(16, true);
    const h = json(ckpt.subarray(20, 20 + length));
    edit(h);
    const text = enc.encode(JSON.stringify(h));
    const start = Math.ceil((20 + text.length) / 4) * 4;
    const out = new Uint8Array(start + ckpt.length - Math.ceil((20 + length) / 4) * 4);
    out.set(ckpt.subarray(0, 16));
    new DataView(out.buffer).setUint32(16, text.length, true);
    out.set(text, 20);
    out.set(ckpt.subarray(Math.ceil((20 + length) / 4) * 4), start);
    return out;
  }

  test('the valid checkpoint parses', () => {
    expect(parseCheckpoint(ckpt).vocab.words).toEqual(['a', 'b', 'c']);
  });

  test('bad counts are FormatErrors at the key (plain Vocab errors before)', () => {
    const e = formatError(() => parseCheckpoint(edited((h) => { h['counts'] = [1, 4, 1]; })));
    expect(e.field).toBe('counts');
    expect(e.message).toMatch(/counts must not increase/);
    expect(dec.decode(edited((h) => { h['counts'] = [1, 4, 1]; }).subarray(e.byteOffset, e.byteOffset + 8))).toBe('"counts"');
  });

  test('options that disagree with the vectors, output rows that disagree with the loss, bad progress, empty words', () => {
    expect(formatError(() => parseCheckpoint(edited((h) => { (h['options'] as Record<string, unknown>)['dim'] = 4; }))).message)
      .toMatch(/say dim 4, the vectors have dim 3/);
    expect(formatError(() => parseCheckpoint(edited((h) => { (h['options'] as Record<string, unknown>)['loss'] = 'hs'; }))).field).toBe('outputRows');
    expect(formatError(() => parseCheckpoint(edited((h) => { (h['progress'] as Record<string, unknown>)['epoch'] = 99; }))).field).toBe('progress');
    expect(formatError(() => parseCheckpoint(edited((h) => { (h['progress'] as Record<string, unknown>)['lossPerEpoch'] = [NaN]; }))).field).toBe('progress');
    expect(formatError(() => parseCheckpoint(edited((h) => { (h['words'] as string[])[2] = ''; }))).field).toBe('words');
  });

  test('a deep header is refused before anything prints it (String() overflowed the stack)', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const text = enc.encode(`{"dim": ${deep}}`);
    const bytes = new Uint8Array(20 + text.length);
    bytes.set(ckpt.subarray(0, 16));
    new DataView(bytes.buffer).setUint32(16, text.length, true);
    bytes.set(text, 20);
    expect(formatError(() => parseCheckpoint(bytes)).message).toMatch(/nests deeper than 8 levels/);
  });

  test('NaN or Inf in the weights: named with syn0/syn1 and the float\'s byte offset', () => {
    const start = Math.ceil((20 + new DataView(ckpt.buffer, ckpt.byteOffset).getUint32(16, true)) / 4) * 4;
    const bad = ckpt.slice();
    new DataView(bad.buffer).setFloat32(start + 4 * 10, -Infinity, true); // syn0 holds 3 words × 3
    const e = formatError(() => parseCheckpoint(bad));
    expect([e.field, e.byteOffset]).toEqual(['vectors', start + 40]);
    expect(e.message).toMatch(/a weight is -Infinity \(syn1 element 1\)/);
  });

  test('a file shorter than its float section starts: the offset stays inside the file', () => {
    const short = ckpt.subarray(0, 21 + new DataView(ckpt.buffer, ckpt.byteOffset).getUint32(16, true));
    expect(formatError(() => parseCheckpoint(short)).byteOffset).toBeLessThanOrEqual(short.length);
  });
});

test('safetensors: an empty unknown key in a tensor entry is field \'""\' (an empty field before)', () => {
  const header = enc.encode('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "": 1}}');
  const bytes = new Uint8Array(8 + header.length + 4);
  new DataView(bytes.buffer).setUint32(0, header.length, true);
  bytes.set(header, 8);
  expect(formatError(() => parseSafetensors(bytes)).field).toBe('""');
});

test('JSON syntax errors name the byte where the text stops being JSON (byte 0 when V8 gave no position)', () => {
  const cases: [string, number][] = [
    ['{"a": nan}', 7], ['{"a": 1', 7], ['{"a" 1}', 5], ['[1,]', 3], ['{"a":tru}', 8], ['{"a":"\\x"}', 7], ['{"a":01}', 6],
    ['{"a":-}', 6], ['"\u0001"', 1], ['{} x', 3], ['{"é": [1, 2,, 3]}', 13], ['{"a": "\\u12G4"}', 11], ['', 0],
  ];
  for (const [text, at] of cases) {
    const e = formatError(() => configFromHuggingFace(text));
    expect([text, e.field, e.byteOffset]).toEqual([text, 'config.json', at]);
  }
});

describe('wasm-nlp-q8 checkpoints', () => {
  const Q = 'bert.encoder.layer.0.attention.self.query.weight';
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'wasm-nlp-q8-regressions-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** The BERT fixture with `edit` applied to its float weights, written to a folder and quantized: the q8 folder. */
  async function quantizedBert(name: string, edit: (t: Record<string, WritableTensor>) => void = () => {}): Promise<string> {
    const src = join(tmp, `${name}-f32`), out = join(tmp, name);
    mkdirSync(src);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(FIXTURES, 'bert', f), join(src, f));
    const st = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'bert', 'model.safetensors'))));
    const tensors: Record<string, WritableTensor> = Object.fromEntries(st.names.map((n) => [n, { dtype: 'F32', shape: st.info(n).shape, data: st.tensor(n) }]));
    edit(tensors);
    writeFileSync(join(src, 'model.safetensors'), writeSafetensors(tensors));
    await quantizeCheckpoint(src, out);
    return out;
  }

  test('-128 in a row whose scale is finite ×127 but not ×128: a FormatError at the value\'s byte (it loaded, and dtype \'f32\' dequantized it to -Infinity)', async () => {
    // Found by the quantized-checkpoint target: the forward pass then overflowed (f32) or ran on (q8).
    const dir = await quantizedBert('minus-128');
    const bytes = new Uint8Array(readFileSync(join(dir, 'model.safetensors')));
    const st = parseSafetensors(bytes);
    new DataView(bytes.buffer).setFloat32(st.info(`${Q}_scale`).byteOffset + 4 * 2, 2.67e36, true);  // row 2: 127·s finite, 128·s not
    const at = st.info(Q).byteOffset + 2 * 48 + 7;
    bytes[at] = 0x80;
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    for (const dtype of [undefined, 'f32', 'q8'] as const) {
      for (const source of [dir, folderOf(dir)]) {
        const e = await loadError(source, dtype ? { dtype } : {});
        expect([e.field, e.byteOffset]).toEqual([Q, at]);
        expect(e.message).toBe(`model.safetensors: element ${2 * 48 + 7} of ${Q} is -128, which times its row's scale ${Math.fround(2.67e36)} is -Infinity: weights must be finite`);
      }
    }
    // 127 there, or -128 under a scale whose 128× is finite, is a finite weight: it loads.
    bytes[at] = 127;
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    (await loadModel(dir, { runtime: rt, dtype: 'f32' })).dispose();
  });

  test('quantizeCheckpoint writes scales loadModel accepts: a row of tiny denormals (scale 0 before) and a row at float32\'s largest (127·scale overflowed)', async () => {
    const F32_MAX = 3.4028234663852886e38;
    const dir = await quantizedBert('extreme-rows', (t) => {
      const w = t[Q]!.data as Float32Array;
      w.fill(0, 0, 2 * 48);
      w[3] = 1e-45;          // row 0: its largest |w| / 127 underflows to 0
      w[48 + 5] = -F32_MAX;  // row 1: fround(F32_MAX / 127) · 127 rounds past F32_MAX
    });
    const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    const scales = st.tensor(`${Q}_scale`), values = st.int8Tensor(Q);
    // Row 0 is zeros at scale 1; row 1's scale is the float below, its weight -127 of them.
    expect([scales[0], [...values.subarray(0, 48)].every((v) => v === 0)]).toEqual([1, true]);
    expect(scales[1]).toBe(Math.fround(F32_MAX / 127) - 2 ** (Math.floor(Math.log2(F32_MAX / 127)) - 23));
    expect(Number.isFinite(Math.fround(127 * scales[1]!))).toBe(true);
    expect(values[48 + 5]).toBe(-127);
    const model = await loadModel(dir, { runtime: rt }) as TextEncoderModel;
    expect(model.embed(['hello world'])[0]!.every(Number.isFinite)).toBe(true);
    model.dispose();
    (await loadModel(dir, { runtime: rt, dtype: 'f32' })).dispose();
  });
});

/** A folder's files in memory. */
function folderOf(dir: string): Record<string, Uint8Array> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
}
