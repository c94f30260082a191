// An encoder-only transformer (BERT, RoBERTa, XLM-R, DistilBERT, MPNet): embeddings, a stack of
// blocks (block.ts, post-norm, full attention over the unpadded tokens), and the heads the
// checkpoints' classes add: BERT's pooler, sequence and token classification, question
// answering's span logits, and the masked-LM head. The family modules (families/*.ts) say where
// each weight lives in a Hugging Face checkpoint.
//
// Shape letters: B batch, T padded sequence length, D model width, H heads, V vocabulary.
import { checkFinite } from './finite';
import type { Runtime, RuntimeTensor } from '../runtime';
import type { PackedMatrix } from '../kernels/types';
import { maxTokens, type Activation, type TransformerConfig } from './config';
import type { EmbeddingTable, F32Table, Q8Table } from './embedding-table';
import { applyNorm, blockShape, freeBlock, freeLinear, freeNorm, runBlock, type Block, type BlockShape } from './block';
import { pool, type Pooling } from './pooling';
import { relativePositionBias } from './relative-position';
import { Lifetime } from './lifetime';
import { orFree, scratch } from './scratch';
import type { Linear, Norm } from './weights';

export interface Embeddings {
  /** V × D (and, transposed, a tied masked-LM decoder) */
  word: F32Table | Q8Table;
  /** maxPositions × D (learned, or the sinusoidal table the checkpoint stores) */
  position: EmbeddingTable;
  /** types × D, or undefined (DistilBERT, MPNet) */
  tokenType: EmbeddingTable | undefined;
  norm: Norm;
}

/** Sequence classification: out(act(dense(x))), x the pooler's output or the first token's state. */
export interface SequenceClassifierHead {
  /** BERT: the pooler's output. DistilBERT, RoBERTa, MPNet: the first token's state through dense. */
  from: 'pooler' | 'first';
  dense?: Linear;
  denseActivation?: 'tanh' | 'relu';
  out: Linear;
}

/** The masked-LM head: decoder(Norm(act(dense(x)))) + bias, the decoder tied to the word embedding. */
export interface MaskedLmHead {
  dense: Linear;
  activation: Activation;
  norm: Norm;
  /** The word embedding, packed transposed: D → V. */
  decoder: PackedMatrix;
  bias: RuntimeTensor | undefined;
}

export interface EncoderHeads {
  /** BERT's and MPNet's pooler: tanh(dense(first token)). */
  pooler?: Linear;
  sequenceClassifier?: SequenceClassifierHead;
  /** Per-token labels (NER): D → labels. */
  tokenClassifier?: Linear;
  /** Question answering: D → 2 (start and end logits). */
  questionAnswering?: Linear;
  maskedLm?: MaskedLmHead;
}

export interface EncoderWeights {
  embeddings: Embeddings;
  blocks: Block[];
  /** MPNet: buckets × H, one learned bias per relative-distance bucket and head. */
  relativeBias?: EmbeddingTable;
  heads: EncoderHeads;
}

export interface EncoderInput {
  /** Token ids, one array per sequence (lengths may differ: they are padded). */
  inputIds: number[][];
  /** 1 for tokens, 0 for padding; default all 1 over each sequence's length. */
  attentionMask?: number[][];
  /** Segment ids (BERT); default 0. */
  tokenTypeIds?: number[][];
  /** Keep every layer's output (default false). */
  outputHiddenStates?: boolean;
}

export interface EncoderOutput {
  batch: number;
  /** Padded sequence length. */
  T: number;
  /** B × T × D */
  lastHiddenState: Float32Array;
  /** The embeddings' output, then each layer's (when asked). */
  hiddenStates: Float32Array[] | undefined;
  /** B × T, 1 for tokens. */
  attentionMask: Uint8Array;
}

export class EncoderModel {
  private readonly lifetime = new Lifetime();
  private get blockShape(): BlockShape {
    return blockShape(this.config);
  }

  constructor(readonly runtime: Runtime, readonly config: TransformerConfig, private readonly w: EncoderWeights) {}

  /** The heads this checkpoint has (a head missing from it is undefined). */
  get heads(): Readonly<EncoderHeads> {
    return this.w.heads;
  }

