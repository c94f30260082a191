// Marian (opus-mt translation models, modeling_marian.py): post-LN encoder-decoder, SiLU
// ("swish"), embeddings × √d_model, sinusoidal positions from 0 (computed here: checkpoints
// do not store them), an LM head tied to the shared embedding plus final_logits_bias.
import type { TransformerConfig } from '../config';
import { packTiedHead } from '../embedding-table';
import type { Linear } from '../layers';
import { Seq2SeqModel } from '../seq2seq';
import type { Weights } from '../weights';

/**
 * Marian's table (MarianSinusoidalPositionalEmbedding): column i < d/2 is sin(pos / 10000^(2i/d)),
 * column d/2 + i the cos of the same angle; computed in f64, stored as f32.
 */
export function sinusoidalPositions(maxPositions: number, d: number): Float32Array {
  const out = new Float32Array(maxPositions * d);
  const half = Math.ceil(d / 2);
  for (let pos = 0; pos < maxPositions; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos / Math.pow(10000, (2 * i) / d);
      out[pos * d + i] = Math.sin(angle);
      if (half + i < d) out[pos * d + half + i] = Math.cos(angle);
    }
  }
  return out;
}

export function loadMarian(c: TransformerConfig, w: Weights): Seq2SeqModel {
  const d = c.dModel, eps = c.layerNormEps;
  // One table for the encoder's tokens, the decoder's and (transposed) the LM head.
  const embedding = w.embedding('model.shared.weight', c.vocabSize, d);
  const attention = (prefix: string) => ['q_proj', 'k_proj', 'v_proj', 'out_proj'].map((p) => w.linear(`${prefix}.${p}`, d, d));
  const encoder = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `model.encoder.layers.${i}`;
    const [q, k, v, o] = attention(`${l}.self_attn`) as [Linear, Linear, Linear, Linear];
    return {
      q, k, v, o,
      attnNorm: w.norm(`${l}.self_attn_layer_norm`, d, eps),
      ffn1: w.linear(`${l}.fc1`, d, c.dFF),
      ffn2: w.linear(`${l}.fc2`, c.dFF, d),
      ffnNorm: w.norm(`${l}.final_layer_norm`, d, eps),
    };
  });
  const decoder = Array.from({ length: c.decoderLayers }, (_, i) => {
    const l = `model.decoder.layers.${i}`;
    return {
      self: attention(`${l}.self_attn`),
      selfNorm: w.norm(`${l}.self_attn_layer_norm`, d, eps),
      cross: attention(`${l}.encoder_attn`),
      crossNorm: w.norm(`${l}.encoder_attn_layer_norm`, d, eps),
      ffn1: w.linear(`${l}.fc1`, d, c.dFF),
      ffn2: w.linear(`${l}.fc2`, c.dFF, d),
      ffnNorm: w.norm(`${l}.final_layer_norm`, d, eps),
    };
  });
  return new Seq2SeqModel(w.runtime, c, {
    embedding,
    lmHead: packTiedHead(w.runtime, embedding),
    finalLogitsBias: w.has('final_logits_bias') ? w.tensor('final_logits_bias', c.vocabSize) : undefined,
    positions: sinusoidalPositions(c.maxPositions, d),
    encoder, decoder,
  });
}
