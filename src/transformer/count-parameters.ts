// How many parameters a TransformerConfig has, piece by piece, as PyTorch's
// sum(p.numel() for p in model.parameters()) counts them: a tied or shared matrix once, buffers
// (Marian's final_logits_bias) not at all, and sinusoidal position tables never (HF keeps
// Marian's in frozen Parameters, so its model.num_parameters() includes them; only_trainable
// does not).
//
// Shapes (D = dModel, F = dFF, V = vocabSize, P = maxPositions, types = typeVocabSize, C = labels):
//   embeddings   tokens V·D (twice in an encoder-decoder that does not share them), learned
//                positions P·D per stack, token types types·D, a LayerNorm per stack if embeddingNorm
//   attention    q, k, v, o: 4·D² weights + 4·D biases; with heads of their own width and
//                grouped-query attention (Llama) q D→H·Dh, k and v D→KVH·Dh, o H·Dh→D, the
//                biases only where config.linearBiases puts them (Qwen2: q, k, v); cross-attention
//                q, k, v D→H·Dh, o H·Dh→D (T5's d_kv)
//   FFN          D→F→D: 2·D·F weights + F + D biases; gated (SwiGLU) one more D→F
//   LayerNorm    D gammas + D betas (an RMSNorm: D gammas)
//   encoder layer   self-attention, its LayerNorm, FFN, its LayerNorm
//   decoder layer   self-attention, LayerNorm, cross-attention (encoder-decoder only), LayerNorm,
//                   FFN, LayerNorm; a final LayerNorm per stack when finalNorm
//   heads        the family's (families/*.ts countExtras): BERT's pooler D² + D, a classifier
//                D·C + C (DistilBERT, RoBERTa and MPNet add a dense D² + D before it), QA's
//                D·2 + 2, a masked-LM head's transform D² + D, norm and V biases (and V·D for a
//                decoder not tied to the embedding); MPNet's relative bias buckets·H (T5's: one
//                table per stack, 'encoder.relativeBias' and 'decoder.relativeBias'); output
//                projection V·D when it is not tied to the token embedding
import { validateConfig, type TransformerConfig } from './config';
import { familyOf } from './families/index';

export interface CountOptions {
  /** Linear-layer biases (default true). */
  biases?: boolean;
  /** LayerNorm betas (default true). */
  layerNormBetas?: boolean;
  /** LayerNorm gammas (default true). */
  layerNormGammas?: boolean;
  /** Learned position tables (default true). Sinusoidal tables are never parameters. */
  positions?: boolean;
  /** The embedding block: token, position and token-type tables and the embedding LayerNorm (default true). */
  embeddings?: boolean;
  /** Count a tied output projection again, as its own V·d (default false: PyTorch counts a tied matrix once). */
  tiedOutput?: boolean;
  /** The base model's pooler, dense d×d + bias (default: as the family's class has it: BertModel does, BertForMaskedLM does not). */
  pooler?: boolean;
  /** The task head of config.head (default true). */
  head?: boolean;
  /** Marian's final_logits_bias, V values (default false: it is a buffer, not a parameter). */
  finalLogitsBias?: boolean;
}

export interface ParameterCount {
  total: number;
  /** The embedding block. */
  embeddings: number;
  /** All encoder layers and the encoder's final LayerNorm. */
  encoder: number;
  /** All decoder layers and the decoder's final LayerNorm. */
  decoder: number;
  /** Pooler, classifier, untied output projection, final_logits_bias. */
  head: number;
  perEncoderLayer: number;
  perDecoderLayer: number;
  /**
   * Every piece, summed over layers: 'embeddings.tokens', 'embeddings.positions',
   * 'embeddings.tokenTypes', 'embeddings.norm', 'encoder.selfAttention',
   * 'encoder.selfAttentionNorm', 'encoder.ffn', 'encoder.ffnNorm', 'encoder.finalNorm',
   * 'decoder.selfAttention', 'decoder.selfAttentionNorm', 'decoder.crossAttention',
   * 'decoder.crossAttentionNorm', 'decoder.ffn', 'decoder.ffnNorm', 'decoder.finalNorm',
   * 'encoder.relativeBias', 'decoder.relativeBias', 'head.pooler', 'head.preClassifier', 'head.classifier', 'head.qa',
   * 'head.maskedLm', 'head.output', 'head.finalLogitsBias'.
   * Pieces a model does not have are 0.
   */
  breakdown: Record<string, number>;
}

const OPTION_KEYS = ['biases', 'layerNormBetas', 'layerNormGammas', 'positions', 'embeddings', 'tiedOutput', 'pooler',
  'head', 'finalLogitsBias'] as const;

