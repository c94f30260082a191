// A checkpoint's generation defaults: generation_config.json, or when it is missing the same
// keys in config.json (as Hugging Face's GenerationConfig.from_model_config). Only the keys
// generate() here knows; the token ids (start, EOS, pad, bad words) come from config.json.
import { FormatError } from '../io/errors';
import { bomLength, parseJsonBytes, showJson } from '../io/json-bytes';
import type { GenerateOptions } from './generation';
import type { StepOptions } from './token-steps';

const KEYS = [
  ['max_length', 'maxLength'], ['min_length', 'minLength'], ['num_beams', 'numBeams'],
  ['length_penalty', 'lengthPenalty'], ['early_stopping', 'earlyStopping'], ['num_return_sequences', 'numReturnSequences'],
  ['renormalize_logits', 'renormalizeLogits'],
] as const;

/** What a checkpoint's generation config sets for generate() (and an encoder-decoder's translate(): sampling, max_new_tokens too). */
export interface GenerationDefaults extends GenerateOptions, SamplingDefaults {
  /** max_new_tokens: wins over max_length, as in HF. */
  maxNewTokens?: number;
}

/**
 * The generation defaults set in a checkpoint's JSON file (named `file` in errors: FormatErrors
 * with the key and its byte offset): the search's keys, the sampling ones (samplingDefaults) and
 * max_new_tokens.
 */
export function generationDefaults(json: Uint8Array | string, file: string): GenerationDefaults {
  const bytes = typeof json === 'string' ? new TextEncoder().encode(json) : json;
  const fail = (field: string, offset: number, what: string) => new FormatError(`${file}: ${what} (field ${field}, byte offset ${offset})`, field, offset);
  const bom = bomLength(bytes);
  const { value, keys } = parseJsonBytes(bytes, bom, bytes.length, { field: file, maxDepth: 64, subject: file, fail });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(file, bom, 'expected a JSON object');
  const out: Record<string, unknown> = {};
  for (const [key, option] of KEYS) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || v === null) continue;
    const ok = key === 'early_stopping' ? v === true || v === false || v === 'never'
      : key === 'renormalize_logits' ? v === true || v === false
      : key === 'length_penalty' ? typeof v === 'number' && Number.isFinite(v)
      : Number.isInteger(v) && (v as number) >= (key === 'min_length' ? 0 : key === 'max_length' ? 2 : 1);
    if (!ok) throw fail(key, keys.get(key) ?? 0, `${key} ${showJson(v)} is not a valid value`);
    out[option] = v;
  }
  // As generate() checks them together: refused here, naming the file, rather than at every call.
  const m = (value as Record<string, unknown>)['max_new_tokens'];
  if (m !== undefined && m !== null) {
    if (!Number.isSafeInteger(m) || (m as number) < 1) throw fail('max_new_tokens', keys.get('max_new_tokens') ?? 0, `max_new_tokens ${showJson(m)} is not an integer ≥ 1`);
    out['maxNewTokens'] = m;
  }
  const o = { ...out, ...samplingDefaults(bytes, file) } as GenerationDefaults;
  if ((o.numReturnSequences ?? 1) > (o.numBeams ?? 1)) {
    throw fail('num_return_sequences', keys.get('num_return_sequences') ?? 0,
      `num_return_sequences ${o.numReturnSequences} is more than num_beams (${o.numBeams ?? 1})`);
  }
  return o;
}

/** What a decoder-only checkpoint's generation config adds: max_new_tokens and the token ids generation uses. */
export interface GenerationTokens {
  maxNewTokens?: number;
  /** eos_token_id as a list (one id, or several: Llama 3's). */
  eos?: number[];
  pad?: number;
  bos?: number;
}

/**
 * max_new_tokens, eos_token_id (an id or a list), pad_token_id and bos_token_id of a generation
 * config (null: unset), each id in [0, V); FormatErrors name the key and its byte offset.
 */
