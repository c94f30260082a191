// The building blocks a model is assembled from: Linear layers with their weights packed once
// for the GEMM micro-kernel (weights.ts reads them), LayerNorm parameters, and the post-LN and
// pre-LN encoder layers of BERT, the original Transformer and GPT-2. Activations are tensors
// resident in the runtime's memory: every kernel reads and writes them in place. Shape letters:
// n = batch·T rows, d = dModel.
import { FormatError } from '../io/errors';
import type { Runtime, RuntimeTensor } from '../runtime';
import type { Activation as MatmulActivation, PackedMatrix } from '../kernels/types';
import type { Activation, TransformerConfig } from './config';

export interface Linear {
  weight: PackedMatrix;
  bias: RuntimeTensor | undefined;
  inFeatures: number;
  outFeatures: number;
}

export interface Norm {
  gamma: RuntimeTensor;
  beta: RuntimeTensor;
  eps: number;
}

/** A FormatError naming the tensor (byte offset 0: loadModel, which knows the file, puts the tensor's own). */
export function checkLength<T extends { readonly length: number }>(x: T, n: number, name: string): T {
  if (x.length !== n) throw new FormatError(`${name} has ${x.length} values, expected ${n}`, name, 0);
  return x;
}

/** The config's activation as the matmul epilogue knows it. */
export function epilogue(a: Activation): MatmulActivation {
  if (a === 'gelu') return 'gelu';
  if (a === 'gelu_tanh') return 'gelu_tanh';
  if (a === 'relu') return 'relu';
  return 'silu';
}

/** One post-LN encoder layer: x ← LN(x + Attn(x)); x ← LN(x + FFN(x)). */
export interface EncoderLayer {
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  attnNorm: Norm;
  ffn1: Linear;
  ffn2: Linear;
  ffnNorm: Norm;
}

/** Scratch tensors one forward pass reuses across layers. */
export interface Scratch {
  q: RuntimeTensor;
  k: RuntimeTensor;
  v: RuntimeTensor;
  ctx: RuntimeTensor;
  proj: RuntimeTensor;
  hidden: RuntimeTensor;
  free(): void;
}

/** All six or none: when one cannot be allocated (memory full), those made before it are freed. */
export function scratch(rt: Runtime, n: number, c: TransformerConfig): Scratch {
  const t: RuntimeTensor[] = [];
  for (const cols of [c.dModel, c.dModel, c.dModel, c.dModel, c.dModel, c.dFF]) t.push(orFree(() => rt.tensor([n, cols]), ...t));
  const [q, k, v, ctx, proj, hidden] = t as [RuntimeTensor, RuntimeTensor, RuntimeTensor, RuntimeTensor, RuntimeTensor, RuntimeTensor];
  return { q, k, v, ctx, proj, hidden, free: () => t.forEach((x) => x.free()) };
}

/**
 * make(), but if it throws (memory full) `held` is freed first: a pass whose later tensors
 * cannot be allocated leaks none of those it allocated before them.
 */
export function orFree<T>(make: () => T, ...held: { free(): void }[]): T {
  try {
    return make();
  } catch (e) {
    for (const h of held) h.free();
    throw e;
  }
}

/**
 * x (n×d, resident) through one post-LN layer, in place. mask: batch·T additive floats on the
 * keys (0 keep, −∞ padding); causal: each position sees only itself and earlier ones.
 */
export function encoderLayer(rt: Runtime, c: TransformerConfig, L: EncoderLayer, x: RuntimeTensor, s: Scratch,
  batch: number, T: number, options: { mask?: RuntimeTensor; causal?: boolean }): void {
  const k = rt.kernels, n = batch * T, d = c.dModel;
  k.matmul(x, L.q.weight, { m: n, bias: L.q.bias, out: s.q });
  k.matmul(x, L.k.weight, { m: n, bias: L.k.bias, out: s.k });
  k.matmul(x, L.v.weight, { m: n, bias: L.v.bias, out: s.v });
  k.attention(s.q, s.k, s.v, { batch, heads: c.heads, tq: T, dHead: c.dHead, mask: options.mask, causal: options.causal, out: s.ctx });
  k.matmul(s.ctx, L.o.weight, { m: n, bias: L.o.bias, out: s.proj });
  k.addLayerNorm(s.proj, x, { rows: n, cols: d, gamma: L.attnNorm.gamma, beta: L.attnNorm.beta, eps: L.attnNorm.eps, out: x });
  k.matmul(x, L.ffn1.weight, { m: n, bias: L.ffn1.bias, activation: epilogue(c.activation), out: s.hidden });
  k.matmul(s.hidden, L.ffn2.weight, { m: n, bias: L.ffn2.bias, out: s.proj });
  k.addLayerNorm(s.proj, x, { rows: n, cols: d, gamma: L.ffnNorm.gamma, beta: L.ffnNorm.beta, eps: L.ffnNorm.eps, out: x });
}

/**
 * x (n×d, resident) through one pre-LN layer, in place: x ← x + Attn(LN(x)); x ← x + FFN(LN(x))
 * (GPT-2, torch.nn.TransformerEncoderLayer(norm_first=True)). attnNorm normalises before the
 * attention, ffnNorm before the FFN.
 */
export function preNormLayer(rt: Runtime, c: TransformerConfig, L: EncoderLayer, x: RuntimeTensor, s: Scratch,
  batch: number, T: number, options: { mask?: RuntimeTensor; causal?: boolean }): void {
  const k = rt.kernels, n = batch * T, d = c.dModel;
  const norm = (p: Norm, out: RuntimeTensor) => k.layerNorm(x, { rows: n, cols: d, gamma: p.gamma, beta: p.beta, eps: p.eps, out });
  norm(L.attnNorm, s.proj);
  k.matmul(s.proj, L.q.weight, { m: n, bias: L.q.bias, out: s.q });
  k.matmul(s.proj, L.k.weight, { m: n, bias: L.k.bias, out: s.k });
  k.matmul(s.proj, L.v.weight, { m: n, bias: L.v.bias, out: s.v });
  k.attention(s.q, s.k, s.v, { batch, heads: c.heads, tq: T, dHead: c.dHead, mask: options.mask, causal: options.causal, out: s.ctx });
  k.matmul(s.ctx, L.o.weight, { m: n, bias: L.o.bias, out: s.proj });
  k.add(x, s.proj, { out: x });
  norm(L.ffnNorm, s.ctx);
  k.matmul(s.ctx, L.ffn1.weight, { m: n, bias: L.ffn1.bias, activation: epilogue(c.activation), out: s.hidden });
  k.matmul(s.hidden, L.ffn2.weight, { m: n, bias: L.ffn2.bias, out: s.proj });
  k.add(x, s.proj, { out: x });
}

export function freeLayer(L: EncoderLayer): void {
  for (const lin of [L.q, L.k, L.v, L.o, L.ffn1, L.ffn2]) {
    lin.weight.free();
    lin.bias?.free();
  }
  for (const norm of [L.attnNorm, L.ffnNorm]) {
    norm.gamma.free();
    norm.beta.free();
  }
}
