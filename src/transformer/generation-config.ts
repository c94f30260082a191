// A checkpoint's generation defaults: generation_config.json, or when it is missing the same
// keys in config.json (as Hugging Face's GenerationConfig.from_model_config). Only the keys
// generate() here knows; the token ids (start, EOS, pad, bad words) come from config.json.
import type { GenerateOptions } from './generation';

const KEYS = [
  ['max_length', 'maxLength'], ['min_length', 'minLength'], ['num_beams', 'numBeams'],
  ['length_penalty', 'lengthPenalty'], ['early_stopping', 'earlyStopping'], ['num_return_sequences', 'numReturnSequences'],
] as const;

/** The generate() defaults a checkpoint's JSON sets (`file` names it in errors). */
export function generationDefaults(json: string, file: string): GenerateOptions {
  let c: unknown;
  try {
    c = JSON.parse(json);
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new Error(`${file} must hold a JSON object`);
  const out: Record<string, unknown> = {};
  for (const [key, option] of KEYS) {
    const v = (c as Record<string, unknown>)[key];
    if (v === undefined || v === null) continue;
    const ok = key === 'early_stopping' ? v === true || v === false || v === 'never'
      : key === 'length_penalty' ? typeof v === 'number' && Number.isFinite(v)
      : Number.isInteger(v) && (v as number) >= 0;
    if (!ok) throw new Error(`${file}: ${key} ${JSON.stringify(v)} is not a valid value`);
    out[option] = v;
  }
  return out as GenerateOptions;
}
