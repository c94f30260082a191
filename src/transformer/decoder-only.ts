// A decoder-only transformer (GPT-style): token and learned position embeddings, pre-LN or
// post-LN layers with causal self-attention, a final LayerNorm, an LM head tied to the token
// embedding, and generation (greedy or beam search, generation.ts) with a KV cache: the prompt
// runs once, then each step only the newest token. Config-driven: models/custom.ts reads
// torch.nn.TransformerEncoderLayer weights into it.
import { checkFinite } from './finite';
import type { Runtime, RuntimeTensor } from '../runtime';
import type { PackedMatrix } from '../kernels/types';
import type { TransformerConfig } from './config';
import type { EmbeddingTable } from './embedding-table';
import { beamSearch, greedySearch, searchOptions, type GenerateOptions, type SearchResult, type StepDecoder, tokenRules } from './generation';
import { KVCache } from './kv-cache';
import { encoderLayer, epilogue, freeLayer, orFree, preNormLayer, scratch, type EncoderLayer, type Norm, type Scratch } from './layers';

export interface DecoderOnlyWeights {
  /** vocab × d, and (transposed) the LM head */
  embedding: EmbeddingTable;
  /** maxPositions × d */
  positions: EmbeddingTable;
  layers: EncoderLayer[];
  finalNorm: Norm | undefined;
  lmHead: PackedMatrix;
}

export class DecoderOnlyModel {
  readonly config: TransformerConfig;
  readonly runtime: Runtime;
  private readonly w: DecoderOnlyWeights;

  /** @internal Built by loadCustomDecoder. */
  constructor(runtime: Runtime, config: TransformerConfig, weights: DecoderOnlyWeights) {
    this.runtime = runtime;
    this.config = config;
    this.w = weights;
  }

  /** Hidden states (every layer's when asked, then the final-normed ones) for rows of ids of one length. */
  forward(inputIds: number[][], outputHiddenStates = false): { lastHiddenState: Float32Array; hiddenStates: Float32Array[] | undefined } {
    const c = this.config, d = c.dModel, rt = this.runtime;
    const batch = inputIds.length, T = inputIds[0]?.length ?? 0;
    if (batch === 0 || T === 0 || inputIds.some((r) => r.length !== T)) throw new Error('forward: give rows of token ids, all of the same length');
    if (T > c.maxPositions) throw new Error(`forward: ${T} tokens, the model's maxPositions is ${c.maxPositions}`);
    const n = batch * T;
    const x = rt.tensor([n, d]);
    const s = orFree(() => scratch(rt, n, c), x);
    try {
      this.embed(inputIds, 0, x.data, 'forward');
      const states = outputHiddenStates ? [x.data.slice()] : undefined;
      for (const layer of this.w.layers) {
        if (c.norm === 'pre') preNormLayer(rt, c, layer, x, s, batch, T, { causal: true });
        else encoderLayer(rt, c, layer, x, s, batch, T, { causal: true });
        states?.push(x.data.slice());
      }
      const f = this.w.finalNorm;
      if (f) rt.kernels.layerNorm(x, { rows: n, cols: d, gamma: f.gamma, beta: f.beta, eps: f.eps, out: x });
      return { lastHiddenState: x.data.slice(), hiddenStates: states };
    } finally {
      s.free();
      x.free();
    }
  }

