// quantizeCheckpoint: a Hugging Face model folder into a wasm-nlp-q8 one (q8-format.ts), which
// loadModel reads as int8 straight away and which takes about a quarter of the f32 bytes. The
// values are quantizeWeights' (kernels/quantize.ts), the very ones loadModel(folder, { dtype:
// 'q8' }) computes at load, so both give the same model to the bit. Node only: it writes files.
declare const __BROWSER__: boolean;

import { writeFileAtomic } from '../io/atomic-write';
import { writeSafetensors, type WritableTensor } from '../io/safetensors';
import { quantizeWeights } from '../kernels/quantize';
import { openCheckpoint } from './checkpoint';
import { modelFiles } from './files';
import { configDeclaresQ8, isFloatDtype, isQuantizedShape, Q8_CONFIG, Q8_MARKER, Q8_METADATA, SCALE_SUFFIX } from './q8-format';

export interface QuantizeCheckpointOptions {
  /** Called after each tensor with how many are done, of how many. */
  onProgress?: (done: number, total: number) => void;
}

export interface QuantizeCheckpointResult {
  /** Tensors written as I8 (each with its NAME_scale). */
  quantized: number;
  /** Float tensors written as F32 (vectors, and matrices with a dimension of 1). */
  kept: number;
  /** Integer tensors left out: buffers such as position_ids, which no model here reads. */
  dropped: string[];
  /** Files copied as they are (tokenizer, generation config, vocabularies…); config.json is rewritten. */
  copied: string[];
  /** Bytes of the input's weight files, and of the model.safetensors written. */
  inputBytes: number;
  outputBytes: number;
}

const OPTION_KEYS: readonly (keyof QuantizeCheckpointOptions)[] = ['onProgress'];

/** Weight files of any framework, which a quantized folder must not carry along at full size. */
const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|gguf)$|\.index\.json$/;

/**
 * Writes to `outDir` (created, or an empty folder) the model folder `source` with every float
 * matrix (2 dimensions, both > 1: Linear weights, embedding tables) as int8 with one scale per
 * row, other float tensors as F32, in one model.safetensors (also from a sharded input); config.json
 * marked as quantized; every other file but weights copied.
 */
export async function quantizeCheckpoint(source: string, outDir: string, options: QuantizeCheckpointOptions = {}): Promise<QuantizeCheckpointResult> {
  if (__BROWSER__ || typeof process === 'undefined' || !process.versions?.node) {
    throw new Error('quantizeCheckpoint: it reads and writes folders, which works in Node only');
  }
  if (typeof source !== 'string' || typeof outDir !== 'string') throw new Error('quantizeCheckpoint: give the input and output folders as paths');
  for (const key of Object.keys(options ?? {})) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) throw new Error(`quantizeCheckpoint: unknown option ${key} (known: ${OPTION_KEYS.join(', ')})`);
  }
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const inDir = path.resolve(source), out = path.resolve(outDir);
  const real = (p: string) => fs.realpath(p).catch(() => p);
  if (await real(inDir) === await real(out)) throw new Error(`quantizeCheckpoint: the output folder is the input folder (${inDir}); give another one`);

  const files = modelFiles(inDir);
  const configBytes = await files.read('config.json');
  if (!configBytes) throw new Error(`quantizeCheckpoint: ${inDir} has no config.json`);
  const config = parseConfig(configBytes, inDir);
  const already = () => new Error(`quantizeCheckpoint: ${inDir} is already quantized (${Q8_MARKER})`);
  if (configDeclaresQ8(configBytes)) throw already();

  const opened: { close(): void }[] = [];
  const tensors: Record<string, WritableTensor> = {};
  const result: QuantizeCheckpointResult = { quantized: 0, kept: 0, dropped: [], copied: [], inputBytes: 0, outputBytes: 0 };
  try {
    const checkpoint = await openCheckpoint(files, opened, 'quantizeCheckpoint');
    if (checkpoint.isQ8) throw already();
    // Before the long work: a folder that cannot be written fails now, not after it.
    await prepareOutput(out, fs, path.join);
    for (const st of new Set(checkpoint.byName.values())) result.inputBytes += st.dataOffset + st.names.reduce((s, n) => s + st.info(n).byteLength, 0);
    const names = [...checkpoint.byName.keys()];
    names.forEach((name, i) => {
      const { dtype, shape } = checkpoint.byName.get(name)!.info(name);
      if (!isFloatDtype(dtype)) {
        result.dropped.push(name);
      } else if (isQuantizedShape(shape)) {
        if (checkpoint.has(name + SCALE_SUFFIX)) throw new Error(`quantizeCheckpoint: ${name}'s scales would be ${name + SCALE_SUFFIX}, a tensor the checkpoint already has`);
        const [rows, cols] = shape as [number, number];
        // One scale per row: per output channel of a Linear [out, in], per token of a table [vocab, d].
        const q = quantizeWeights(checkpoint.float(name, { transient: true }), cols, rows, true);
        tensors[name] = { dtype: 'I8', shape, data: q.values };
        tensors[name + SCALE_SUFFIX] = { dtype: 'F32', shape: [rows], data: q.scales };
        result.quantized++;
      } else {
        tensors[name] = { dtype: 'F32', shape, data: checkpoint.float(name) };
        result.kept++;
      }
      options.onProgress?.(i + 1, names.length);
    });
  } finally {
    for (const file of opened) file.close();
  }

  for (const entry of await fs.readdir(inDir, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'config.json' || WEIGHT_FILE.test(entry.name)) continue;
    await writeFileAtomic(path.join(out, entry.name), await fs.readFile(path.join(inDir, entry.name)));
    result.copied.push(entry.name);
  }
  // Hugging Face's key for a quantized model: loadModel sees the dtype before reading weights.
  config['quantization_config'] = Q8_CONFIG;
  await writeFileAtomic(path.join(out, 'config.json'), new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'));
  const bytes = writeSafetensors(tensors, { ...Q8_METADATA });
  await writeFileAtomic(path.join(out, 'model.safetensors'), bytes);
  result.outputBytes = bytes.length;
  return result;
}

function parseConfig(bytes: Uint8Array, dir: string): Record<string, unknown> {
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(bytes).replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new Error(`quantizeCheckpoint: ${dir}/config.json is not JSON (${(e as Error).message})`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error(`quantizeCheckpoint: ${dir}/config.json is not a JSON object`);
  return config as Record<string, unknown>;
}

/**
 * Creates `out` (or takes it if it is an empty folder) and checks that a file can be written in
 * it. The Node modules are given: imported only under quantizeCheckpoint's Node check, so that
 * the browser bundle has no import of them.
 */
async function prepareOutput(out: string, fs: typeof import('node:fs/promises'), join: (...parts: string[]) => string): Promise<void> {
  try {
    await fs.mkdir(out, { recursive: true });
    const present = await fs.readdir(out);
    if (present.length > 0) throw new Error(`quantizeCheckpoint: the output folder ${out} is not empty (it has ${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''})`);
    const probe = join(out, `.wasm-nlp-write-test-${process.pid}`);
    await fs.writeFile(probe, '');
    await fs.rm(probe);
  } catch (e) {
    if ((e as { code?: string }).code) throw new Error(`quantizeCheckpoint: cannot write in ${out} (${(e as Error).message})`);
    throw e;
  }
}
