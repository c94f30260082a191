// A checkpoint's generation defaults: generation_config.json, or when it is missing the same
// keys in config.json (as Hugging Face's GenerationConfig.from_model_config). Only the keys
// generate() here knows; the token ids (start, EOS, pad, bad words) come from config.json, or a
// decoder's generation_config.json.
import { FormatError } from '../io/errors';
import { bomLength, parseJsonBytes, showJson } from '../io/json-bytes';
import type { GenerateOptions } from './generation';
import type { StepOptions } from './token-steps';

const KEYS = [
  ['max_length', 'maxLength'], ['min_length', 'minLength'], ['num_beams', 'numBeams'],
  ['length_penalty', 'lengthPenalty'], ['early_stopping', 'earlyStopping'], ['num_return_sequences', 'numReturnSequences'],
  ['renormalize_logits', 'renormalizeLogits'],
] as const;

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

/** What a checkpoint's generation config sets for generate() (and an encoder-decoder's translate(): sampling, max_new_tokens too). */
export interface GenerationDefaults extends GenerateOptions, SamplingDefaults {
  /** max_new_tokens: wins over max_length, as in HF. */
  maxNewTokens?: number;
}

/** The token ids a decoder-only checkpoint's generation config sets for generation. */
export interface GenerationTokens {
  /** eos_token_id as a list (one id, or several: Llama 3's). */
  eos?: number[];
  pad?: number;
  bos?: number;
}

/**
 * A generation config (generation_config.json, or config.json), parsed once. Every value is
 * checked as generate() would check it; a bad one is a FormatError naming the file, the key and
 * its byte offset (null is unset).
 */
export class GenerationConfigFile {
  private readonly o: Record<string, unknown>;
  private readonly keys: Map<string, number>;

  constructor(json: Uint8Array | string, readonly file: string) {
    const bytes = typeof json === 'string' ? new TextEncoder().encode(json) : json;
    const bom = bomLength(bytes);
    const { value, keys } = parseJsonBytes(bytes, bom, bytes.length, { field: file, maxDepth: 64, subject: file, fail: this.fail });
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.fail(file, bom, 'expected a JSON object');
    this.o = value as Record<string, unknown>;
    this.keys = keys;
  }

  /** The search's keys, the sampling ones (sampling()) and max_new_tokens. */
  defaults(): GenerationDefaults {
    const out: Record<string, unknown> = {};
    for (const [key, option] of KEYS) {
      const v = this.set(key);
      if (v === undefined) continue;
      const ok = key === 'early_stopping' ? v === true || v === false || v === 'never'
        : key === 'renormalize_logits' ? v === true || v === false
        : key === 'length_penalty' ? typeof v === 'number' && Number.isFinite(v)
        : Number.isInteger(v) && (v as number) >= (key === 'min_length' ? 0 : key === 'max_length' ? 2 : 1);
      if (!ok) throw this.bad(key, 'a valid value');
      out[option] = v;
    }
    const m = this.set('max_new_tokens');
    if (m !== undefined) {
      if (!Number.isSafeInteger(m) || (m as number) < 1) throw this.bad('max_new_tokens', 'an integer ≥ 1');
      out['maxNewTokens'] = m;
    }
    const o = { ...out, ...this.sampling() } as GenerationDefaults;
    // As generate() checks them together: refused here, naming the file, rather than at every call.
    if ((o.numReturnSequences ?? 1) > (o.numBeams ?? 1)) {
      throw this.fail('num_return_sequences', this.keys.get('num_return_sequences') ?? 0,
        `num_return_sequences ${o.numReturnSequences} is more than num_beams (${o.numBeams ?? 1})`);
    }
    return o;
  }

  /** eos_token_id (an id or a list), pad_token_id and bos_token_id, each id in [0, V). */
  tokens(V: number): GenerationTokens {
    const out: GenerationTokens = {};
    const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < V;
    const eos = this.set('eos_token_id');
    if (eos !== undefined) {
      const ids = Array.isArray(eos) ? eos : [eos];
      if (ids.length === 0 || !ids.every(isId)) throw this.bad('eos_token_id', `a token id or a list of token ids in [0, ${V})`);
      out.eos = ids as number[];
    }
    for (const [key, field] of [['pad_token_id', 'pad'], ['bos_token_id', 'bos']] as const) {
      const v = this.set(key);
      if (v === undefined) continue;
      if (!isId(v)) throw this.bad(key, `a token id in [0, ${V})`);
      out[field] = v as number;
    }
    return out;
  }

  /**
   * do_sample, temperature, top_k, top_p, min_p and repetition_penalty (config.json has them
   * where HF's GenerationConfig.from_model_config finds them when there is no generation_config.json).
   */
  private sampling(): SamplingDefaults {
    const out: Record<string, unknown> = {};
    for (const [key, option, ok, want] of SAMPLING_KEYS) {
      const v = this.set(key);
      if (v === undefined) continue;
      if (!ok(v)) throw this.bad(key, want);
      out[option] = v;
    }
    return out as SamplingDefaults;
  }

  /** The value of `key`, or undefined when it is missing or null. */
  private set(key: string): unknown {
    const v = this.o[key];
    return v === null ? undefined : v;
  }

  private bad(key: string, want: string): FormatError {
    return this.fail(key, this.keys.get(key) ?? 0, `${key} ${showJson(this.o[key])} is not ${want}`);
  }

  private readonly fail = (field: string, offset: number, what: string): FormatError =>
    new FormatError(`${this.file}: ${what} (field ${field}, byte offset ${offset})`, field, offset);
}

/** The generation defaults set in a checkpoint's JSON file (GenerationConfigFile's defaults()). */
export function generationDefaults(json: Uint8Array | string, file: string): GenerationDefaults {
  return new GenerationConfigFile(json, file).defaults();
}
