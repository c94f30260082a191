// The one transformer block every model here is built from: encoders (BERT, RoBERTa, MPNet),
// the encoder and decoder of an encoder-decoder (Marian), and decoder-only models. A block is
// self-attention, optionally cross-attention to an encoder's output, and a feed-forward
// network, each a sub-layer with a residual connection and a norm. What varies is a parameter:
//   placement   'post': x ← Norm(x + Sub(x))  (BERT, Marian)
//               'pre':  x ← x + Sub(Norm(x))  (GPT-2, Llama, T5)
//   norm kind   LayerNorm or RMSNorm (Norm.beta undefined)
//   FFN kind    plain: Down(act(Up·h)); gated: Down(act(Gate·h) ⊙ Up·h)
//   attention   full (encoders: padding mask), causal, cached (one decoding step over a KV
//               cache), and cross-attention to an encoder's keys and values
//   positions   learned and sinusoidal tables are added by the embeddings, outside the block;
//               a relative bias (MPNet, T5) goes into the attention scores, rotary (Llama)
//               rotates the queries and keys.
// Activations are tensors resident in the runtime's memory; every kernel works in place.
//
// Shape letters (here and in every model file): B batch, T sequence (target) length, S source
// length, D model width, H heads, Dh head width, F feed-forward width, V vocabulary, L layers.
// A block sees B·T rows of D.
import type { Runtime, RuntimeTensor } from '../runtime';
import type { Activation, TransformerConfig } from './config';
import type { KVCache } from './kv-cache';
import type { Scratch } from './scratch';
import type { Linear, Norm } from './weights';

/** The four projections of multi-head attention. */
export interface Attention {
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
}

/** Plain: Down(act(Up·h)). Gated (gate set): Down(act(Gate·h) ⊙ Up·h). */
export interface FeedForward {
  up: Linear;
  down: Linear;
  gate?: Linear;
}

export interface Block {
  self: Attention;
  selfNorm: Norm;
  /** Decoder blocks of an encoder-decoder. */
  cross?: Attention;
  crossNorm?: Norm;
  ffn: FeedForward;
  ffnNorm: Norm;
}

export interface BlockShape {
  placement: 'pre' | 'post';
  activation: Activation;
  H: number;
  /** Head width; H·Dh need not be D (Llama's head_dim): q projects D → H·Dh, o projects H·Dh → D. */
  Dh: number;
  /**
   * Key/value heads (grouped-query attention, Llama's num_key_value_heads; default H): k and v
   * project D → KVH·Dh, each KV head serving H/KVH query heads, and a KV cache holds KVH heads.
   */
  KVH?: number;
  /** Causal self-attention sees only the last `window` positions, its own included (Mistral's sliding_window). */
  window?: number;
  /**
   * Rotary positions: the first `dim` columns of each head rotate (dim ≤ Dh, even), as Llama's
   * rotate_half or, interleaved, GPT-J's pairs. Each step then gives the table (BlockStep.rotary).
   */
  rotary?: { dim: number; interleaved: boolean };
  /** What q·kᵀ is multiplied by, in self- and cross-attention (default 1/√Dh; T5: 1, its scale folded into the weights). */
  scale?: number;
}

/** The block shape a config describes (layer: which layer, for a window that only some layers have). */
export function blockShape(config: TransformerConfig, layer = 0): BlockShape {
  const shape: BlockShape = { placement: config.norm, activation: config.activation, H: config.heads, Dh: config.dHead };
  if (config.kvHeads !== undefined && config.kvHeads !== config.heads) shape.KVH = config.kvHeads;
  if (config.rotary) shape.rotary = { dim: config.rotary.dim, interleaved: false };
  if (config.attentionScale !== undefined) shape.scale = config.attentionScale;
  const w = config.slidingWindow;
  if (w && layer >= w.fromLayer) shape.window = w.size;
  return shape;
}

/** How a block's self-attention sees the other positions. */
export type SelfAttentionStep =
  /** Every key of the sequence, but masked ones (mask: B·T additive); bias: H·T·T added to the scores. */
  | { kind: 'full'; mask?: RuntimeTensor; bias?: RuntimeTensor }
  /** Each position sees itself and the earlier ones; bias: H·T·T added to the scores (T5's decoder). */
  | { kind: 'causal'; bias?: RuntimeTensor }
  /**
   * T new positions per row (from pos) whose keys and values join the cache, attending over it;
   * bias: H·T·(pos + T), the new queries' rows against every cached key (T5's decoder).
   */
  | { kind: 'cached'; cache: KVCache; layer: number; pos: number; bias?: RuntimeTensor };

