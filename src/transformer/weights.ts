// What a model family's loader (models/*.ts) reads its weights through: Linear layers, LayerNorms,
// embedding tables and plain float vectors, by their names in the checkpoint. The dtype is decided
// here, once: in 'q8' every Linear's weight is packed as int8 with one scale per output channel,
// and every embedding table is kept as int8 with one scale per row; LayerNorm parameters, biases
// and other vectors stay f32. A family file never says which, so a family added later runs in
// q8 as it is.
import { FormatError } from '../io/errors';
import type { Runtime, RuntimeTensor } from '../runtime';
import type { PackedMatrix, QuantizedWeights } from '../kernels/types';
import { F32Table, Q8Table } from './embedding-table';
import { SCALE_SUFFIX } from './q8-format';

/** A torch.nn.Linear, its weight packed once for the GEMM micro-kernel: y = x·Wᵀ + b. */
export interface Linear {
  weight: PackedMatrix;
  bias: RuntimeTensor | undefined;
  inFeatures: number;
  outFeatures: number;
}

/** A LayerNorm (gamma, beta), or an RMSNorm (gamma only: beta undefined). */
export interface Norm {
  gamma: RuntimeTensor;
  beta: RuntimeTensor | undefined;
  eps: number;
}

/** A FormatError naming the tensor (byte offset 0: loadModel, which knows the file, puts the tensor's own). */
export function checkLength<T extends { readonly length: number }>(x: T, n: number, name: string): T {
  if (x.length !== n) throw new FormatError(`${name} has ${x.length} values, expected ${n}`, name, 0);
  return x;
}

export type WeightDtype = 'f32' | 'q8';
export const WEIGHT_DTYPES: readonly WeightDtype[] = ['f32', 'q8'];

/**
 * Reads a weight as f32 by its Hugging Face name (from one or several safetensors files).
 * transient: the caller copies the values away at once (packs them, or into a tensor) and
 * keeps no reference, so the source may hand out the file's bytes in place instead of a copy;
 * they are valid only until the next weight is read (a file is read through one buffer).
 */
export type WeightSource = (name: string, options?: { transient?: boolean }) => Float32Array;

/** The tensors of a checkpoint, by name: what Weights reads from. */
export interface TensorSource {
  has(name: string): boolean;
  /** A weight as f32 (NaN and Inf refused; one stored quantized comes back dequantized). See WeightSource. */
  float(name: string, options?: { transient?: boolean }): Float32Array;
  /**
   * The int8 values (rows × cols) and per-row scales of a weight the checkpoint stores quantized,
   * or undefined for one it stores as floats. transient: the values may be the file's bytes in place.
   */
  quantized(name: string, options?: { transient?: boolean }): QuantizedWeights | undefined;
}

/** A TensorSource of float weights only: a WeightSource function and its has(). */
export function floatTensors(source: WeightSource, has: (name: string) => boolean): TensorSource {
  return { has, float: source, quantized: () => undefined };
}

export interface Weights {
  readonly runtime: Runtime;
  readonly dtype: WeightDtype;
  has(name: string): boolean;
  /** A float vector (a bias, final_logits_bias) as a tensor the kernels read in place. */
  tensor(name: string, length: number): RuntimeTensor;
  /** Floats the model reads in JS (MPNet's relative bias table), as a copy. */
  vector(name: string, length: number): Float32Array;
  /** A LayerNorm: PREFIX.weight and PREFIX.bias, D each. */
  norm(prefix: string, D: number, eps: number): Norm;
  /** An RMSNorm: PREFIX.weight, D values. */
  rmsNorm(prefix: string, D: number, eps: number): Norm;
  /** A torch.nn.Linear: PREFIX.weight (out × in, y = x·Wᵀ + b) and PREFIX.bias unless bias is false. */
  linear(prefix: string, inFeatures: number, outFeatures: number, bias?: boolean): Linear;
  /**
   * `count` Linears of the same shape stacked in one (count·out) × in matrix and one bias vector,
   * as torch.nn.MultiheadAttention's in_proj_weight and in_proj_bias (q, k, v).
   */
  stackedLinears(weight: string, bias: string | undefined, inFeatures: number, outFeatures: number, count: number): Linear[];
  /**
   * GPT-2's Conv1D: PREFIX.weight stored in × (count·out), transposed relative to a Linear
   * (y = x·W + b), and PREFIX.bias; `count` Linears side by side in its columns (c_attn: q, k, v).
   * A quantized checkpoint's values (scaled per stored row, an input channel) are dequantized and
   * quantized again per output channel.
   */
  conv1d(prefix: string, inFeatures: number, outFeatures: number, count?: number): Linear[];
  /** A table of `rows` embeddings of `dim` (tokens, positions, token types). */
  embedding(name: string, rows: number, dim: number): F32Table | Q8Table;
}

