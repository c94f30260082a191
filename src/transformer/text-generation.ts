// What a user of a decoder-only checkpoint (GPT-2, Llama, Mistral, Qwen2, SmolLM) calls:
// generate(prompt) → { text, ids }, and logits(ids). Tokenization and detokenization by the
// checkpoint's tokenizer.json; generation with the checkpoint's defaults (generation_config.json),
// which the caller's options override, as Hugging Face's generate() does. The prompt runs through
// the model in one pass, filling the KV cache; each new token then runs alone.
//
// Shape letters: T positions, V vocabulary.
import type { Tokenizer } from '@huggingface/tokenizers';
import { checkOptionNames } from '../io/option-names';
import type { DecoderOnlyModel } from './decoder-only';

/** What generate() takes (Hugging Face's names in camelCase). */
export interface TextGenerationOptions {
  /** New tokens at most (HF's max_new_tokens; default the checkpoint's, else up to 20 tokens in all, HF's max_length default). */
  maxNewTokens?: number;
  /** 1 (the default): greedy search; more: beam search. */
  numBeams?: number;
  /** Beam hypotheses are scored log-prob / length ** lengthPenalty (default 1). */
  lengthPenalty?: number;
  /** Beam search: default false (HF's). */
  earlyStopping?: boolean | 'never';
}

const OPTIONS = ['maxNewTokens', 'numBeams', 'lengthPenalty', 'earlyStopping'] as const;

/** The defaults a checkpoint's generation_config.json sets (or config.json's same keys). */
export interface TextGenerationDefaults extends TextGenerationOptions {
  /** max_length: the prompt and the new tokens together, when max_new_tokens is not set. */
  maxLength?: number;
}

export interface GenerationResult {
  /** The new tokens decoded, special tokens skipped (the prompt not included). */
  text: string;
  /** The new token ids (the prompt not included; an EOS that ended generation is the last). */
  ids: number[];
}

export class TextGenerationModel {
  readonly kind = 'decoder' as const;
  readonly model: DecoderOnlyModel;
  readonly tokenizer: Tokenizer;
  readonly generationDefaults: TextGenerationDefaults;

  constructor(model: DecoderOnlyModel, tokenizer: Tokenizer, generationDefaults: TextGenerationDefaults = {}) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.generationDefaults = generationDefaults;
  }

  get config() {
    return this.model.config;
  }

  /** Token ids of a prompt: a string through the tokenizer (its template adds a BOS where the checkpoint's does), or ids as given. */
  encode(prompt: string | number[], where: string): number[] {
    if (typeof prompt === 'string') return this.tokenizer.encode(prompt).ids;
    if (!Array.isArray(prompt)) throw new Error(`${where}: the prompt must be a string or an array of token ids`);
    return prompt;
  }

  /** The logits after every position of one sequence of ids: T × V, row t predicting token t + 1. */
  logits(ids: number[]): Float32Array {
    const { lastHiddenState } = this.forward([ids]);
    return this.model.logits(lastHiddenState, ids.length);
  }

  /** Hidden states of rows of ids of one length (the final-normed ones; every layer's when asked). */
  forward(inputIds: number[][], outputHiddenStates = false) {
    return this.model.forward(inputIds, outputHiddenStates);
  }

  /**
   * Continues the prompt (a string or token ids) with greedy or beam search until an EOS (any of
   * an eos_token_id list) or maxNewTokens. A prompt that leaves no room in the model's positions
   * is refused.
   */
  generate(prompt: string | number[], options: TextGenerationOptions = {}): GenerationResult {
    checkOptionNames('generate', options, [...OPTIONS]);
    const ids = this.encode(prompt, 'generate');
    if (ids.length === 0) throw new Error('generate: the prompt has no tokens (give text, or ids, at least one)');
    const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TextGenerationOptions;
    const d = this.generationDefaults, o = { ...d, ...set };
    const P = ids.length, max = this.config.maxPositions;
    // HF: max_new_tokens wins over max_length; without either, max_length 20 (the prompt included).
    const maxNewTokens = o.maxNewTokens ?? (o.maxLength ?? 20) - P;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
      throw new Error(o.maxNewTokens === undefined
        ? `generate: the prompt's ${P} tokens leave none of max_length ${o.maxLength ?? 20} to generate; give option maxNewTokens`
        : `generate: option maxNewTokens must be an integer ≥ 1, got ${String(o.maxNewTokens)}`);
    }
    if (P >= max) throw new Error(`generate: the prompt has ${P} tokens, and the model's positions end at ${max}: no room for a new token`);
    const sequences = this.model.generate([ids], {
      maxLength: Math.min(P + maxNewTokens, max),
      numBeams: o.numBeams, lengthPenalty: o.lengthPenalty, earlyStopping: o.earlyStopping,
    });
    const out = sequences[0]!.slice(P);
    // Finished rows are padded (beam search pads to the longest): the padding after an EOS is not output.
    const stops = new Set([this.config.eosTokenId, ...(this.config.moreEosTokenIds ?? [])]);
    const end = out.findIndex((t) => stops.has(t));
    const newIds = end < 0 ? out : out.slice(0, end + 1);
    return { text: this.tokenizer.decode(newIds, { skip_special_tokens: true }), ids: newIds };
  }

  dispose(): void {
    this.model.dispose();
  }
}
