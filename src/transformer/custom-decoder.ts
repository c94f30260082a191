// A config-driven decoder-only model from torch.nn weights: layers.{i} are
// torch.nn.TransformerEncoderLayer state dicts (self_attn.in_proj_weight holds q, k and v
// stacked; linear1/linear2 the FFN; norm1 before (pre-LN) or after (post-LN) the attention,
// norm2 around the FFN), with embed_tokens, embed_positions and final_norm around them.
import type { Runtime } from '../runtime';
import type { Block } from './block';
import { validateConfig, type TransformerConfig } from './config';
import { DecoderOnlyModel } from './decoder-only';
import { packTiedHead } from './embedding-table';
import { floatTensors, modelWeights, WEIGHT_DTYPES, type Linear, type WeightDtype, type Weights, type WeightSource } from './weights';

export interface CustomDecoderOptions {
  /** 'q8': Linear layers and embedding tables as int8 (see LoadModelOptions.dtype). Default 'f32'. */
  dtype?: WeightDtype;
}

export function loadCustomDecoder(rt: Runtime, c: TransformerConfig, weights: WeightSource, has: (name: string) => boolean,
  options: CustomDecoderOptions = {}): DecoderOnlyModel {
  const dtype = options.dtype ?? 'f32';
  if (!WEIGHT_DTYPES.includes(dtype)) throw new Error(`loadCustomDecoder: option dtype must be one of ${WEIGHT_DTYPES.join(', ')}, got ${String(dtype)}`);
  validateConfig(c);
  if (c.kind !== 'decoder') throw new Error(`custom models: kind ${c.kind} is not supported yet (decoder is)`);
  return customDecoder(c, modelWeights(rt, floatTensors(weights, has), dtype));
}

function customDecoder(c: TransformerConfig, w: Weights): DecoderOnlyModel {
  const D = c.dModel, F = c.dFF, eps = c.layerNormEps;
  const embedding = w.embedding('embed_tokens.weight', c.vocabSize, D);
  const blocks = Array.from({ length: c.decoderLayers }, (_, i): Block => {
    const l = `layers.${i}`;
    const [q, k, v] = w.stackedLinears(`${l}.self_attn.in_proj_weight`, `${l}.self_attn.in_proj_bias`, D, D, 3) as [Linear, Linear, Linear];
    return {
      self: { q, k, v, o: w.linear(`${l}.self_attn.out_proj`, D, D) },
      selfNorm: w.norm(`${l}.norm1`, D, eps),
      ffn: { up: w.linear(`${l}.linear1`, D, F), down: w.linear(`${l}.linear2`, F, D) },
      ffnNorm: w.norm(`${l}.norm2`, D, eps),
    };
  });
  return new DecoderOnlyModel(w.runtime, c, {
    embedding,
    positions: w.embedding('embed_positions.weight', c.maxPositions, D),
    blocks,
    finalNorm: c.finalNorm && w.has('final_norm.weight') ? w.norm('final_norm', D, eps) : undefined,
    lmHead: packTiedHead(w.runtime, embedding),
  });
}
