// A config-driven decoder-only model from torch.nn weights: layers.{i} are
// torch.nn.TransformerEncoderLayer state dicts (self_attn.in_proj_weight holds q, k and v
// stacked; linear1/linear2 the FFN; norm1 before (pre-LN) or after (post-LN) the attention,
// norm2 around the FFN), with embed_tokens, embed_positions and final_norm around them.
import type { Runtime } from '../../runtime';
import { validateConfig, type TransformerConfig } from '../config';
import { DecoderOnlyModel } from '../decoder-only';
import { linear, loadLinear, loadNorm, type WeightSource } from '../layers';

export function loadCustomDecoder(rt: Runtime, c: TransformerConfig, weights: WeightSource, has: (name: string) => boolean): DecoderOnlyModel {
  validateConfig(c);
  if (c.kind !== 'decoder') throw new Error(`custom models: kind ${c.kind} is not supported yet (decoder is)`);
  const d = c.dModel, eps = c.layerNormEps;
  const embedding = weights('embed_tokens.weight');
  const layers = Array.from({ length: c.decoderLayers }, (_, i) => {
    const l = `layers.${i}`;
    const w = weights(`${l}.self_attn.in_proj_weight`), b = weights(`${l}.self_attn.in_proj_bias`);
    const part = (j: number) => linear(rt, w.subarray(j * d * d, (j + 1) * d * d), b.subarray(j * d, (j + 1) * d), d, d, `${l}.self_attn.in_proj[${j}]`);
    return {
      q: part(0), k: part(1), v: part(2),
      o: loadLinear(rt, weights, `${l}.self_attn.out_proj`, d, d),
      attnNorm: loadNorm(rt, weights, `${l}.norm1`, d, eps),
      ffn1: loadLinear(rt, weights, `${l}.linear1`, d, c.dFF),
      ffn2: loadLinear(rt, weights, `${l}.linear2`, c.dFF, d),
      ffnNorm: loadNorm(rt, weights, `${l}.norm2`, d, eps),
    };
  });
  return new DecoderOnlyModel(rt, c, {
    embedding,
    positions: weights('embed_positions.weight'),
    layers,
    finalNorm: c.finalNorm && has('final_norm.weight') ? loadNorm(rt, weights, 'final_norm', d, eps) : undefined,
    lmHead: rt.kernels.packB(embedding, { k: d, n: c.vocabSize, transB: true }),
  });
}
