// What a user of a decoder-only checkpoint (GPT-2, Llama, Mistral, Qwen2, SmolLM) calls:
// generate(prompt) → { text, ids }, stream(prompt) → text pieces, and logits(ids). Tokenization
// and detokenization by the checkpoint's tokenizer.json; generation with the checkpoint's defaults
// (generation_config.json: max_new_tokens, do_sample, temperature, top_k, top_p, min_p,
// repetition_penalty, its EOS list), which the caller's options override, as Hugging Face's
// generate() does. The prompt runs through the model in one pass, filling the KV cache; each new
// token then runs alone.
//
// Decoding: greedy search, sampling (sampling.ts: HF's warpers, a seeded xoshiro128**) or beam
// search (generation.ts). Greedy search and sampling go a token at a time, so they can stream,
// stop on a string and be aborted between tokens; beam search can only be aborted.
//
// Shape letters: T positions, V vocabulary, P prompt tokens.
import type { Tokenizer } from '@huggingface/tokenizers';
import { checkOptionNames, type ForeignOption } from '../io/option-names';
import type { DecoderOnlyModel } from './decoder-only';
import { beamSearch, searchOptions, tokenRules, type TokenRules } from './generation';
import type { SamplingDefaults } from './generation-config';
import { abortable, badOption, decodeSteps, runSteps, STEP_HF_NAMES, STEP_OPTIONS, stepRules, stepSettings, streamSteps, type Step, type StepOptions, type StepSettings } from './token-steps';
import type { ChatMessage, ChatTemplate, RenderChatOptions } from './chat-template';

/** What generate() and stream() take (Hugging Face's names in camelCase). */
export interface TextGenerationOptions extends StepOptions {
  /** New tokens at most (HF's max_new_tokens; default the checkpoint's, else up to 20 tokens in all, HF's max_length default). */
  maxNewTokens?: number;
  /** 1 (the default): greedy search or sampling; more: beam search (not with doSample, stop strings, onToken or stream()). */
  numBeams?: number;
  /** Beam hypotheses are scored log-prob / length ** lengthPenalty (default 1). */
  lengthPenalty?: number;
  /** Beam search: default false (HF's). */
  earlyStopping?: boolean | 'never';
  /**
   * A prompt that leaves no room for maxNewTokens in the model's positions: 'error' (the default)
   * refuses it when no position is left at all; 'truncate' drops its first tokens (after a leading
   * BOS, which stays) so that it and maxNewTokens fit, as a left-truncating tokenizer would.
   */
  truncation?: 'error' | 'truncate';
}

const OPTIONS = ['maxNewTokens', 'numBeams', 'lengthPenalty', 'earlyStopping', ...STEP_OPTIONS, 'truncation'] as const;

/** Hugging Face's names for our options (generate(**kwargs), generation_config.json). */
const HF_NAMES: Record<string, ForeignOption> = {
  ...STEP_HF_NAMES,
  ...Object.fromEntries([['num_beams', 'numBeams'], ['length_penalty', 'lengthPenalty'], ['early_stopping', 'earlyStopping']]
    .map(([hf, ours]) => [hf, { tool: 'Hugging Face', ours }])),
  max_length: { tool: 'Hugging Face', note: 'give maxNewTokens, the new tokens without the prompt' },
};

/** The defaults a checkpoint's generation_config.json sets (or config.json's same keys). */
export interface TextGenerationDefaults extends SamplingDefaults {
  maxNewTokens?: number;
  numBeams?: number;
  lengthPenalty?: number;
  earlyStopping?: boolean | 'never';
  /** max_length: the prompt and the new tokens together, when max_new_tokens is not set. */
  maxLength?: number;
}

export interface GenerationResult {
  /** The new tokens decoded, special tokens skipped (the prompt not included). */
  text: string;
  /** The new token ids (the prompt not included; an EOS or stop id that ended generation is the last). */
  ids: number[];
}

/** One generate() call, checked and resolved. */
interface Plan {
  where: string;
  /** The prompt's ids (truncated when asked). */
  prompt: number[];
  /** The prompt and the new tokens together, at most the model's positions. */
  maxLength: number;
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean | 'never';
  settings: StepSettings;
  rules: TokenRules;
  signal: AbortSignal | undefined;
}

export class TextGenerationModel {
  readonly kind = 'decoder' as const;
  readonly model: DecoderOnlyModel;
  readonly tokenizer: Tokenizer;
  readonly generationDefaults: TextGenerationDefaults;
  /** Ids below V the tokenizer has no token for (a vocabulary padded to a round size): never generated. */
  private undecodable: number[] | undefined;

