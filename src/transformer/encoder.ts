// An encoder-only transformer (BERT, DistilBERT): embeddings, a stack of post-LN layers, and
// the heads people use on top: pooling into sentence embeddings and sequence classification.
// The family files (models/*.ts) say where each weight lives in a Hugging Face checkpoint.
import { checkFinite } from './finite';
import type { Runtime, RuntimeTensor } from '../runtime';
import type { TransformerConfig } from './config';
import type { EmbeddingTable } from './embedding-table';
import { encoderLayer, freeLayer, orFree, scratch, type EncoderLayer, type Linear, type Norm } from './layers';

export interface Embeddings {
  /** vocab × d */
  word: EmbeddingTable;
  /** maxPositions × d (learned, or the sinusoidal table the checkpoint stores) */
  position: EmbeddingTable;
  /** types × d, or undefined (DistilBERT) */
  tokenType: EmbeddingTable | undefined;
  norm: Norm;
}

/** What a sequence-classification checkpoint adds: BERT's pooler, or DistilBERT's pre-classifier. */
export interface ClassifierHead {
  /** BERT: tanh(dense(CLS)). DistilBERT: ReLU(pre_classifier(CLS)). */
  pre: Linear;
  preActivation: 'tanh' | 'relu';
  classifier: Linear | undefined;
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
  /** batch × T × d */
  lastHiddenState: Float32Array;
  /** The embeddings' output, then each layer's (when asked). */
  hiddenStates: Float32Array[] | undefined;
  /** batch × T, 1 for tokens. */
  attentionMask: Uint8Array;
}

export class EncoderModel {
  readonly config: TransformerConfig;
  readonly runtime: Runtime;
  private readonly embeddings: Embeddings;
  private readonly layers: EncoderLayer[];
  private readonly head: ClassifierHead | undefined;

  constructor(runtime: Runtime, config: TransformerConfig, embeddings: Embeddings, layers: EncoderLayer[], head?: ClassifierHead) {
    this.runtime = runtime;
    this.config = config;
    this.embeddings = embeddings;
    this.layers = layers;
    this.head = head;
  }

  /** Raw hidden states for a batch of token ids. */
  forward(input: EncoderInput): EncoderOutput {
    const c = this.config, d = c.dModel, rt = this.runtime;
    const { inputIds } = input;
    if (!Array.isArray(inputIds) || inputIds.length === 0) throw new Error('forward: inputIds must be a non-empty array of token id arrays');
    const batch = inputIds.length;
    const T = Math.max(...inputIds.map((s) => s.length));
    if (T < 1) throw new Error('forward: every sequence is empty');
    if (T > c.maxPositions) throw new Error(`forward: a sequence has ${T} tokens, the model's maxPositions is ${c.maxPositions}`);
    const n = batch * T;
    const keep = new Uint8Array(n);
    const x = rt.tensor([n, d]);
    const mask = orFree(() => rt.tensor([n]), x);
    const s = orFree(() => scratch(rt, n, c), x, mask);
    try {
      this.embed(input, T, x.data, keep);
      const m = mask.data;
      for (let i = 0; i < n; i++) m[i] = keep[i] ? 0 : -Infinity;
      const e = this.embeddings.norm;
      rt.kernels.layerNorm(x, { rows: n, cols: d, gamma: e.gamma, beta: e.beta, eps: e.eps, out: x });
      const hidden: Float32Array[] | undefined = input.outputHiddenStates ? [x.data.slice()] : undefined;
      this.layers.forEach((layer, i) => {
        encoderLayer(rt, c, layer, x, s, batch, T, { mask });
        checkFinite(x.data, `forward: the hidden states after layer ${i}`);
        hidden?.push(x.data.slice());
      });
      return { batch, T, lastHiddenState: x.data.slice(), hiddenStates: hidden, attentionMask: keep };
    } finally {
      s.free();
      x.free();
      mask.free();
    }
  }