export function countParameters(config: TransformerConfig, options: CountOptions = {}): ParameterCount {
  validateConfig(config);
  for (const [k, v] of Object.entries(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(k)) throw new Error(`countParameters: unknown option ${k} (known: ${OPTION_KEYS.join(', ')})`);
    if (v !== undefined && typeof v !== 'boolean') throw new Error(`countParameters: option ${k} must be true or false, got ${String(v)}`);
  }
  const biases = (options.biases ?? true) && config.bias;
  const gammas = options.layerNormGammas ?? true;
  const betas = options.layerNormBetas ?? true;
  const withEmbeddings = options.embeddings ?? true;
  const { dModel: D, dFF: F, vocabSize: V } = config;
  const encoderDecoder = config.kind === 'encoder-decoder';
  const hasDecoder = config.kind !== 'encoder';
  /** Stacks that embed tokens: one, or two in an encoder-decoder. */
  const stacks = encoderDecoder ? 2 : 1;

  const linear = (inputs: number, outputs: number, bias = true) => inputs * outputs + (biases && bias ? outputs : 0);
  // An RMSNorm has no beta.
  const norm = (gammas ? D : 0) + (betas && config.normKind !== 'rms' ? D : 0);
  // Queries of H·Dh, keys and values of KVH·Dh (grouped-query attention), D without either; and
  // which projections have biases when not all do (Qwen2: q, k, v).
  const lb = config.linearBiases ?? { qkv: true, o: true, ffn: true };
  const Q = config.heads * config.dHead, KV = (config.kvHeads ?? config.heads) * config.dHead;
  const selfAttention = linear(D, Q, lb.qkv) + 2 * linear(D, KV, lb.qkv) + linear(Q, D, lb.o);
  // Cross-attention: all H heads of Dh for keys and values too (T5's d_kv: H·Dh need not be D).
  const attention = 3 * linear(D, Q, lb.qkv) + linear(Q, D, lb.o);
  const ffn = (config.gatedFfn ? 2 : 1) * linear(D, F, lb.ffn) + linear(F, D, lb.ffn);

  const b: Record<string, number> = {};
  // Embeddings.
  const shared = !encoderDecoder || (config.shareEncoderDecoderEmbeddings ?? true);
  b['embeddings.tokens'] = withEmbeddings ? V * D * (shared ? 1 : 2) : 0;
  b['embeddings.positions'] = withEmbeddings && (options.positions ?? true) && config.positions === 'learned'
    ? config.maxPositions * D * stacks : 0;
  b['embeddings.tokenTypes'] = withEmbeddings ? config.typeVocabSize * D : 0;
  b['embeddings.norm'] = withEmbeddings && config.embeddingNorm ? norm * stacks : 0;

  // Encoder.
  const L = config.encoderLayers;
  b['encoder.selfAttention'] = L * selfAttention;
  b['encoder.selfAttentionNorm'] = L * norm;
  b['encoder.ffn'] = L * ffn;
  b['encoder.ffnNorm'] = L * norm;
  b['encoder.finalNorm'] = L > 0 && config.finalNorm ? norm : 0;

  // Decoder.
  const M = config.decoderLayers;
  b['decoder.selfAttention'] = M * selfAttention;
  b['decoder.selfAttentionNorm'] = M * norm;
  b['decoder.crossAttention'] = encoderDecoder ? M * attention : 0;
  b['decoder.crossAttentionNorm'] = encoderDecoder ? M * norm : 0;
  b['decoder.ffn'] = M * ffn;
  b['decoder.ffnNorm'] = M * norm;
  b['decoder.finalNorm'] = M > 0 && config.finalNorm ? norm : 0;

  // Heads, and what else the family adds.
  for (const key of ['encoder.relativeBias', 'decoder.relativeBias', 'head.pooler', 'head.preClassifier', 'head.classifier', 'head.qa', 'head.maskedLm']) b[key] = 0;
  Object.assign(b, familyOf(config.family)?.countExtras(config, linear, norm, { pooler: options.pooler, head: options.head }));
  b['head.output'] = hasDecoder && (!config.tieWordEmbeddings || (options.tiedOutput ?? false)) ? V * D : 0;
  b['head.finalLogitsBias'] = options.finalLogitsBias ?? false ? V : 0;

  const sum = (prefix: string) => Object.entries(b).reduce((s, [k, v]) => (k.startsWith(prefix) ? s + v : s), 0);
  const embeddings = sum('embeddings.'), encoder = sum('encoder.'), decoder = sum('decoder.'), head = sum('head.');
  return {
    total: embeddings + encoder + decoder + head,
    embeddings, encoder, decoder, head,
    perEncoderLayer: L > 0 ? selfAttention + 2 * norm + ffn : 0,
    perDecoderLayer: M > 0 ? selfAttention + 2 * norm + ffn + (encoderDecoder ? attention + norm : 0) : 0,
    breakdown: b,
  };
}
