// A decoder-only transformer (GPT-style): token and learned position embeddings, pre-LN or
// post-LN layers with causal self-attention, a final LayerNorm, and an LM head tied to the
// token embedding. Config-driven: models/custom.ts reads torch.nn.TransformerEncoderLayer
// weights into it.
import type { Runtime } from '../runtime';
import type { PackedMatrix } from '../kernels/types';
import type { TransformerConfig } from './config';
import { encoderLayer, freeLayer, preNormLayer, scratch, type EncoderLayer, type Norm } from './layers';

export interface DecoderOnlyWeights {
  /** vocab × d */
  embedding: Float32Array;
  /** maxPositions × d */
  positions: Float32Array;
  layers: EncoderLayer[];
  finalNorm: Norm | undefined;
  lmHead: PackedMatrix;
}

export class DecoderOnlyModel {
  readonly config: TransformerConfig;
  readonly runtime: Runtime;
  private readonly w: DecoderOnlyWeights;

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
    const s = scratch(rt, n, c);
    try {
      const data = x.data;
      inputIds.forEach((row, b) => row.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new Error(`forward: token id ${id} (sequence ${b}, position ${t}) is outside the vocabulary of ${c.vocabSize}`);
        for (let j = 0; j < d; j++) data[(b * T + t) * d + j] = this.w.embedding[id * d + j]! + this.w.positions[t * d + j]!;
      }));
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

  /** LM-head logits (rows × vocab) of hidden rows. */
  logits(hidden: Float32Array, rows: number): Float32Array {
    return this.runtime.kernels.matmul(hidden, this.w.lmHead, { m: rows });
  }

  dispose(): void {
    for (const l of this.w.layers) freeLayer(l);
    this.w.lmHead.free();
    this.w.finalNorm?.gamma.free();
    this.w.finalNorm?.beta.free();
  }
}