/** An encoder output's keys and values for one decoder block (B·S × D each), and its key mask (B·S). */
export interface CrossAttentionInput {
  keys: RuntimeTensor;
  values: RuntimeTensor;
  mask: RuntimeTensor;
  B: number;
  S: number;
}

export interface BlockStep {
  /** Rows of x: B·T. */
  rows: number;
  /** Positions per sequence (query positions per row group for a cached step). */
  T: number;
  /** Sequences in x (for full and causal self-attention). */
  B: number;
  self: SelfAttentionStep;
  cross?: CrossAttentionInput;
  /** With shape.rotary: rows × rotary.dim floats, [cos…, sin…] of each row's position. */
  rotary?: RuntimeTensor;
}

/** x (rows × D, resident) through one block, in place. */
export function runBlock(rt: Runtime, shape: BlockShape, block: Block, x: RuntimeTensor, s: Scratch, step: BlockStep): void {
  checkStep(shape, s, step);
  subLayer(rt, shape, block.selfNorm, x, s, (h) => selfAttention(rt, shape, block.self, h, s, step));
  if (block.cross) {
    if (!step.cross || !block.crossNorm) throw new Error('runBlock: a block with cross-attention needs the encoder output and its norm');
    const cross = step.cross, attention = block.cross;
    subLayer(rt, shape, block.crossNorm, x, s, (h) => crossAttention(rt, shape, attention, h, s, cross, step.rows));
  }
  subLayer(rt, shape, block.ffnNorm, x, s, (h) => feedForward(rt, shape, block.ffn, h, s, step.rows));
}

/** The step's sizes against each other, so that a caller's mistake is named here rather than by a kernel. */
function checkStep(shape: BlockShape, s: Scratch, step: BlockStep): void {
  if (step.rows !== s.rows) throw new Error(`runBlock: the step has ${step.rows} rows, the scratch memory ${s.rows}`);
  const qWidth = shape.H * shape.Dh, kvWidth = (shape.KVH ?? shape.H) * shape.Dh;
  if (s.qWidth !== qWidth || s.kvWidth !== kvWidth) {
    throw new Error(`runBlock: the block's queries are H·Dh = ${qWidth} wide and its keys KVH·Dh = ${kvWidth}, the scratch memory's ${s.qWidth} and ${s.kvWidth}`);
  }
  if (shape.KVH !== undefined && (shape.KVH < 1 || shape.H % shape.KVH !== 0)) throw new Error(`runBlock: KVH (${shape.KVH}) must divide H (${shape.H})`);
  if (step.rows !== step.B * step.T) throw new Error(`runBlock: rows (${step.rows}) must be B · T (${step.B} · ${step.T})`);
  if (step.self.kind === 'cached' && step.self.cache.rows !== step.B) {
    throw new Error(`runBlock: a cached step of ${step.B} rows of tokens over a KV cache of ${step.self.cache.rows} rows`);
  }
  const want = shape.rotary ? step.rows * shape.rotary.dim : 0, got = step.rotary?.data.length ?? 0;
  if (got !== want) {
    throw new Error(shape.rotary ? `runBlock: step.rotary must hold rows · rotary dim = ${step.rows} · ${shape.rotary.dim} floats, got ${got}`
      : 'runBlock: step.rotary is given, but the block shape has no rotary positions');
  }
}

/**
 * One residual sub-layer: `sub` reads its input h and leaves its output in s.proj. Post: x ←
 * Norm(Sub(x) + x). Pre: x ← x + Sub(Norm(x)).
 */
function subLayer(rt: Runtime, shape: BlockShape, norm: Norm, x: RuntimeTensor, s: Scratch, sub: (h: RuntimeTensor) => void): void {
  const kernels = rt.kernels, rows = s.rows, D = s.D;
  if (shape.placement === 'pre') {
    applyNorm(rt, norm, x, rows, D, s.normed);
    sub(s.normed);
    kernels.add(x, s.proj, { out: x });
  } else {
    sub(x);
    if (norm.beta) {
      kernels.addLayerNorm(s.proj, x, { rows, cols: D, gamma: norm.gamma, beta: norm.beta, eps: norm.eps, out: x });
    } else {
      kernels.add(s.proj, x, { out: x });
      kernels.rmsNorm(x, { rows, cols: D, gamma: norm.gamma, eps: norm.eps, out: x });
    }
  }
}