  /** The checkpoint's chat template (chat_template.jinja, or tokenizer_config.json's chat_template); undefined when it has none. */
  readonly chatTemplate: ChatTemplate | undefined;

  constructor(model: DecoderOnlyModel, tokenizer: Tokenizer, generationDefaults: TextGenerationDefaults = {}, chatTemplate?: ChatTemplate) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.generationDefaults = generationDefaults;
    this.chatTemplate = chatTemplate;
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
   * Continues the prompt (a string or token ids) until an EOS (any of an eos_token_id list), a
   * stop id or string, or maxNewTokens: greedy search, sampling (doSample, with a seed for
   * reproducible tokens) or beam search (numBeams > 1). onToken sees each token as it comes; an
   * aborted signal throws its reason between tokens. A prompt that leaves no room in the model's
   * positions is refused unless truncation: 'truncate'.
   */
  generate(prompt: string | number[], options: TextGenerationOptions = {}): GenerationResult {
    const plan = this.plan(prompt, options, 'generate');
    if (plan.numBeams > 1) return this.beamSearch(plan);
    return runSteps(this.steps(plan), plan.settings.onToken);
  }

  /**
   * generate() as an async iterator of text pieces (greedy search or sampling): each piece is
   * valid UTF-8 text (a character split across byte-level tokens comes out whole), and the pieces
   * concatenate to generate()'s text for the same options and seed. Between tokens it yields to
   * the event loop, so a page can repaint and an abort can arrive; an aborted signal makes the
   * iteration reject with its reason. Leaving the loop early (break) frees the KV cache.
   */
  stream(prompt: string | number[], options: TextGenerationOptions = {}): AsyncGenerator<string, void, undefined> {
    const plan = this.plan(prompt, options, 'stream');
    if (plan.numBeams > 1) throw new Error('stream: option numBeams must be 1 (greedy search or sampling): beam search only knows its output at the end');
    return streamSteps(this.steps(plan), plan.settings.onToken);
  }

  /** Greedy search or sampling (token-steps.ts): the prompt prefilled in one pass, then each token fed alone with the KV cache. */
  private steps(plan: Plan): Generator<Step, void, undefined> {
    return decodeSteps({
      prompt: plan.prompt, maxLength: plan.maxLength, rules: plan.rules, settings: plan.settings, tokenizer: this.tokenizer,
      open: () => this.model.stepDecoder(1, plan.maxLength),
    });
  }

  /** HF's beam search (generation.ts), the signal checked before each step. */
  private beamSearch(plan: Plan): GenerationResult {
    const { prompt, signal } = plan;
    signal?.throwIfAborted();
    const decoder = this.model.stepDecoder(plan.numBeams, plan.maxLength);
    const guarded = abortable(decoder, signal);
    let sequence: number[];
    try {
      const o = { maxLength: plan.maxLength, numBeams: plan.numBeams, lengthPenalty: plan.lengthPenalty, earlyStopping: plan.earlyStopping, numReturnSequences: 1, renormalizeLogits: false };
      sequence = beamSearch(guarded, [prompt], plan.rules, o).sequences[0]!;
    } finally {
      decoder.free();
    }
    const out = sequence.slice(prompt.length);
    // Finished rows are padded (beam search pads to the longest): the padding after an EOS is not output.
    const end = out.findIndex((t) => plan.rules.stops.has(t));
    const ids = end < 0 ? out : out.slice(0, end + 1);
    return { text: this.tokenizer.decode(ids, { skip_special_tokens: true }), ids };
  }

