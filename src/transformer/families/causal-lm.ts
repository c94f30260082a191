// What the decoder-only families (llama.ts, gpt2.ts) read alike: their classes (the base model and
// …ForCausalLM, both run as a language model), and the special tokens of a causal LM, whose
// eos_token_id may be a list (Llama 3: [128001, 128009]) and whose pad_token_id is often null
// (generation then pads with the first EOS, as Hugging Face's generate() does).
import { showJson } from '../../io/json-bytes';
import { isTokenId, type ConfigReader } from '../config-reader';
import type { HeadKind, TransformerConfig } from '../config';

/** PREFIXModel and PREFIXForCausalLM (GPT-2: GPT2Model, GPT2LMHeadModel), neither with a task head. */
export function causalLmClasses(...names: string[]): Record<string, HeadKind | 'base'> {
  return Object.fromEntries(names.map((n) => [n, 'base' as const]));
}

/** An id or a list of ids (eos_token_id), each in [0, V); [] when null. */
export function tokenIds(r: ConfigReader, key: string, V: number, fallback: number[]): number[] {
  const v = r.json[key];
  if (v === undefined) return fallback.filter((id) => isTokenId(id, V));
  if (v === null) return [];
  const ids = Array.isArray(v) ? v : [v];
  if (ids.length === 0 || !ids.every((id) => isTokenId(id, V))) throw r.fail(key, `${key} must be a token id or a list of token ids in [0, ${V}), got ${showJson(v)}`);
  return ids as number[];
}

/** bos, eos (the first of a list; the others end generation too) and pad (null: the first EOS, else 0). */
export function causalLmTokens(r: ConfigReader, V: number, defaults: { bos: number; eos: number }):
  Pick<TransformerConfig, 'padTokenId' | 'bosTokenId' | 'eosTokenId' | 'moreEosTokenIds'> {
  const eos = tokenIds(r, 'eos_token_id', V, [defaults.eos]);
  const bos = r.json['bos_token_id'] === undefined && !isTokenId(defaults.bos, V) ? undefined : r.tokenId('bos_token_id', V, defaults.bos);
  const pad = r.json['pad_token_id'] === undefined ? undefined : r.tokenId('pad_token_id', V);
  const out: ReturnType<typeof causalLmTokens> = { padTokenId: pad ?? eos[0] ?? 0 };
  if (bos !== undefined) out.bosTokenId = bos;
  if (eos.length > 0) out.eosTokenId = eos[0];
  if (eos.length > 1) out.moreEosTokenIds = eos.slice(1);
  return out;
}
