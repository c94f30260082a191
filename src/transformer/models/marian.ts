// Marian (opus-mt translation models, modeling_marian.py): post-LN encoder-decoder, SiLU
// ("swish"), embeddings × √d_model, sinusoidal positions from 0 (computed here: checkpoints
// do not store them), an LM head tied to the shared embedding plus final_logits_bias.
import type { Runtime } from '../../runtime';
import type { TransformerConfig } from '../config';
import { checkLength, loadLinear, loadNorm, type WeightSource } from '../layers';
import { Seq2SeqModel } from '../seq2seq';

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

export function loadMarian(rt: Runtime, c: TransformerConfig, weights: WeightSource, has: (name: string) => boolean): Seq2SeqModel {
  const d = c.dModel, eps = c.layerNormEps;
  const embedding = checkLength(weights('model.shared.weight'), c.vocabSize * d, 'model.shared.weight');
  const attention = (prefix: string) => ['q_proj', 'k_proj', 'v_proj', 'out_proj'].map((p) => loadLinear(rt, weights, `${prefix}.${p}`, d, d));
  const encoder = Array.from({ length: c.encoderLayers }, (_, i) => {
    const l = `model.encoder.layers.${i}`;
    const [q, k, v, o] = attention(`${l}.self_attn`) as [ReturnType<typeof loadLinear>, ReturnType<typeof loadLinear>, ReturnType<typeof loadLinear>, ReturnType<typeof loadLinear>];
    return {
      q, k, v, o,
      attnNorm: loadNorm(rt, weights, `${l}.self_attn_layer_norm`, d, eps),
      ffn1: loadLinear(rt, weights, `${l}.fc1`, d, c.dFF),
      ffn2: loadLinear(rt, weights, `${l}.fc2`, c.dFF, d),
      ffnNorm: loadNorm(rt, weights, `${l}.final_layer_norm`, d, eps),
    };
  });
  const decoder = Array.from({ length: c.decoderLayers }, (_, i) => {
    const l = `model.decoder.layers.${i}`;
    return {
      self: attention(`${l}.self_attn`),
      selfNorm: loadNorm(rt, weights, `${l}.self_attn_layer_norm`, d, eps),
      cross: attention(`${l}.encoder_attn`),
      crossNorm: loadNorm(rt, weights, `${l}.encoder_attn_layer_norm`, d, eps),
      ffn1: loadLinear(rt, weights, `${l}.fc1`, d, c.dFF),
      ffn2: loadLinear(rt, weights, `${l}.fc2`, c.dFF, d),
      ffnNorm: loadNorm(rt, weights, `${l}.final_layer_norm`, d, eps),
    };
  });
  return new Seq2SeqModel(rt, c, {
    embedding,
    lmHead: rt.kernels.packB(embedding, { k: d, n: c.vocabSize, transB: true }),
    finalLogitsBias: has('final_logits_bias') ? rt.tensor([c.vocabSize], checkLength(weights('final_logits_bias'), c.vocabSize, 'final_logits_bias')) : undefined,
    positions: sinusoidalPositions(c.maxPositions, d),
    encoder, decoder,
  });
}