export function generationTokens(json: Uint8Array | string, file: string, V: number): GenerationTokens {
  const bytes = typeof json === 'string' ? new TextEncoder().encode(json) : json;
  const fail = (field: string, offset: number, what: string) => new FormatError(`${file}: ${what} (field ${field}, byte offset ${offset})`, field, offset);
  const bom = bomLength(bytes);
  const { value, keys } = parseJsonBytes(bytes, bom, bytes.length, { field: file, maxDepth: 64, subject: file, fail });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(file, bom, 'expected a JSON object');
  const o = value as Record<string, unknown>, out: GenerationTokens = {};
  const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < V;
  const bad = (key: string, want: string) => fail(key, keys.get(key) ?? 0, `${key} ${showJson(o[key])} is not ${want}`);
  const m = o['max_new_tokens'];
  if (m !== undefined && m !== null) {
    if (!Number.isSafeInteger(m) || (m as number) < 1) throw bad('max_new_tokens', 'an integer ≥ 1');
    out.maxNewTokens = m as number;
  }
  const eos = o['eos_token_id'];
  if (eos !== undefined && eos !== null) {
    const ids = Array.isArray(eos) ? eos : [eos];
    if (ids.length === 0 || !ids.every(isId)) throw bad('eos_token_id', `a token id or a list of token ids in [0, ${V})`);
    out.eos = ids as number[];
  }
  for (const [key, field] of [['pad_token_id', 'pad'], ['bos_token_id', 'bos']] as const) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (!isId(v)) throw bad(key, `a token id in [0, ${V})`);
    out[field] = v as number;
  }
  return out;
}

/** The sampling defaults a generation config sets: those options of generate(), as token-steps.ts defines them. */
export type SamplingDefaults = Pick<StepOptions, 'doSample' | 'temperature' | 'topK' | 'topP' | 'minP' | 'repetitionPenalty'>;

/** Each sampling key with the values generate() accepts for it (as its options: see text-generation.ts). */
const SAMPLING_KEYS: readonly (readonly [string, keyof SamplingDefaults, (v: unknown) => boolean, string])[] = [
  ['do_sample', 'doSample', (v) => v === true || v === false, 'true or false'],
  ['temperature', 'temperature', (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a number ≥ 0'],
  ['top_k', 'topK', (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'an integer ≥ 0'],
  ['top_p', 'topP', (v) => typeof v === 'number' && v > 0 && v <= 1, 'a number in (0, 1]'],
  ['min_p', 'minP', (v) => typeof v === 'number' && v >= 0 && v <= 1, 'a number in [0, 1]'],
  ['repetition_penalty', 'repetitionPenalty', (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number > 0'],
];

/**
 * do_sample, temperature, top_k, top_p, min_p and repetition_penalty of a generation config (or
 * of config.json, where HF's GenerationConfig.from_model_config finds them when there is no
 * generation_config.json); null is unset. A value generate() would refuse is a FormatError naming
 * the key and its byte offset.
 */
export function samplingDefaults(json: Uint8Array | string, file: string): SamplingDefaults {
  const bytes = typeof json === 'string' ? new TextEncoder().encode(json) : json;
  const fail = (field: string, offset: number, what: string) => new FormatError(`${file}: ${what} (field ${field}, byte offset ${offset})`, field, offset);
  const bom = bomLength(bytes);
  const { value, keys } = parseJsonBytes(bytes, bom, bytes.length, { field: file, maxDepth: 64, subject: file, fail });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(file, bom, 'expected a JSON object');
  const o = value as Record<string, unknown>, out: Record<string, unknown> = {};
  for (const [key, option, ok, want] of SAMPLING_KEYS) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (!ok(v)) throw fail(key, keys.get(key) ?? 0, `${key} ${showJson(v)} is not ${want}`);
    out[option] = v;
  }
  return out as SamplingDefaults;
}