export function modelWeights(rt: Runtime, tensors: TensorSource, dtype: WeightDtype): Weights {
  /** The `count` packs of a stacked weight matrix, from its int8 values as stored or from its floats. */
  const packStacked = (name: string, k: number, n: number, count: number): PackedMatrix[] => {
    const parts = (pack: (j: number) => PackedMatrix) => Array.from({ length: count }, (_, j) => pack(j));
    const stored = dtype === 'q8' ? tensors.quantized(name, { transient: true }) : undefined;
    if (stored) {
      // Already int8, with the scales the pack wants: never made f32.
      const values = checkLength(stored.values, count * n * k, name);
      const scales = checkLength(stored.scales, count * n, name + SCALE_SUFFIX);
      return parts((j) => rt.kernels.packQ8({ values: values.subarray(j * n * k, (j + 1) * n * k), scales: scales.subarray(j * n, (j + 1) * n) }, { k, n }));
    }
    const values = checkLength(tensors.float(name, { transient: true }), count * n * k, name);
    return parts((j) => rt.kernels.packB(values.subarray(j * n * k, (j + 1) * n * k), { k, n, transB: true, dtype }));
  };

  const weights: Weights = {
    runtime: rt,
    dtype,
    has: (name) => tensors.has(name),
    tensor: (name, length) => rt.tensor([length], checkLength(tensors.float(name, { transient: true }), length, name)),
    vector: (name, length) => checkLength(tensors.float(name), length, name),
    norm: (prefix, D, eps) => ({ gamma: weights.tensor(`${prefix}.weight`, D), beta: weights.tensor(`${prefix}.bias`, D), eps }),
    rmsNorm: (prefix, D, eps) => ({ gamma: weights.tensor(`${prefix}.weight`, D), beta: undefined, eps }),
    linear: (prefix, inFeatures, outFeatures, bias = true) =>
      weights.stackedLinears(`${prefix}.weight`, bias ? `${prefix}.bias` : undefined, inFeatures, outFeatures, 1)[0]!,
    stackedLinears(weight, bias, inFeatures, outFeatures, count) {
      // The bias first, as a copy: the weight's transient values must be the last ones read.
      // (Its length is checked after the weight's, the tensor a wrong config names first.)
      const raw = bias === undefined ? undefined : tensors.float(bias);
      const packs = packStacked(weight, inFeatures, outFeatures, count);
      const b = raw && checkLength(raw, count * outFeatures, bias!);
      return packs.map((packed, j) => ({
        weight: packed,
        bias: b ? rt.tensor([outFeatures], b.subarray(j * outFeatures, (j + 1) * outFeatures)) : undefined,
        inFeatures, outFeatures,
      }));
    },
    conv1d(prefix, inFeatures, outFeatures, count = 1) {
      const bias = checkLength(tensors.float(`${prefix}.bias`), count * outFeatures, `${prefix}.bias`);
      const name = `${prefix}.weight`, n = count * outFeatures;
      const stored = checkLength(tensors.float(name, { transient: true }), inFeatures * n, name);
      return Array.from({ length: count }, (_, j) => {
        // Linear j's weight in torch's out × in layout: columns j·out … (j+1)·out − 1 of the stored matrix.
        const w = new Float32Array(outFeatures * inFeatures);
        for (let i = 0; i < inFeatures; i++) for (let o = 0; o < outFeatures; o++) w[o * inFeatures + i] = stored[i * n + j * outFeatures + o]!;
        return {
          weight: rt.kernels.packB(w, { k: inFeatures, n: outFeatures, transB: true, dtype }),
          bias: rt.tensor([outFeatures], bias.subarray(j * outFeatures, (j + 1) * outFeatures)),
          inFeatures, outFeatures,
        };
      });
    },
    embedding(name, rows, dim) {
      if (dtype === 'f32') return new F32Table(checkLength(tensors.float(name), rows * dim, name), rows, dim);
      const stored = tensors.quantized(name);
      if (stored) return new Q8Table({ values: checkLength(stored.values, rows * dim, name), scales: checkLength(stored.scales, rows, name + SCALE_SUFFIX) }, rows, dim);
      // One scale per row: per token, and per output channel of a head tied to the table.
      return new Q8Table(rt.kernels.quantizeWeights(checkLength(tensors.float(name, { transient: true }), rows * dim, name), { k: dim, n: rows, transB: true }), rows, dim);
    },
  };
  return weights;
}