  /** Token + position embeddings of rows of ids (all of length T, the first at position `first`) into x. */
  private embed(ids: number[][], first: number, x: Float32Array, where: string): void {
    const c = this.config, d = c.dModel, T = ids[0]!.length;
    ids.forEach((row, b) => row.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`${where}: token id ${id} (sequence ${b}, position ${first + t}) is outside the vocabulary of ${c.vocabSize}`);
      const e = this.w.embedding.row(id), p = this.w.positions.row(first + t);
      for (let j = 0; j < d; j++) x[(b * T + t) * d + j] = e[j]! + p[j]!;
    }));
  }

  /**
   * Generation as Hugging Face's generate() for a decoder-only model: greedy search (numBeams
   * 1) or beam search, continuing prompts of one length (the config's EOS ends a row; without
   * one, rows run to maxLength). The prompt runs through the layers once, filling a KV cache;
   * each later step runs only the newest token. Returns the prompts with their continuations.
   */
  generate(inputIds: number[][], options: GenerateOptions = {}): number[][] {
    return this.generateWithScores(inputIds, options).sequences;
  }

  /** generate(), with each beam-search sequence's score (HF's sequences_scores). */
  generateWithScores(inputIds: number[][], options: GenerateOptions = {}): SearchResult {
    const c = this.config;
    const o = searchOptions(options, c.maxPositions, 'generate');
    const P = inputIds[0]?.length ?? 0;
    if (P === 0 || inputIds.some((r) => !Array.isArray(r) || r.length !== P)) throw new Error('generate: give prompts of token ids, all of the same length (at least one token)');
    if (P >= o.maxLength) throw new Error(`generate: option maxLength (${o.maxLength}, at most maxPositions ${c.maxPositions}) must exceed the prompt's ${P} tokens`);
    const rules = tokenRules(c, o.minLength);
    const decoder = this.stepDecoder(inputIds.length * o.numBeams, o.maxLength);
    try {
      return o.numBeams > 1 ? beamSearch(decoder, inputIds, rules, o) : { sequences: greedySearch(decoder, inputIds, rules, o.maxLength), scores: undefined };
    } finally {
      decoder.free();
    }
  }

  /**
   * The model as generation sees it, for `rows` rows with a KV cache of up to `capacity`
   * positions: new tokens in, the logits after each row's last one out. free() releases the cache.
   */
  stepDecoder(rows: number, capacity: number): StepDecoder & { free(): void } {
    const cache = new KVCache(this.runtime, this.w.layers.length, rows, capacity, this.config.dModel);
    return {
      next: (tokens, pos) => {
        if (tokens.length !== rows) throw new Error(`generate: ${tokens.length} rows of tokens for a decoder of ${rows} rows`);
        const T = tokens[0]!.length;
        if (T === 0 || tokens.some((t) => t.length !== T)) throw new Error('generate: give every row the same number of new tokens (at least one)');
        return this.logits(this.step(tokens, pos, cache), rows);
      },
      reorder: (from, length) => cache.reorder(from, length),
      free: () => cache.free(),
    };
  }

  /**
   * T new tokens per row (positions pos..pos+T−1) through the layers, their keys and values
   * stored in the cache and their attention reading it; returns each row's last hidden state
   * after the final norm (rows × d).
   */
  private step(tokens: number[][], pos: number, cache: KVCache): Float32Array {
    const c = this.config, d = c.dModel, rt = this.runtime, k = rt.kernels;
    const rows = tokens.length, T = tokens[0]!.length, n = rows * T;
    if (pos + T > c.maxPositions) throw new Error(`generate: position ${pos + T - 1} is past the model's maxPositions ${c.maxPositions}`);
    const x = rt.tensor([n, d]);
    const s = orFree(() => scratch(rt, n, c), x);
    const last = orFree(() => rt.tensor([rows, d]), x, s);
    try {
      this.embed(tokens, pos, x.data, 'generate');
      this.w.layers.forEach((L, i) => {
        const norm = (p: Norm, from: RuntimeTensor, out: RuntimeTensor) => k.layerNorm(from, { rows: n, cols: d, gamma: p.gamma, beta: p.beta, eps: p.eps, out });
        const pre = c.norm === 'pre';
        if (pre) norm(L.attnNorm, x, s.proj);
        this.cachedAttention(L, pre ? s.proj : x, s, cache, i, pos, rows, T);
        if (pre) {
          k.add(x, s.proj, { out: x });
          norm(L.ffnNorm, x, s.ctx);
        } else {
          k.addLayerNorm(s.proj, x, { rows: n, cols: d, gamma: L.attnNorm.gamma, beta: L.attnNorm.beta, eps: L.attnNorm.eps, out: x });
        }
        k.matmul(pre ? s.ctx : x, L.ffn1.weight, { m: n, bias: L.ffn1.bias, activation: epilogue(c.activation), out: s.hidden });
        k.matmul(s.hidden, L.ffn2.weight, { m: n, bias: L.ffn2.bias, out: s.proj });
        if (pre) k.add(x, s.proj, { out: x });
        else k.addLayerNorm(s.proj, x, { rows: n, cols: d, gamma: L.ffnNorm.gamma, beta: L.ffnNorm.beta, eps: L.ffnNorm.eps, out: x });
      });
      const xs = x.data, ls = last.data;
      for (let r = 0; r < rows; r++) ls.set(xs.subarray(((r + 1) * T - 1) * d, (r + 1) * T * d), r * d);
      const f = this.w.finalNorm;
      if (f) k.layerNorm(last, { rows, cols: d, gamma: f.gamma, beta: f.beta, eps: f.eps, out: last });
      return last.data.slice();
    } finally {
      s.free();
      x.free();
      last.free();
    }
  }

  /** Self-attention of h (the layer's input, normed for pre-LN) over the cache; the output projection into s.proj. */
  private cachedAttention(L: EncoderLayer, h: RuntimeTensor, s: Scratch, cache: KVCache, layer: number, pos: number, rows: number, T: number): void {
    const c = this.config, k = this.runtime.kernels, n = rows * T;
    k.matmul(h, L.q.weight, { m: n, bias: L.q.bias, out: s.q });
    k.matmul(h, L.k.weight, { m: n, bias: L.k.bias, out: s.k });
    k.matmul(h, L.v.weight, { m: n, bias: L.v.bias, out: s.v });
    cache.write(layer, s.k, s.v, pos, T);
    cache.attend(layer, s.q, pos, T, s.ctx, c.heads, c.dHead);
    k.matmul(s.ctx, L.o.weight, { m: n, bias: L.o.bias, out: s.proj });
  }

  /** LM-head logits (rows × vocab) of hidden rows. */
  logits(hidden: Float32Array, rows: number): Float32Array {
    const logits = this.runtime.kernels.matmul(hidden, this.w.lmHead, { m: rows });
    checkFinite(logits, 'generate: the logits');
    return logits;
  }

  dispose(): void {
    for (const l of this.w.layers) freeLayer(l);
    this.w.lmHead.free();
    this.w.finalNorm?.gamma.free();
    this.w.finalNorm?.beta.free();
  }
}