  /** The options checked against the checkpoint's defaults and the prompt; every refusal names the option. */
  private plan(prompt: string | number[], options: TextGenerationOptions, where: string): Plan {
    if (options === null || typeof options !== 'object') throw new Error(`${where}: options must be an object, got ${String(options)}`);
    checkOptionNames(where, options, [...OPTIONS], HF_NAMES);
    let ids = this.encode(prompt, where);
    if (ids.length === 0) throw new Error(`${where}: the prompt has no tokens (give text, or ids, at least one)`);
    // An option given as undefined keeps the checkpoint's value.
    const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TextGenerationOptions;
    const d = this.generationDefaults, o = { ...d, ...set };
    const c = this.config, max = c.maxPositions, V = c.vocabSize;
    const bad = badOption(where);

    const truncation = o.truncation ?? 'error';
    if (truncation !== 'error' && truncation !== 'truncate') throw bad('truncation', "'error' or 'truncate'", truncation);
    // HF: max_new_tokens wins over max_length; without either, max_length 20 (the prompt included).
    if (o.maxNewTokens !== undefined && (!Number.isSafeInteger(o.maxNewTokens) || o.maxNewTokens < 1)) throw bad('maxNewTokens', 'an integer ≥ 1', o.maxNewTokens);
    let maxNewTokens = o.maxNewTokens ?? (o.maxLength ?? 20) - ids.length;
    if (maxNewTokens < 1) {
      if (truncation === 'error') {
        throw new Error(`${where}: the prompt's ${ids.length} tokens leave none of max_length ${o.maxLength ?? 20} to generate; give option maxNewTokens`);
      }
      maxNewTokens = 1;
    }
    if (ids.length + maxNewTokens > max && truncation === 'truncate') {
      ids = truncateLeft(ids, Math.max(1, max - maxNewTokens), c.bosTokenId);
    }
    const P = ids.length;
    if (P >= max) {
      throw new Error(`${where}: the prompt has ${P} tokens, and the model's positions end at ${max}: no room for a new token; pass truncation: 'truncate' to keep its last tokens`);
    }
    const maxLength = Math.min(P + maxNewTokens, max);
    // Checks numBeams, lengthPenalty and earlyStopping, naming them.
    const search = searchOptions({ maxLength, numBeams: o.numBeams, lengthPenalty: o.lengthPenalty, earlyStopping: o.earlyStopping }, max, where);

    const settings = stepSettings(o, V, bad);
    const { sampling, stopStrings } = settings;

    if (search.numBeams > 1) {
      const refuse = (what: string) => new Error(`${where}: ${what} is not supported with beam search (numBeams ${search.numBeams}); give numBeams: 1`);
      // A checkpoint whose generation config samples by default: the caller's beams win only with doSample false said.
      if (sampling.doSample) {
        throw new Error(`${where}: sampling (doSample${set.doSample === undefined ? ': the checkpoint\'s do_sample' : ''}) is not supported with beam search (numBeams ${search.numBeams}); give doSample: false, or numBeams: 1`);
      }
      if (stopStrings.length) throw refuse('option stop with strings');
      if (o.onToken) throw refuse('option onToken');
      if (sampling.repetitionPenalty !== 1) throw refuse(`option repetitionPenalty${set.repetitionPenalty === undefined ? ' (the checkpoint\'s repetition_penalty)' : ''}`);
    }

    return {
      where, prompt: ids, maxLength, numBeams: search.numBeams, lengthPenalty: search.lengthPenalty, earlyStopping: search.earlyStopping,
      settings, rules: stepRules(tokenRules(c, 0), settings, this.undecodableIds()), signal: settings.signal,
    };
  }

  /** The ids below V the tokenizer cannot decode (computed once). */
  private undecodableIds(): number[] {
    if (!this.undecodable) {
      const out: number[] = [];
      for (let id = 0; id < this.config.vocabSize; id++) if (this.tokenizer.id_to_token(id) === undefined) out.push(id);
      this.undecodable = out;
    }
    return this.undecodable;
  }

  dispose(): void {
    this.model.dispose();
  }

  /**
   * Answers a conversation: the messages rendered with the checkpoint's chat template (with the
   * assistant's header: addGenerationPrompt defaults to true), tokenized without adding special
   * tokens again (the template writes them, as Hugging Face's apply_chat_template(tokenize=True)),
   * then generate() with the other options. Returns the reply's { text, ids }.
   */
  chat(messages: ChatMessage[], options: ChatOptions = {}): GenerationResult {
    if (!this.chatTemplate) throw new Error('chat: the checkpoint has no chat template (tokenizer_config.json has no chat_template, and there is no chat_template.jinja); use generate() with a prompt');
    if (options === null || typeof options !== 'object') throw new Error(`chat: options must be an object, got ${String(options)}`);
    const { addGenerationPrompt = true, tools, documents, variables, ...generation } = options;
    checkOptionNames('chat', generation, [...OPTIONS]);
    const text = this.chatTemplate.render(messages, { addGenerationPrompt, tools, documents, variables });
    const ids = (this.tokenizer.encode as (t: string, o: { add_special_tokens: boolean }) => { ids: number[] })(text, { add_special_tokens: false }).ids;
    return this.generate(ids, generation);
  }
}

/** chat()'s options: generate()'s, and what the template reads besides the messages. */
export type ChatOptions = TextGenerationOptions & Pick<RenderChatOptions, 'addGenerationPrompt' | 'tools' | 'documents' | 'variables'>;

/** The last `keep` ids, after the first when it is the BOS (a model expects it at position 0). */
function truncateLeft(ids: number[], keep: number, bos: number | undefined): number[] {
  if (ids.length <= keep) return ids;
  if (keep > 1 && bos !== undefined && ids[0] === bos) return [bos, ...ids.slice(ids.length - keep + 1)];
  return ids.slice(ids.length - keep);
}

