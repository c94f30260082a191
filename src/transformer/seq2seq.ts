// An encoder-decoder transformer: an encoder, a decoder whose layers attend to themselves
// (causally) and then to the encoder, a language-model head, and generation (greedy or beam
// search, generation.ts) with the rules Hugging Face's generate() applies (decoder start token,
// suppressed tokens, a forced EOS at the last position, finished rows padded). Two layouts:
//   Marian (the original paper's shape): post-LN blocks, sinusoidal positions added to the
//     embeddings, the head tied to the token embedding plus final_logits_bias;
//   T5: pre-norm blocks with RMS norms, a final norm at the end of each stack, no absolute
//     positions but a relative position bias in every self-attention (bidirectional in the
//     encoder, causal in the decoder: block 0's table, shared by all layers), unscaled attention
//     scores, heads of d_kv (H·Dh ≠ D), a tied head whose input is scaled by D^-0.5 or an untied one.
//
// Shape letters: B batch, S source length, T decoder positions, D model width, H heads, Dh head
// width, V vocabulary.
import { checkFinite } from './finite';
import type { Runtime, RuntimeTensor } from '../runtime';
import type { PackedMatrix } from '../kernels/types';
import type { TransformerConfig } from './config';
import type { EmbeddingTable } from './embedding-table';
import { checkOptionNames } from '../io/option-names';
import { beamSearch, GENERATE_OPTIONS, greedySearch, searchOptions, type GenerateOptions, type SearchResult, type StepDecoder, tokenRules } from './generation';
import { KVCache } from './kv-cache';
import { abortable } from './token-steps';
import { applyNorm, blockShape, freeBlock, freeNorm, runBlock, type Block, type BlockShape } from './block';
import { Lifetime } from './lifetime';
import { relativeBiasRows } from './relative-position';
import { orFree, scratch } from './scratch';
import type { Norm } from './weights';

export type { GenerateOptions } from './generation';

/** generate()'s options: the search's, a mask of the inputs' tokens, and a signal checked before each decoding step. */
export type Seq2SeqGenerateOptions = GenerateOptions & { attentionMask?: number[][]; signal?: AbortSignal };

export interface Seq2SeqWeights {
  /** V × D, shared by the encoder, the decoder and (transposed) the LM head. */
  embedding: EmbeddingTable;
  lmHead: PackedMatrix;
  finalLogitsBias: RuntimeTensor | undefined;
  /** maxPositions × D, added to the embeddings (Marian's sinusoids); undefined with relative positions (T5). */
  positions: Float32Array | undefined;
  encoder: Block[];
  /** Blocks with cross-attention. */
  decoder: Block[];
  /** The norm at the end of each stack (T5's final_layer_norm). */
  encoderNorm?: Norm;
  decoderNorm?: Norm;
  /**
   * Relative position bias tables, buckets × H (config.relativeAttention): the encoder's
   * (bidirectional) and the decoder's (causal), each read by every layer of its stack (T5).
   */
  relativeBias?: { encoder: EmbeddingTable; decoder: EmbeddingTable };
  /** The decoder's output is multiplied by this before the LM head (T5's tied head: D^-0.5). */
  outputScale?: number;
}

/** The encoder's output for a batch, kept for every decoding step (its keys and values per layer too). */
export interface Encoded {
  batch: number;
  S: number;
  /** B × S × D */
  hidden: RuntimeTensor;
  /** B·S additive key mask (0 or −∞). */
  mask: RuntimeTensor;
  /**
   * Each decoder layer's cross-attention keys and values: empty until the decoder first runs
   * over this batch (as Hugging Face's decoder fills its cross-attention cache on its first
   * step), then computed once for every later step and freed with the batch.
   */
  crossK: RuntimeTensor[];
  crossV: RuntimeTensor[];
  free(): void;
}

export class Seq2SeqModel {
  private readonly lifetime = new Lifetime();
  private get blockShape(): BlockShape {
    return blockShape(this.config);
  }

  /** The width of queries, keys and values: H·Dh (T5's d_kv heads need not make D). */
  private get headsWidth(): number {
    return this.config.heads * this.config.dHead;
  }

  /** A pass's scratch memory for `rows` rows. */
  private scratch(rows: number) {
    const c = this.config, width = this.headsWidth;
    return scratch(this.runtime, rows, c.dModel, c.dFF, { qWidth: width, kvWidth: width });
  }

  constructor(readonly runtime: Runtime, readonly config: TransformerConfig, private readonly w: Seq2SeqWeights) {
    if (w.relativeBias && !config.relativeAttention) throw new Error('Seq2SeqModel: relative bias tables need config.relativeAttention');
  }

