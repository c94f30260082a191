// A decoder-only transformer: token embeddings with learned positions (GPT-2, the custom torch
// layout) or rotary ones (Llama, Mistral, Qwen2), pre-LN or post-LN layers with causal
// self-attention (grouped-query, a sliding window, heads of their own width: block.ts), a final
// LayerNorm or RMSNorm, an LM head tied to the token embedding or its own, and generation (greedy
// or beam search, generation.ts) with a KV cache: the prompt runs once, then each step only the
// newest token. Built by custom-decoder.ts (torch.nn.TransformerEncoderLayer weights) and by the
// families (families/llama.ts, families/gpt2.ts).
//
// Shape letters: B batch (rows), T new positions per row, D model width, H heads, KVH key/value
// heads, Dh head width, R rotating columns of a head, V vocabulary.
import { checkFinite } from './finite';
import type { Runtime } from '../runtime';
import type { PackedMatrix } from '../kernels/types';
import type { TransformerConfig } from './config';
import type { EmbeddingTable } from './embedding-table';
import { checkOptionNames } from '../io/option-names';
import { beamSearch, GENERATE_OPTIONS, greedySearch, searchOptions, type GenerateOptions, type SearchResult, type StepDecoder, tokenRules } from './generation';
import { KVCache } from './kv-cache';
import { applyNorm, blockShape, freeBlock, freeNorm, runBlock, type Block, type BlockShape } from './block';
import { Lifetime } from './lifetime';
import { ropeInverseFrequencies, rotaryTable } from './rope';
import { orFree, scratch, type Scratch } from './scratch';
import type { Norm } from './weights';

export interface DecoderOnlyWeights {
  /** V × D, and (transposed, when tied) the LM head */
  embedding: EmbeddingTable;
  /** maxPositions × D learned positions; undefined for rotary ones (config.rotary). */
  positions: EmbeddingTable | undefined;
  blocks: Block[];
  /** A LayerNorm or an RMSNorm (beta undefined) after the last block. */
  finalNorm: Norm | undefined;
  /** V outputs of D: the embedding packed (tied) or the checkpoint's lm_head. */
  lmHead: PackedMatrix;
}

export class DecoderOnlyModel {
  private readonly lifetime = new Lifetime();
  /** Each layer's block shape (a sliding window may apply to some layers only). */
  private readonly shapes: BlockShape[];
  /** RoPE's inverse frequencies (R/2), for rotary positions. */
  private readonly invFreq: Float32Array | undefined;

  /** @internal Built by loadCustomDecoder and the families. */
  constructor(readonly runtime: Runtime, readonly config: TransformerConfig, private readonly w: DecoderOnlyWeights) {
    this.shapes = w.blocks.map((_, i) => blockShape(config, i));
    this.invFreq = config.rotary ? ropeInverseFrequencies(config.rotary) : undefined;
    if (!config.rotary && !w.positions) throw new Error('DecoderOnlyModel: a model without rotary positions needs a position table');
  }

  /** Widths of the attention's tensors: queries H·Dh, keys and values KVH·Dh. */
  private get heads(): { qWidth: number; kvWidth: number } {
    const c = this.config;
    return { qWidth: c.heads * c.dHead, kvWidth: (c.kvHeads ?? c.heads) * c.dHead };
  }

  /** Scratch memory for `rows` rows (x is freed too if it cannot be allocated). */
  private scratch(rows: number, x: { free(): void }): Scratch {
    return orFree(() => scratch(this.runtime, rows, this.config.dModel, this.config.dFF, this.heads), x);
  }

