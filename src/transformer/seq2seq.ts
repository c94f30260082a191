// An encoder-decoder transformer (Marian, the original paper's shape): a post-LN encoder, a
// post-LN decoder whose layers attend to themselves (causally) and then to the encoder, a
// language-model head tied to the token embedding, and generation (greedy or beam search,
// generation.ts) with the rules Hugging Face's generate() applies for Marian (decoder start
// token, suppressed tokens, a forced EOS at the last position, finished rows padded).
import { checkFinite } from './finite';
import type { Runtime, RuntimeTensor } from '../runtime';
import type { PackedMatrix } from '../kernels/types';
import type { TransformerConfig } from './config';
import type { EmbeddingTable } from './embedding-table';
import { beamSearch, greedySearch, searchOptions, type GenerateOptions, type SearchResult, type StepDecoder, tokenRules } from './generation';
import { KVCache } from './kv-cache';
import { encoderLayer, epilogue, freeLayer, orFree, scratch, type EncoderLayer, type Linear, type Norm, type Scratch } from './layers';

export type { GenerateOptions } from './generation';

export interface DecoderLayer {
  self: EncoderLayer['q'][];     // q, k, v, o
  selfNorm: Norm;
  cross: EncoderLayer['q'][];    // q, k, v, o
  crossNorm: Norm;
  ffn1: Linear;
  ffn2: Linear;
  ffnNorm: Norm;
}

export interface Seq2SeqWeights {
  /** vocab × d, shared by the encoder, the decoder and (transposed) the LM head. */
  embedding: EmbeddingTable;
  lmHead: PackedMatrix;
  finalLogitsBias: RuntimeTensor | undefined;
  /** maxPositions × d */
  positions: Float32Array;
  encoder: EncoderLayer[];
  decoder: DecoderLayer[];
}

/** The encoder's output for a batch, kept for every decoding step (its keys and values per layer too). */
export interface Encoded {
  batch: number;
  S: number;
  /** batch × S × d */
  hidden: RuntimeTensor;
  /** batch·S additive key mask (0 or −∞). */
  mask: RuntimeTensor;
  /** Each decoder layer's cross-attention keys and values, computed once. */
  crossK: RuntimeTensor[];
  crossV: RuntimeTensor[];
  free(): void;
}

export class Seq2SeqModel {
  readonly config: TransformerConfig;
  readonly runtime: Runtime;
  private readonly w: Seq2SeqWeights;

  constructor(runtime: Runtime, config: TransformerConfig, weights: Seq2SeqWeights) {
    this.runtime = runtime;
    this.config = config;
    this.w = weights;
  }