  /** Raw hidden states for a batch of token ids. */
  forward(input: EncoderInput): EncoderOutput {
    this.lifetime.check('forward');
    const c = this.config, D = c.dModel, rt = this.runtime;
    const { inputIds } = input;
    if (!Array.isArray(inputIds) || inputIds.length === 0) throw new Error('forward: inputIds must be a non-empty array of token id arrays');
    const B = inputIds.length;
    const T = Math.max(...inputIds.map((s) => s.length));
    if (T < 1) throw new Error('forward: every sequence is empty');
    if (T > maxTokens(c)) throw new Error(`forward: a sequence has ${T} tokens, the model takes at most ${maxTokens(c)}`);
    const rows = B * T;
    const keep = new Uint8Array(rows);
    const x = rt.tensor([rows, D]);
    const mask = orFree(() => rt.tensor([rows]), x);
    const s = orFree(() => scratch(rt, rows, D, c.dFF), x, mask);
    const bias = this.w.relativeBias ? orFree(() => rt.tensor([c.heads * T * T]), x, mask, s) : undefined;
    try {
      this.embed(input, T, x.data, keep);
      const m = mask.data;
      for (let i = 0; i < rows; i++) m[i] = keep[i] ? 0 : -Infinity;
      if (bias) relativePositionBias(this.w.relativeBias!, c.relativeAttention!, c.heads, T, bias.data);
      applyNorm(rt, this.w.embeddings.norm, x, rows, D, x);
      const hidden: Float32Array[] | undefined = input.outputHiddenStates ? [x.data.slice()] : undefined;
      this.w.blocks.forEach((block, i) => {
        runBlock(rt, this.blockShape, block, x, s, { rows, B, T, self: { kind: 'full', mask, bias } });
        checkFinite(x.data, `forward: the hidden states after layer ${i}`);
        hidden?.push(x.data.slice());
      });
      return { batch: B, T, lastHiddenState: x.data.slice(), hiddenStates: hidden, attentionMask: keep };
    } finally {
      bias?.free();
      s.free();
      x.free();
      mask.free();
    }
  }