/** A LayerNorm (beta set) or an RMSNorm of x's rows into out. */
export function applyNorm(rt: Runtime, norm: Norm, x: RuntimeTensor, rows: number, D: number, out: RuntimeTensor): void {
  if (norm.beta) rt.kernels.layerNorm(x, { rows, cols: D, gamma: norm.gamma, beta: norm.beta, eps: norm.eps, out });
  else rt.kernels.rmsNorm(x, { rows, cols: D, gamma: norm.gamma, eps: norm.eps, out });
}

function project(rt: Runtime, h: RuntimeTensor, lin: Linear, rows: number, out: RuntimeTensor): void {
  rt.kernels.matmul(h, lin.weight, { m: rows, bias: lin.bias, out });
}

function selfAttention(rt: Runtime, shape: BlockShape, a: Attention, h: RuntimeTensor, s: Scratch, step: BlockStep): void {
  const kernels = rt.kernels, rows = step.rows, { H, Dh } = shape, KVH = shape.KVH ?? H;
  project(rt, h, a.q, rows, s.q);
  project(rt, h, a.k, rows, s.k);
  project(rt, h, a.v, rows, s.v);
  if (shape.rotary && step.rotary) {
    const options = { rows, dHead: Dh, rotaryDim: shape.rotary.dim, interleaved: shape.rotary.interleaved };
    kernels.rotary(s.q, step.rotary, { ...options, heads: H, out: s.q });
    kernels.rotary(s.k, step.rotary, { ...options, heads: KVH, out: s.k });
  }
  const self = step.self;
  if (self.kind === 'cached') {
    self.cache.write(self.layer, s.k, s.v, self.pos, step.T);
    self.cache.attend(self.layer, s.q, self.pos, step.T, s.ctx, { H, KVH, Dh, window: shape.window, scale: shape.scale, bias: self.bias });
  } else {
    kernels.attention(s.q, s.k, s.v, {
      batch: step.B, heads: H, kvHeads: KVH, tq: step.T, dHead: Dh, out: s.ctx, scale: shape.scale, bias: self.bias,
      ...(self.kind === 'full' ? { mask: self.mask } : { causal: true, window: shape.window }),
    });
  }
  project(rt, s.ctx, a.o, rows, s.proj);
}

/** Queries from h (rows = B·T, T queries per sequence of the encoder batch) over the encoder's keys and values. */
function crossAttention(rt: Runtime, shape: BlockShape, a: Attention, h: RuntimeTensor, s: Scratch, enc: CrossAttentionInput, rows: number): void {
  project(rt, h, a.q, rows, s.q);
  rt.kernels.attention(s.q, enc.keys, enc.values, {
    batch: enc.B, heads: shape.H, tq: rows / enc.B, tk: enc.S, dHead: shape.Dh, mask: enc.mask, out: s.ctx, scale: shape.scale,
  });
  project(rt, s.ctx, a.o, rows, s.proj);
}

function feedForward(rt: Runtime, shape: BlockShape, f: FeedForward, h: RuntimeTensor, s: Scratch, rows: number): void {
  const kernels = rt.kernels;
  if (f.gate) {
    const up = s.gated();
    kernels.matmul(h, f.gate.weight, { m: rows, bias: f.gate.bias, activation: shape.activation, out: s.hidden });
    kernels.matmul(h, f.up.weight, { m: rows, bias: f.up.bias, out: up });
    kernels.mul(s.hidden, up, { out: s.hidden });
  } else {
    kernels.matmul(h, f.up.weight, { m: rows, bias: f.up.bias, activation: shape.activation, out: s.hidden });
  }
  kernels.matmul(s.hidden, f.down.weight, { m: rows, bias: f.down.bias, out: s.proj });
}

/** Every weight of a block back to the runtime. */
export function freeBlock(block: Block): void {
  const linears = [block.self, block.cross].flatMap((a) => (a ? [a.q, a.k, a.v, a.o] : []));
  for (const lin of [...linears, block.ffn.up, block.ffn.down, block.ffn.gate]) freeLinear(lin);
  for (const norm of [block.selfNorm, block.crossNorm, block.ffnNorm]) freeNorm(norm);
}

export function freeLinear(lin: Linear | undefined): void {
  lin?.weight.free();
  lin?.bias?.free();
}

export function freeNorm(norm: Norm | undefined): void {
  norm?.gamma.free();
  norm?.beta?.free();
}