  /** The rotary table of B rows of T positions from `first` (rows × R), or undefined without rotary positions. */
  private rotary(B: number, T: number, first: number, held: { free(): void }[]) {
    if (!this.invFreq) return undefined;
    const R = this.config.rotary!.dim, positions = new Float64Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) positions[b * T + t] = first + t;
    return orFree(() => this.runtime.tensor([B * T, R], rotaryTable(this.invFreq!, positions, new Float32Array(B * T * R))), ...held);
  }

  /** Hidden states (every layer's when asked, then the final-normed ones) for rows of ids of one length. */
  forward(inputIds: number[][], outputHiddenStates = false): { lastHiddenState: Float32Array; hiddenStates: Float32Array[] | undefined } {
    this.lifetime.check('forward');
    const c = this.config, D = c.dModel, rt = this.runtime;
    const B = inputIds.length, T = inputIds[0]?.length ?? 0;
    if (B === 0 || T === 0 || inputIds.some((r) => r.length !== T)) throw new Error('forward: give rows of token ids, all of the same length');
    if (T > c.maxPositions) throw new Error(`forward: ${T} tokens, the model's maxPositions is ${c.maxPositions}`);
    const rows = B * T;
    const x = rt.tensor([rows, D]);
    const s = this.scratch(rows, x);
    const rotary = this.rotary(B, T, 0, [x, s]);
    try {
      this.embed(inputIds, 0, x.data, 'forward');
      const states = outputHiddenStates ? [x.data.slice()] : undefined;
      this.w.blocks.forEach((block, i) => {
        runBlock(rt, this.shapes[i]!, block, x, s, { rows, B, T, self: { kind: 'causal' }, rotary });
        states?.push(x.data.slice());
      });
      if (this.w.finalNorm) applyNorm(rt, this.w.finalNorm, x, rows, D, x);
      return { lastHiddenState: x.data.slice(), hiddenStates: states };
    } finally {
      rotary?.free();
      s.free();
      x.free();
    }
  }

  /** Token (+ learned position) embeddings of rows of ids (all of length T, the first at position `first`) into x. */
  private embed(ids: number[][], first: number, x: Float32Array, where: string): void {
    const c = this.config, D = c.dModel, T = ids[0]!.length, positions = this.w.positions;
    ids.forEach((row, b) => row.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`${where}: token id ${id} (sequence ${b}, position ${first + t}) is outside the vocabulary of ${c.vocabSize}`);
      const at = (b * T + t) * D;
      // row() of a q8 table reuses one buffer: the token's row is copied before the position's is read.
      x.set(this.w.embedding.row(id), at);
      if (!positions) return;
      const p = positions.row(first + t);
      for (let j = 0; j < D; j++) x[at + j] = x[at + j]! + p[j]!;
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
    this.lifetime.check('generate');
    const c = this.config;
    checkOptionNames('generate', options, [...GENERATE_OPTIONS]);
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
    this.lifetime.check('stepDecoder');
    // The cache holds the KV heads only: KVH·Dh floats a position (D without grouped-query attention).
    const cache = new KVCache(this.runtime, this.w.blocks.length, rows, capacity, this.heads.kvWidth);
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
   * T new tokens per row (positions pos..pos+T−1) through the blocks, their keys and values
   * stored in the cache and their attention reading it; returns each row's last hidden state
   * after the final norm (B × D).
   */
  private step(tokens: number[][], pos: number, cache: KVCache): Float32Array {
    const c = this.config, D = c.dModel, rt = this.runtime;
    const B = tokens.length, T = tokens[0]!.length, rows = B * T;
    if (pos + T > c.maxPositions) throw new Error(`generate: position ${pos + T - 1} is past the model's maxPositions ${c.maxPositions}`);
    const x = rt.tensor([rows, D]);
    const s = this.scratch(rows, x);
    const last = orFree(() => rt.tensor([B, D]), x, s);
    const rotary = this.rotary(B, T, pos, [x, s, last]);
    try {
      this.embed(tokens, pos, x.data, 'generate');
      this.w.blocks.forEach((block, i) => runBlock(rt, this.shapes[i]!, block, x, s, { rows, B, T, self: { kind: 'cached', cache, layer: i, pos }, rotary }));
      const xs = x.data, ls = last.data;
      for (let r = 0; r < B; r++) ls.set(xs.subarray(((r + 1) * T - 1) * D, (r + 1) * T * D), r * D);
      if (this.w.finalNorm) applyNorm(rt, this.w.finalNorm, last, B, D, last);
      return last.data.slice();
    } finally {
      rotary?.free();
      s.free();
      x.free();
      last.free();
    }
  }

  /** LM-head logits (rows × vocab) of hidden rows. */
  logits(hidden: Float32Array, rows: number): Float32Array {
    const logits = this.runtime.kernels.matmul(hidden, this.w.lmHead, { m: rows });
    checkFinite(logits, 'generate: the logits');
    return logits;
  }

  dispose(): void {
    if (!this.lifetime.end()) return;
    for (const block of this.w.blocks) freeBlock(block);
    this.w.lmHead.free();
    freeNorm(this.w.finalNorm);
  }
}