  /** Token + position (+ segment) embeddings into x (B·T × D), before the norm; marks real tokens in keep. */
  private embed(input: EncoderInput, T: number, x: Float32Array, keep: Uint8Array): void {
    const { word, position, tokenType } = this.w.embeddings;
    const c = this.config, D = c.dModel, V = c.vocabSize, pad = c.padTokenId, f32 = Math.fround;
    input.inputIds.forEach((ids, b) => {
      const maskRow = input.attentionMask?.[b];
      const types = input.tokenTypeIds?.[b];
      // RoBERTa's positions: pad + 1 + (tokens before, padding not counted); padding at pad.
      let counted = 0;
      for (let t = 0; t < T; t++) {
        const real = t < ids.length && (maskRow ? maskRow[t] === 1 : true);
        const id = t < ids.length ? ids[t]! : pad;
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`forward: token id ${id} (sequence ${b}, position ${t}) is outside the vocabulary of ${V}`);
        const type = types?.[t] ?? 0;
        if (tokenType && (!Number.isInteger(type) || type < 0 || type >= tokenType.rows)) throw new Error(`forward: token type ${type} (sequence ${b}, position ${t}) is out of range`);
        keep[b * T + t] = real ? 1 : 0;
        const pos = c.paddingAwarePositions ? (id === pad ? pad : pad + ++counted) : t;
        const row = (b * T + t) * D;
        const w = word.row(id), s = tokenType?.row(type), p = position.row(pos);
        for (let j = 0; j < D; j++) {
          // Hugging Face's order: (word + token type) + position, each sum rounded to f32.
          const ws = s ? f32(w[j]! + s[j]!) : w[j]!;
          x[row + j] = ws + p[j]!;
        }
      }
    });
  }

  /**
   * Sentence embeddings (sentence-transformers' Pooling): the mean over real tokens, the first
   * token's state, and the others pooling.ts knows; L2-normalised unless normalize is false.
   */
  pool(output: EncoderOutput, pooling: Pooling | readonly Pooling[] = 'mean', normalize = true): Float32Array[] {
    return pool(output, this.config.dModel, pooling, normalize);
  }

  /** BERT's pooler output, tanh(dense(first token)), B × D. */
  pooler(output: EncoderOutput): Float32Array {
    const pooler = this.w.heads.pooler;
    if (!pooler) throw new Error('pooler: this checkpoint has no pooler');
    return this.dense(this.firstTokens(output), output.batch, pooler, 'tanh');
  }

  /** Sequence-classification logits, B × labels. */
  logits(output: EncoderOutput): Float32Array {
    const head = this.need('sequenceClassifier', 'logits', 'classifier');
    let x = head.from === 'pooler' ? this.pooler(output) : this.firstTokens(output);
    if (head.dense) x = this.dense(x, output.batch, head.dense, head.denseActivation ?? 'tanh');
    return this.runtime.kernels.matmul(x, head.out.weight, { m: output.batch, bias: head.out.bias });
  }

  /** Token-classification logits, B × T × labels (padding rows included, as Hugging Face's). */
  tokenLogits(output: EncoderOutput): Float32Array {
    const head = this.need('tokenClassifier', 'tokenLogits', 'classifier');
    return this.runtime.kernels.matmul(output.lastHiddenState, head.weight, { m: output.batch * output.T, bias: head.bias });
  }

  /** Question answering: start and end logits, B × T each. */
  spanLogits(output: EncoderOutput): { start: Float32Array; end: Float32Array } {
    const head = this.need('questionAnswering', 'spanLogits', 'qa_outputs');
    const rows = output.batch * output.T;
    const both = this.runtime.kernels.matmul(output.lastHiddenState, head.weight, { m: rows, bias: head.bias });
    const start = new Float32Array(rows), end = new Float32Array(rows);
    for (let i = 0; i < rows; i++) {
      start[i] = both[2 * i]!;
      end[i] = both[2 * i + 1]!;
    }
    return { start, end };
  }

  /** Masked-LM logits (rows.length × V) at the given rows of the output (b·T + t). */
  maskedLmLogits(output: EncoderOutput, rows: number[]): Float32Array {
    const head = this.need('maskedLm', 'maskedLmLogits', 'the masked-LM head');
    const D = this.config.dModel, R = rows.length, rt = this.runtime; // R rows asked for
    const picked = new Float32Array(R * D);
    rows.forEach((r, i) => {
      if (!Number.isInteger(r) || r < 0 || r >= output.batch * output.T) throw new Error(`maskedLmLogits: row ${r} is outside the output's ${output.batch * output.T} rows`);
      picked.set(output.lastHiddenState.subarray(r * D, (r + 1) * D), i * D);
    });
    const h = rt.tensor([R, D], rt.kernels.matmul(picked, head.dense.weight, { m: R, bias: head.dense.bias, activation: head.activation }));
    try {
      applyNorm(rt, head.norm, h, R, D, h);
      const logits = rt.kernels.matmul(h, head.decoder, { m: R, bias: head.bias });
      checkFinite(logits, 'maskedLmLogits: the logits');
      return logits;
    } finally {
      h.free();
    }
  }

  private need<K extends keyof EncoderHeads>(key: K, method: string, what: string): NonNullable<EncoderHeads[K]> {
    const head = this.w.heads[key];
    if (!head) throw new Error(`${method}: this checkpoint has no ${what} (config.json's architectures names the class that has it)`);
    return head as NonNullable<EncoderHeads[K]>;
  }

  /** Each sequence's first token state (CLS, <s>), B × D. */
  private firstTokens(output: EncoderOutput): Float32Array {
    const D = this.config.dModel;
    const first = new Float32Array(output.batch * D);
    for (let b = 0; b < output.batch; b++) first.set(output.lastHiddenState.subarray(b * output.T * D, b * output.T * D + D), b * D);
    return first;
  }

  private dense(x: Float32Array, rows: number, lin: Linear, activation: 'tanh' | 'relu'): Float32Array {
    const y = this.runtime.kernels.matmul(x, lin.weight, { m: rows, bias: lin.bias, activation: activation === 'relu' ? 'relu' : 'none' });
    if (activation === 'tanh') for (let i = 0; i < y.length; i++) y[i] = Math.tanh(y[i]!);
    return y;
  }

  dispose(): void {
    if (!this.lifetime.end()) return;
    for (const block of this.w.blocks) freeBlock(block);
    freeNorm(this.w.embeddings.norm);
    const h = this.w.heads;
    for (const lin of [h.pooler, h.sequenceClassifier?.dense, h.sequenceClassifier?.out, h.tokenClassifier, h.questionAnswering, h.maskedLm?.dense]) freeLinear(lin);
    freeNorm(h.maskedLm?.norm);
    h.maskedLm?.decoder.free();
    h.maskedLm?.bias?.free();
  }
}

export type { RuntimeTensor };