  /**
   * The relative position bias of `stack` for queries at positions first … first + tq − 1 over
   * keys 0 … tk − 1 (H·tq·tk), or undefined without relative positions. The caller frees it.
   */
  private relativeBias(stack: 'encoder' | 'decoder', first: number, tq: number, tk: number): RuntimeTensor | undefined {
    const tables = this.w.relativeBias;
    if (!tables) return undefined;
    const H = this.config.heads, bias = this.runtime.tensor([H * tq * tk]);
    relativeBiasRows(tables[stack], this.config.relativeAttention!, H, { first, tq, tk, bidirectional: stack === 'encoder' }, bias.data);
    return bias;
  }

  /**
   * Embeddings × √d (when the config scales them) + positions, rows of ids padded to T; the
   * first id of each row sits at position `first` (a decoding step's newest token).
   */
  private embed(ids: number[][], T: number, x: Float32Array, first = 0): void {
    const c = this.config, D = c.dModel, scale = c.scaleEmbedding ? Math.fround(Math.sqrt(D)) : 1;
    ids.forEach((row, b) => {
      for (let t = 0; t < T; t++) {
        const id = t < row.length ? row[t]! : c.padTokenId;
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`token id ${id} (sequence ${b}, position ${first + t}) is outside the vocabulary of ${c.vocabSize}`);
        const e = this.w.embedding.row(id), p = first + t, positions = this.w.positions;
        if (!positions) for (let j = 0; j < D; j++) x[(b * T + t) * D + j] = Math.fround(e[j]! * scale);
        else for (let j = 0; j < D; j++) x[(b * T + t) * D + j] = Math.fround(e[j]! * scale) + positions[p * D + j]!;
      }
    });
  }

  /** Runs the encoder on token ids (rows may differ in length; attentionMask 1 for tokens). */
  encode(inputIds: number[][], attentionMask?: number[][]): Encoded {
    this.lifetime.check('encode');
    const c = this.config, D = c.dModel, rt = this.runtime;
    const B = inputIds.length;
    if (B === 0) throw new Error('encode: no sequences');
    const S = Math.max(...inputIds.map((r) => r.length));
    if (S > c.maxPositions) throw new Error(`encode: a sequence has ${S} tokens, the model's maxPositions is ${c.maxPositions}`);
    const rows = B * S;
    const hidden = rt.tensor([rows, D]);
    const mask = orFree(() => rt.tensor([rows]), hidden);
    const s = orFree(() => this.scratch(rows), hidden, mask);
    let bias: RuntimeTensor | undefined;
    try {
      this.embed(inputIds, S, hidden.data);
      const m = mask.data;
      inputIds.forEach((row, b) => {
        for (let t = 0; t < S; t++) m[b * S + t] = t < row.length && (attentionMask?.[b]?.[t] ?? 1) === 1 ? 0 : -Infinity;
      });
      bias = this.relativeBias('encoder', 0, S, S);
      for (const block of this.w.encoder) runBlock(rt, this.blockShape, block, hidden, s, { rows, B, T: S, self: { kind: 'full', mask, bias } });
      if (this.w.encoderNorm) applyNorm(rt, this.w.encoderNorm, hidden, rows, D, hidden);
      const keys: RuntimeTensor[] = [], values: RuntimeTensor[] = [];
      return { batch: B, S, hidden, mask, crossK: keys, crossV: values, free: () => [hidden, mask, ...keys, ...values].forEach((t) => t.free()) };
    } catch (e) {
      hidden.free();
      mask.free();
      throw e;
    } finally {
      bias?.free();
      s.free();
    }
  }

  /** The decoder's last hidden states for decoder ids (B × T, all rows the same length). */
  decode(decoderIds: number[][], enc: Encoded, outputHiddenStates = false): { hidden: Float32Array; states: Float32Array[] | undefined } {
    this.lifetime.check('decode');
    const c = this.config, D = c.dModel, rt = this.runtime;
    const B = enc.batch, T = decoderIds[0]!.length, rows = B * T;
    if (decoderIds.length !== B || decoderIds.some((r) => r.length !== T)) throw new Error('decode: one row of decoder ids per sequence, all of the same length');
    if (T > c.maxPositions) throw new Error(`decode: ${T} decoder positions, the model's maxPositions is ${c.maxPositions}`);
    this.projectEncoded(enc);
    const x = rt.tensor([rows, D]);
    const s = orFree(() => this.scratch(rows), x);
    let bias: RuntimeTensor | undefined;
    try {
      this.embed(decoderIds, T, x.data);
      const states = outputHiddenStates ? [x.data.slice()] : undefined;
      bias = this.relativeBias('decoder', 0, T, T);
      this.w.decoder.forEach((block, i) => {
        runBlock(rt, this.blockShape, block, x, s, { rows, B, T, self: { kind: 'causal', bias }, cross: this.crossInput(enc, i) });
        states?.push(x.data.slice());
      });
      // As Hugging Face's hidden_states: the last one is the final norm's output.
      if (this.w.decoderNorm) {
        applyNorm(rt, this.w.decoderNorm, x, rows, D, x);
        if (states) states[states.length - 1] = x.data.slice();
      }
      return { hidden: x.data.slice(), states };
    } finally {
      bias?.free();
      s.free();
      x.free();
    }
  }

  private crossInput(enc: Encoded, layer: number) {
    return { keys: enc.crossK[layer]!, values: enc.crossV[layer]!, mask: enc.mask, B: enc.batch, S: enc.S };
  }

  /** Fills enc.crossK and enc.crossV (every decoder layer's projections of the encoder output) if still empty. */
  private projectEncoded(enc: Encoded): void {
    if (enc.crossK.length > 0) return;
    const rt = this.runtime, rows = enc.batch * enc.S, width = this.headsWidth;
    const keys: RuntimeTensor[] = [], values: RuntimeTensor[] = [];
    try {
      for (const block of this.w.decoder) {
        const k = rt.tensor([rows, width]);
        keys.push(k);
        const v = rt.tensor([rows, width]);
        values.push(v);
        rt.kernels.matmul(enc.hidden, block.cross!.k.weight, { m: rows, bias: block.cross!.k.bias, out: k });
        rt.kernels.matmul(enc.hidden, block.cross!.v.weight, { m: rows, bias: block.cross!.v.bias, out: v });
      }
    } catch (e) {
      for (const t of [...keys, ...values]) t.free();
      throw e;
    }
    enc.crossK.push(...keys);
    enc.crossV.push(...values);
  }

  /** LM-head logits (rows × vocab) of the decoder's hidden rows (rows × d: what decode() returns). */
  logits(hidden: Float32Array, rows: number): Float32Array {
    const scale = this.w.outputScale;
    // T5: sequence_output * (model_dim ** -0.5) in f32, before the tied head.
    const input = scale === undefined ? hidden : hidden.map((v) => Math.fround(v * scale));
    const logits = this.runtime.kernels.matmul(input, this.w.lmHead, { m: rows, bias: this.w.finalLogitsBias });
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
  generate(inputIds: number[][], options: Seq2SeqGenerateOptions = {}): number[][] {
    return this.generateWithScores(inputIds, options).sequences;
  }

  /** generate(), with each beam-search sequence's score (HF's sequences_scores). */
  generateWithScores(inputIds: number[][], options: Seq2SeqGenerateOptions = {}): SearchResult {
    this.lifetime.check('generate');
    const c = this.config;
    checkOptionNames('generate', options, [...GENERATE_OPTIONS, 'attentionMask', 'signal']);
    const signal = options.signal;
    signal?.throwIfAborted();
    const o = searchOptions(options, c.maxPositions, 'generate');
    const rules = tokenRules(c, o.minLength);
    const start = c.decoderStartTokenId ?? c.padTokenId;
    const enc = this.encode(inputIds, options.attentionMask);
    let decoder: ReturnType<Seq2SeqModel['stepDecoder']> | undefined;
    try {
      decoder = abortable(this.stepDecoder(enc, o.maxLength, o.numBeams), signal);
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
    this.lifetime.check('stepDecoder');
    const rows = enc.batch * beams;
    this.projectEncoded(enc);
    const cache = new KVCache(this.runtime, this.w.decoder.length, rows, capacity, this.headsWidth);
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
   * hidden states (rows × D). Self-attention then reads the cached positions 0..pos of each
   * row in place, so a step costs O(pos), not a rerun of the whole prefix. The rows of one
   * sequence (its beams) attend to its encoder output as that many queries: the encoder output
   * is indexed per beam, not copied for each.
   */
  private step(tokens: number[], pos: number, enc: Encoded, cache: KVCache): Float32Array {
    const c = this.config, D = c.dModel, rt = this.runtime, rows = tokens.length;
    const x = rt.tensor([rows, D]);
    const s = orFree(() => this.scratch(rows), x);
    let bias: RuntimeTensor | undefined;
    try {
      this.embed(tokens.map((id) => [id]), 1, x.data, pos);
      // The bias row of the query at pos against keys 0..pos (compute_bias sliced to the last query).
      bias = this.relativeBias('decoder', pos, 1, pos + 1);
      this.w.decoder.forEach((block, i) => {
        runBlock(rt, this.blockShape, block, x, s, { rows, B: rows, T: 1, self: { kind: 'cached', cache, layer: i, pos, bias }, cross: this.crossInput(enc, i) });
      });
      if (this.w.decoderNorm) applyNorm(rt, this.w.decoderNorm, x, rows, D, x);
      return x.data.slice();
    } finally {
      bias?.free();
      s.free();
      x.free();
    }
  }

  dispose(): void {
    if (!this.lifetime.end()) return;
    for (const block of [...this.w.encoder, ...this.w.decoder]) freeBlock(block);
    freeNorm(this.w.encoderNorm);
    freeNorm(this.w.decoderNorm);
    this.w.lmHead.free();
    this.w.finalLogitsBias?.free();
  }
}