  /** Token + position (+ segment) embeddings into x (n×d), before the LayerNorm; marks real tokens in keep. */
  private embed(input: EncoderInput, T: number, x: Float32Array, keep: Uint8Array): void {
    const { word, position, tokenType } = this.embeddings;
    const d = this.config.dModel, V = this.config.vocabSize, f32 = Math.fround;
    input.inputIds.forEach((ids, b) => {
      const maskRow = input.attentionMask?.[b];
      const types = input.tokenTypeIds?.[b];
      for (let t = 0; t < T; t++) {
        const real = t < ids.length && (maskRow ? maskRow[t] === 1 : true);
        const id = t < ids.length ? ids[t]! : this.config.padTokenId;
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`forward: token id ${id} (sequence ${b}, position ${t}) is outside the vocabulary of ${V}`);
        const type = types?.[t] ?? 0;
        if (tokenType && (!Number.isInteger(type) || type < 0 || type >= tokenType.rows)) throw new Error(`forward: token type ${type} (sequence ${b}, position ${t}) is out of range`);
        keep[b * T + t] = real ? 1 : 0;
        const row = (b * T + t) * d;
        const w = word.row(id), s = tokenType?.row(type), p = position.row(t);
        for (let j = 0; j < d; j++) {
          // Hugging Face's order: (word + token type) + position, each sum rounded to f32.
          const ws = s ? f32(w[j]! + s[j]!) : w[j]!;
          x[row + j] = ws + p[j]!;
        }
      }
    });
  }

  /**
   * Sentence embeddings: the CLS token's state, or the mean over real tokens
   * (sentence-transformers), L2-normalised unless normalize is false.
   */
  pool(output: EncoderOutput, pooling: 'cls' | 'mean' = 'mean', normalize = true): Float32Array[] {
    const d = this.config.dModel;
    const out: Float32Array[] = [];
    for (let b = 0; b < output.batch; b++) {
      const v = new Float64Array(d);
      let count = 0;
      for (let t = 0; t < (pooling === 'cls' ? 1 : output.T); t++) {
        if (!output.attentionMask[b * output.T + t]) continue;
        count++;
        for (let j = 0; j < d; j++) v[j] = v[j]! + output.lastHiddenState[(b * output.T + t) * d + j]!;
      }
      for (let j = 0; j < d; j++) v[j] = v[j]! / Math.max(count, 1);
      const norm = normalize ? Math.hypot(...v) || 1 : 1;
      out.push(Float32Array.from(v, (x) => x / norm));
    }
    return out;
  }

  /** BERT's pooler output, tanh(dense(CLS)), batch × d. */
  pooler(output: EncoderOutput): Float32Array {
    if (!this.head) throw new Error('pooler: this checkpoint has no pooler');
    return this.preHead(output);
  }

  /** Classification logits, batch × numLabels. */
  logits(output: EncoderOutput): Float32Array {
    if (!this.head?.classifier) throw new Error('logits: this checkpoint has no classification head (…ForSequenceClassification)');
    const pre = this.preHead(output);
    return this.runtime.kernels.matmul(pre, this.head.classifier.weight, { m: output.batch, bias: this.head.classifier.bias });
  }

  private preHead(output: EncoderOutput): Float32Array {
    const d = this.config.dModel, head = this.head!;
    const cls = new Float32Array(output.batch * d);
    for (let b = 0; b < output.batch; b++) cls.set(output.lastHiddenState.subarray(b * output.T * d, b * output.T * d + d), b * d);
    const y = this.runtime.kernels.matmul(cls, head.pre.weight, { m: output.batch, bias: head.pre.bias, activation: head.preActivation === 'relu' ? 'relu' : 'none' });
    if (head.preActivation === 'tanh') for (let i = 0; i < y.length; i++) y[i] = Math.tanh(y[i]!);
    return y;
  }

  dispose(): void {
    for (const l of this.layers) freeLayer(l);
    this.embeddings.norm.gamma.free();
    this.embeddings.norm.beta.free();
    for (const lin of [this.head?.pre, this.head?.classifier]) {
      lin?.weight.free();
      lin?.bias?.free();
    }
  }
}

export type { RuntimeTensor };
