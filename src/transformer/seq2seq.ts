// An encoder-decoder transformer (Marian, the original paper's shape): a post-LN encoder, a
// post-LN decoder whose layers attend to themselves (causally) and then to the encoder, a
// language-model head tied to the token embedding, and generation (greedy or beam search,
// generation.ts) with the rules Hugging Face's generate() applies for Marian (decoder start
// token, suppressed tokens, a forced EOS at the last position, finished rows padded).
//
// Shape letters: B batch, S source length, T decoder positions, D model width, V vocabulary.
import { checkFinite } from './finite';
import type { Runtime, RuntimeTensor } from '../runtime';
import type { PackedMatrix } from '../kernels/types';
import type { TransformerConfig } from './config';
import type { EmbeddingTable } from './embedding-table';
import { checkOptionNames } from '../io/option-names';
import { beamSearch, GENERATE_OPTIONS, greedySearch, searchOptions, type GenerateOptions, type SearchResult, type StepDecoder, tokenRules } from './generation';
import { KVCache } from './kv-cache';
import { blockShape, freeBlock, runBlock, type Block, type BlockShape } from './block';
import { Lifetime } from './lifetime';
import { orFree, scratch } from './scratch';

export type { GenerateOptions } from './generation';

export interface Seq2SeqWeights {
  /** V × D, shared by the encoder, the decoder and (transposed) the LM head. */
  embedding: EmbeddingTable;
  lmHead: PackedMatrix;
  finalLogitsBias: RuntimeTensor | undefined;
  /** maxPositions × D */
  positions: Float32Array;
  encoder: Block[];
  /** Blocks with cross-attention. */
  decoder: Block[];
}

/** The encoder's output for a batch, kept for every decoding step (its keys and values per layer too). */
export interface Encoded {
  batch: number;
  S: number;
  /** B × S × D */
  hidden: RuntimeTensor;
  /** B·S additive key mask (0 or −∞). */
  mask: RuntimeTensor;
  /** Each decoder layer's cross-attention keys and values, computed once. */
  crossK: RuntimeTensor[];
  crossV: RuntimeTensor[];
  free(): void;
}

export class Seq2SeqModel {
  private readonly lifetime = new Lifetime();
  private get blockShape(): BlockShape {
    return blockShape(this.config);
  }

  constructor(readonly runtime: Runtime, readonly config: TransformerConfig, private readonly w: Seq2SeqWeights) {}

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
        const e = this.w.embedding.row(id), p = first + t;
        for (let j = 0; j < D; j++) x[(b * T + t) * D + j] = Math.fround(e[j]! * scale) + this.w.positions[p * D + j]!;
      }
    });
  }

  /** Runs the encoder on token ids (rows may differ in length; attentionMask 1 for tokens). */
  encode(inputIds: number[][], attentionMask?: number[][]): Encoded {
    this.lifetime.check('encode');
    const c = this.config, D = c.dModel, rt = this.runtime, kernels = rt.kernels;
    const B = inputIds.length;
    if (B === 0) throw new Error('encode: no sequences');
    const S = Math.max(...inputIds.map((r) => r.length));
    if (S > c.maxPositions) throw new Error(`encode: a sequence has ${S} tokens, the model's maxPositions is ${c.maxPositions}`);
    const rows = B * S;
    const hidden = rt.tensor([rows, D]);
    const mask = orFree(() => rt.tensor([rows]), hidden);
    const s = orFree(() => scratch(rt, rows, D, c.dFF), hidden, mask);
    const cross: RuntimeTensor[] = [];
    try {
      this.embed(inputIds, S, hidden.data);
      const m = mask.data;
      inputIds.forEach((row, b) => {
        for (let t = 0; t < S; t++) m[b * S + t] = t < row.length && (attentionMask?.[b]?.[t] ?? 1) === 1 ? 0 : -Infinity;
      });
      for (const block of this.w.encoder) runBlock(rt, this.blockShape, block, hidden, s, { rows, B, T: S, self: { kind: 'full', mask } });
      // The encoder's keys and values for every decoder block, once for all decoding steps.
      const L = this.w.decoder.length;
      for (let i = 0; i < 2 * L; i++) cross.push(rt.tensor([rows, D]));
      const keys = cross.slice(0, L), values = cross.slice(L);
      this.w.decoder.forEach((block, i) => {
        kernels.matmul(hidden, block.cross!.k.weight, { m: rows, bias: block.cross!.k.bias, out: keys[i]! });
        kernels.matmul(hidden, block.cross!.v.weight, { m: rows, bias: block.cross!.v.bias, out: values[i]! });
      });
      return { batch: B, S, hidden, mask, crossK: keys, crossV: values, free: () => [hidden, mask, ...keys, ...values].forEach((t) => t.free()) };
    } catch (e) {
      for (const t of [hidden, mask, ...cross]) t.free();
      throw e;
    } finally {
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
    const x = rt.tensor([rows, D]);
    const s = orFree(() => scratch(rt, rows, D, c.dFF), x);
    try {
      this.embed(decoderIds, T, x.data);
      const states = outputHiddenStates ? [x.data.slice()] : undefined;
      this.w.decoder.forEach((block, i) => {
        runBlock(rt, this.blockShape, block, x, s, { rows, B, T, self: { kind: 'causal' }, cross: this.crossInput(enc, i) });
        states?.push(x.data.slice());
      });
      return { hidden: x.data.slice(), states };
    } finally {
      s.free();
      x.free();
    }
  }

  private crossInput(enc: Encoded, layer: number) {
    return { keys: enc.crossK[layer]!, values: enc.crossV[layer]!, mask: enc.mask, B: enc.batch, S: enc.S };
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
    this.lifetime.check('generate');
    const c = this.config;
    checkOptionNames('generate', options, [...GENERATE_OPTIONS, 'attentionMask']);
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
    this.lifetime.check('stepDecoder');
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
   * hidden states (rows × D). Self-attention then reads the cached positions 0..pos of each
   * row in place, so a step costs O(pos), not a rerun of the whole prefix. The rows of one
   * sequence (its beams) attend to its encoder output as that many queries: the encoder output
   * is indexed per beam, not copied for each.
   */
  private step(tokens: number[], pos: number, enc: Encoded, cache: KVCache): Float32Array {
    const c = this.config, D = c.dModel, rt = this.runtime, rows = tokens.length;
    const x = rt.tensor([rows, D]);
    const s = orFree(() => scratch(rt, rows, D, c.dFF), x);
    try {
      this.embed(tokens.map((id) => [id]), 1, x.data, pos);
      this.w.decoder.forEach((block, i) => {
        runBlock(rt, this.blockShape, block, x, s, { rows, B: rows, T: 1, self: { kind: 'cached', cache, layer: i, pos }, cross: this.crossInput(enc, i) });
      });
      return x.data.slice();
    } finally {
      s.free();
      x.free();
    }
  }

  dispose(): void {
    if (!this.lifetime.end()) return;
    for (const block of [...this.w.encoder, ...this.w.decoder]) freeBlock(block);
    this.w.lmHead.free();
    this.w.finalLogitsBias?.free();
  }
}