  /**
   * Embeddings × √d (when the config scales them) + positions, rows of ids padded to T; the
   * first id of each row sits at position `first` (a decoding step's newest token).
   */
  private embed(ids: number[][], T: number, x: Float32Array, first = 0): void {
    const c = this.config, d = c.dModel, scale = c.scaleEmbedding ? Math.fround(Math.sqrt(d)) : 1;
    ids.forEach((row, b) => {
      for (let t = 0; t < T; t++) {
        const id = t < row.length ? row[t]! : c.padTokenId;
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`token id ${id} (sequence ${b}, position ${first + t}) is outside the vocabulary of ${c.vocabSize}`);
        const e = this.w.embedding.row(id), p = first + t;
        for (let j = 0; j < d; j++) x[(b * T + t) * d + j] = Math.fround(e[j]! * scale) + this.w.positions[p * d + j]!;
      }
    });
  }

  /** Runs the encoder on token ids (rows may differ in length; attentionMask 1 for tokens). */
  encode(inputIds: number[][], attentionMask?: number[][]): Encoded {
    const c = this.config, d = c.dModel, rt = this.runtime, k = rt.kernels;
    const batch = inputIds.length;
    if (batch === 0) throw new Error('encode: no sequences');
    const S = Math.max(...inputIds.map((r) => r.length));
    if (S > c.maxPositions) throw new Error(`encode: a sequence has ${S} tokens, the model's maxPositions is ${c.maxPositions}`);
    const hidden = rt.tensor([batch * S, d]);
    const mask = orFree(() => rt.tensor([batch * S]), hidden);
    const s = orFree(() => scratch(rt, batch * S, c), hidden, mask);
    const cross: RuntimeTensor[] = [];
    try {
      this.embed(inputIds, S, hidden.data);
      const m = mask.data;
      inputIds.forEach((row, b) => {
        for (let t = 0; t < S; t++) m[b * S + t] = t < row.length && (attentionMask?.[b]?.[t] ?? 1) === 1 ? 0 : -Infinity;
      });
      for (const layer of this.w.encoder) encoderLayer(rt, c, layer, hidden, s, batch, S, { mask });
      // The encoder's keys and values for every decoder layer, once for all decoding steps.
      for (let i = 0; i < 2 * this.w.decoder.length; i++) cross.push(rt.tensor([batch * S, d]));
      const kT = cross.slice(0, this.w.decoder.length), vT = cross.slice(this.w.decoder.length);
      this.w.decoder.forEach((L, i) => {
        k.matmul(hidden, L.cross[1]!.weight, { m: batch * S, bias: L.cross[1]!.bias, out: kT[i]! });
        k.matmul(hidden, L.cross[2]!.weight, { m: batch * S, bias: L.cross[2]!.bias, out: vT[i]! });
      });
      return { batch, S, hidden, mask, crossK: kT, crossV: vT, free: () => [hidden, mask, ...kT, ...vT].forEach((t) => t.free()) };
    } catch (e) {
      for (const t of [hidden, mask, ...cross]) t.free();
      throw e;
    } finally {
      s.free();
    }
  }

  /** The decoder's last hidden states for decoder ids (batch × L, all rows the same length). */
  decode(decoderIds: number[][], enc: Encoded, outputHiddenStates = false): { hidden: Float32Array; states: Float32Array[] | undefined } {
    const c = this.config, d = c.dModel, rt = this.runtime, k = rt.kernels;
    const batch = enc.batch, L = decoderIds[0]!.length, n = batch * L;
    if (decoderIds.length !== batch || decoderIds.some((r) => r.length !== L)) throw new Error('decode: one row of decoder ids per sequence, all of the same length');
    if (L > c.maxPositions) throw new Error(`decode: ${L} decoder positions, the model's maxPositions is ${c.maxPositions}`);
    const x = rt.tensor([n, d]);
    const s = orFree(() => scratch(rt, n, c), x);
    try {
      this.embed(decoderIds, L, x.data);
      const states = outputHiddenStates ? [x.data.slice()] : undefined;
      this.w.decoder.forEach((layer, i) => {
        this.selfAttention(layer, x, s, batch, L);
        this.crossAttention(layer, x, s, enc, i, L);
        k.matmul(x, layer.ffn1.weight, { m: n, bias: layer.ffn1.bias, activation: epilogue(c.activation), out: s.hidden });
        k.matmul(s.hidden, layer.ffn2.weight, { m: n, bias: layer.ffn2.bias, out: s.proj });
        k.addLayerNorm(s.proj, x, { rows: n, cols: d, gamma: layer.ffnNorm.gamma, beta: layer.ffnNorm.beta, eps: layer.ffnNorm.eps, out: x });
        states?.push(x.data.slice());
      });
      return { hidden: x.data.slice(), states };
    } finally {
      s.free();
      x.free();
    }
  }

  private selfAttention(L: DecoderLayer, x: RuntimeTensor, s: Scratch, batch: number, T: number): void {
    const c = this.config, k = this.runtime.kernels, n = batch * T;
    const [q, kk, v, o] = L.self as [Linear, Linear, Linear, Linear];
    k.matmul(x, q.weight, { m: n, bias: q.bias, out: s.q });
    k.matmul(x, kk.weight, { m: n, bias: kk.bias, out: s.k });
    k.matmul(x, v.weight, { m: n, bias: v.bias, out: s.v });
    k.attention(s.q, s.k, s.v, { batch, heads: c.heads, tq: T, dHead: c.dHead, causal: true, out: s.ctx });
    k.matmul(s.ctx, o.weight, { m: n, bias: o.bias, out: s.proj });
    k.addLayerNorm(s.proj, x, { rows: n, cols: c.dModel, gamma: L.selfNorm.gamma, beta: L.selfNorm.beta, eps: L.selfNorm.eps, out: x });
  }

  /** Cross-attention of T query rows per sequence (decoder positions, or a decoding step's beams) to its encoder output. */
  private crossAttention(L: DecoderLayer, x: RuntimeTensor, s: Scratch, enc: Encoded, layer: number, T: number): void {
    const c = this.config, k = this.runtime.kernels, n = enc.batch * T;
    const [q, , , o] = L.cross as [Linear, Linear, Linear, Linear];
    k.matmul(x, q.weight, { m: n, bias: q.bias, out: s.q });
    k.attention(s.q, enc.crossK[layer]!, enc.crossV[layer]!, { batch: enc.batch, heads: c.heads, tq: T, tk: enc.S, dHead: c.dHead, mask: enc.mask, out: s.ctx });
    k.matmul(s.ctx, o.weight, { m: n, bias: o.bias, out: s.proj });
    k.addLayerNorm(s.proj, x, { rows: n, cols: c.dModel, gamma: L.crossNorm.gamma, beta: L.crossNorm.beta, eps: L.crossNorm.eps, out: x });
  }

  /** LM-head logits (rows × vocab) of hidden rows (rows × d). */
  logits(hidden: Float32Array, rows: number): Float32Array {
    const logits = this.runtime.kernels.matmul(hidden, this.w.lmHead, { m: rows, bias: this.w.finalLogitsBias });
    checkFinite(logits, 'generate: the logits');
    return logits;
  }

  /**
   * Generation as Hugging Face's generate(): greedy search (numBeams 1) or beam search, from
   * the decoder start token, with Marian's rules (suppressed tokens, EOS forced at the last
   * position, finished rows padded). Each step runs only the newest token through the decoder,
   * with a KV cache of the earlier ones. Returns the sequences with the start token (as HF
   * does): numReturnSequences rows per input, best first.
   */
  generate(inputIds: number[][], options: GenerateOptions & { attentionMask?: number[][] } = {}): number[][] {
    return this.generateWithScores(inputIds, options).sequences;
  }

  /** generate(), with each beam-search sequence's score (HF's sequences_scores). */
  generateWithScores(inputIds: number[][], options: GenerateOptions & { attentionMask?: number[][] } = {}): SearchResult {
    const c = this.config;
    const o = searchOptions(options, c.maxPositions, 'generate');
    const rules = tokenRules(c, o.minLength);
    const start = c.decoderStartTokenId ?? c.padTokenId;
    const enc = this.encode(inputIds, options.attentionMask);
    let decoder: ReturnType<Seq2SeqModel['stepDecoder']> | undefined;
    try {
      decoder = this.stepDecoder(enc, o.maxLength, o.numBeams);
      const prompts = inputIds.map(() => [start]);
      return o.numBeams > 1 ? beamSearch(decoder, prompts, rules, o) : { sequences: greedySearch(decoder, prompts, rules, o.maxLength), scores: undefined };
    } finally {
      decoder?.free();
      enc.free();
    }
  }

  /**
   * Decoding one token per row at a time over an encoded batch, `beams` rows per sequence (one
   * after another), with a KV cache of up to `capacity` positions: what generate() searches with
   * (and what the benchmark times one step of). free() releases the cache; the encoded batch
   * stays the caller's.
   */
  stepDecoder(enc: Encoded, capacity: number, beams = 1): StepDecoder & { free(): void } {
    const rows = enc.batch * beams;
    const cache = new KVCache(this.runtime, this.w.decoder.length, rows, capacity, this.config.dModel);
    return {
      next: (tokens, pos) => {
        if (tokens.length !== rows || tokens.some((t) => t.length !== 1)) throw new Error(`generate: one new token for each of the decoder's ${rows} rows`);
        // Past the position table the embedding would read NaN, reported as overflowing weights.
        if (pos >= this.config.maxPositions) throw new Error(`generate: position ${pos} is past the model's maxPositions ${this.config.maxPositions}`);
        return this.logits(this.step(tokens.map((t) => t[0]!), pos, enc, cache), rows);
      },
      reorder: (from, length) => cache.reorder(from, length),
      free: () => cache.free(),
    };
  }

  /**
   * One decoding step with a KV cache: the embedding of each row's newest token (position
   * `pos`) through the decoder, its keys and values appended to the cache; returns the rows'
   * hidden states (rows × d). Self-attention then reads the cached positions 0..pos of each
   * row in place, so a step costs O(pos), not a rerun of the whole prefix. The rows of one
   * sequence (its beams) attend to its encoder output as that many queries: the encoder output
   * is indexed per beam, not copied for each.
   */
  private step(tokens: number[], pos: number, enc: Encoded, cache: KVCache): Float32Array {
    const c = this.config, d = c.dModel, rt = this.runtime, k = rt.kernels, batch = tokens.length;
    const x = rt.tensor([batch, d]);
    const s = orFree(() => scratch(rt, batch, c), x);
    try {
      this.embed(tokens.map((id) => [id]), 1, x.data, pos);
      this.w.decoder.forEach((layer, i) => {
        const [q, kk, v, o] = layer.self as [Linear, Linear, Linear, Linear];
        k.matmul(x, q.weight, { m: batch, bias: q.bias, out: s.q });
        k.matmul(x, kk.weight, { m: batch, bias: kk.bias, out: s.k });
        k.matmul(x, v.weight, { m: batch, bias: v.bias, out: s.v });
        cache.write(i, s.k, s.v, pos, 1);
        cache.attend(i, s.q, pos, 1, s.ctx, c.heads, c.dHead);
        k.matmul(s.ctx, o.weight, { m: batch, bias: o.bias, out: s.proj });
        k.addLayerNorm(s.proj, x, { rows: batch, cols: d, gamma: layer.selfNorm.gamma, beta: layer.selfNorm.beta, eps: layer.selfNorm.eps, out: x });
        this.crossAttention(layer, x, s, enc, i, batch / enc.batch);
        k.matmul(x, layer.ffn1.weight, { m: batch, bias: layer.ffn1.bias, activation: epilogue(c.activation), out: s.hidden });
        k.matmul(s.hidden, layer.ffn2.weight, { m: batch, bias: layer.ffn2.bias, out: s.proj });
        k.addLayerNorm(s.proj, x, { rows: batch, cols: d, gamma: layer.ffnNorm.gamma, beta: layer.ffnNorm.beta, eps: layer.ffnNorm.eps, out: x });
      });
      return x.data.slice();
    } finally {
      s.free();
      x.free();
    }
  }

  dispose(): void {
    for (const l of this.w.encoder) freeLayer(l);
    for (const l of this.w.decoder) {
      for (const lin of [...l.self, ...l.cross, l.ffn1, l.ffn2]) {
        lin.weight.free();
        lin.bias?.free();
      }
      for (const n of [l.selfNorm, l.crossNorm, l.ffnNorm]) {
        n.gamma.free();
        n.beta.free();
      }
    }
    this.w.lmHead.free();
    this.w.finalLogitsBias?.free();
  }
}
