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
import { argmax, beamSearch, processScores, searchOptions, type StepDecoder, tokenRules, type TokenRules } from './generation';
import type { SamplingDefaults } from './generation-config';
import { drawToken, randomSeed, softmax, type SamplingSettings, warpScores, Xoshiro128 } from './sampling';
import { TextStream } from './stream-text';
import type { ChatMessage, ChatTemplate, RenderChatOptions } from './chat-template';

/** What generate() and stream() take (Hugging Face's names in camelCase). */
export interface TextGenerationOptions {
  /** New tokens at most (HF's max_new_tokens; default the checkpoint's, else up to 20 tokens in all, HF's max_length default). */
  maxNewTokens?: number;
  /** 1 (the default): greedy search or sampling; more: beam search (not with doSample, stop strings, onToken or stream()). */
  numBeams?: number;
  /** Beam hypotheses are scored log-prob / length ** lengthPenalty (default 1). */
  lengthPenalty?: number;
  /** Beam search: default false (HF's). */
  earlyStopping?: boolean | 'never';
  /** Sample instead of taking the best token (HF's do_sample; default the checkpoint's, else false). */
  doSample?: boolean;
  /** ≥ 0; sampling divides the logits by it (default the checkpoint's, else 1). 0 means greedy search. */
  temperature?: number;
  /** Sampling keeps the topK best tokens; 0 keeps all (default the checkpoint's, else 50, as HF). */
  topK?: number;
  /** In (0, 1]: sampling keeps the fewest best tokens whose probability reaches topP (default the checkpoint's, else 1). */
  topP?: number;
  /** In [0, 1]: sampling drops tokens less probable than minP × the best token's probability (default the checkpoint's, else off). */
  minP?: number;
  /** > 0: scores of tokens already in the sequence, the prompt included, are divided (positive) or multiplied (negative) by it; greedy search and sampling (default the checkpoint's, else 1). */
  repetitionPenalty?: number;
  /** An integer in [0, 2^53): the same seed gives the same sampled tokens (default: a random one). */
  seed?: number;
  /**
   * Strings or token ids that end generation: an id when it is generated (as an EOS), a string
   * when the generated text contains it. Like HF's stop_strings, the output keeps the stop string
   * (and the rest of the token that completed it).
   */
  stop?: string | number | readonly (string | number)[];
  /** Called with each new token and the text it completes ('' while a character is incomplete); the pieces concatenate to the text. */
  onToken?: (piece: string, id: number) => void;
  /** Aborting it stops generation between tokens: generate() throws, stream() rejects, with the signal's reason (an AbortError). */
  signal?: AbortSignal;
  /**
   * A prompt that leaves no room for maxNewTokens in the model's positions: 'error' (the default)
   * refuses it when no position is left at all; 'truncate' drops its first tokens (after a leading
   * BOS, which stays) so that it and maxNewTokens fit, as a left-truncating tokenizer would.
   */
  truncation?: 'error' | 'truncate';
}

const OPTIONS = [
  'maxNewTokens', 'numBeams', 'lengthPenalty', 'earlyStopping', 'doSample', 'temperature', 'topK', 'topP', 'minP',
  'repetitionPenalty', 'seed', 'stop', 'onToken', 'signal', 'truncation',
] as const;

/** Hugging Face's names for our options (generate(**kwargs), generation_config.json). */
const HF_NAMES: Record<string, ForeignOption> = Object.fromEntries([
  ['max_new_tokens', 'maxNewTokens'], ['num_beams', 'numBeams'], ['length_penalty', 'lengthPenalty'], ['early_stopping', 'earlyStopping'],
  ['do_sample', 'doSample'], ['top_k', 'topK'], ['top_p', 'topP'], ['min_p', 'minP'], ['repetition_penalty', 'repetitionPenalty'],
  ['stop_strings', 'stop'], ['eos_token_id', 'stop'], ['random_seed', 'seed'],
].map(([hf, ours]) => [hf, { tool: 'Hugging Face', ours }]));
HF_NAMES['max_length'] = { tool: 'Hugging Face', note: 'give maxNewTokens, the new tokens without the prompt' };
HF_NAMES['streamer'] = { tool: 'Hugging Face', note: 'use stream(prompt, options) or the onToken option' };

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
  sampling: SamplingSettings;
  seed: number;
  rules: TokenRules;
  stopStrings: string[];
  onToken: ((piece: string, id: number) => void) | undefined;
  signal: AbortSignal | undefined;
}

/** One step of greedy search or sampling: the token and the text it completes. */
interface Step {
  id: number;
  piece: string;
  /** The text of every new token so far. */
  text: string;
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
    const ids: number[] = [];
    let text = '';
    for (const step of this.steps(plan)) {
      ids.push(step.id);
      text = step.text;
      plan.onToken?.(step.piece, step.id);
    }
    return { text, ids };
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
    return this.streamSteps(plan);
  }

  private async *streamSteps(plan: Plan): AsyncGenerator<string, void, undefined> {
    for (const step of this.steps(plan)) {
      plan.onToken?.(step.piece, step.id);
      if (step.piece) yield step.piece;
      await nextTask();
    }
  }

  /**
   * Greedy search or sampling, a token at a time: the prompt prefilled in one pass, then each
   * token fed alone with the KV cache. Ends after an EOS or stop id, a stop string, or maxLength.
   */
  private *steps(plan: Plan): Generator<Step, void, undefined> {
    const { prompt, maxLength, rules, sampling, signal } = plan;
    const V = this.config.vocabSize;
    const rng = sampling.doSample ? new Xoshiro128(plan.seed) : undefined;
    const text = new TextStream(this.tokenizer);
    const seq = [...prompt], row = new Float64Array(V), probs = new Float64Array(V);
    signal?.throwIfAborted();
    const decoder = this.model.stepDecoder(1, maxLength);
    try {
      let logits = decoder.next([prompt], 0);
      for (;;) {
        processScores(logits, row, seq, maxLength, rules);
        let id: number;
        if (rng) {
          warpScores(row, sampling);
          id = drawToken(softmax(row, probs), rng);
        } else {
          id = argmax(row);
        }
        seq.push(id);
        const settled = text.emittedLength;
        let piece = text.push(id);
        const last = rules.stops.has(id) || seq.length >= maxLength || containsStop(text.text, settled, plan.stopStrings);
        // The last piece gives out an incomplete character too: the pieces add up to the text.
        if (last) piece += text.flush();
        yield { id, piece, text: text.text };
        if (last) return;
        signal?.throwIfAborted();
        logits = decoder.next([[id]], seq.length - 1);
      }
    } finally {
      decoder.free();
    }
  }

  /** HF's beam search (generation.ts), the signal checked before each step. */
  private beamSearch(plan: Plan): GenerationResult {
    const { prompt, signal } = plan;
    signal?.throwIfAborted();
    const decoder = this.model.stepDecoder(plan.numBeams, plan.maxLength);
    const guarded: StepDecoder = {
      next: (tokens, pos) => {
        signal?.throwIfAborted();
        return decoder.next(tokens, pos);
      },
      reorder: (from, length) => decoder.reorder(from, length),
    };
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
    const bad = (name: string, want: string, got: unknown) => new Error(`${where}: option ${name} must be ${want}, got ${show(got)}`);

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

    const sampling = this.samplingSettings(o, bad);
    if (o.seed !== undefined && (!Number.isSafeInteger(o.seed) || o.seed < 0)) throw bad('seed', 'an integer in [0, 2^53)', o.seed);
    if (o.onToken !== undefined && typeof o.onToken !== 'function') throw bad('onToken', 'a function (piece, id) => void', o.onToken);
    const signal = o.signal;
    if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean' || typeof signal.throwIfAborted !== 'function')) {
      throw bad('signal', 'an AbortSignal', signal);
    }
    const { strings: stopStrings, ids: stopIds } = parseStop(o.stop, V, bad);

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

    const rules = tokenRules(c, 0);
    const stops = new Set([...rules.stops, ...stopIds]);
    // The EOS and stop ids stay possible even where the tokenizer lacks them (they end generation).
    const suppressed = new Set([...rules.suppressed, ...this.undecodableIds()].filter((t) => !stops.has(t)));
    return {
      where, prompt: ids, maxLength, numBeams: search.numBeams, lengthPenalty: search.lengthPenalty, earlyStopping: search.earlyStopping,
      sampling, seed: o.seed ?? randomSeed(), rules: { ...rules, stops, suppressed, repetitionPenalty: sampling.repetitionPenalty },
      stopStrings, onToken: o.onToken, signal,
    };
  }

  /** The sampling settings of the options over the checkpoint's defaults, checked (HF's defaults where neither sets one). */
  private samplingSettings(o: TextGenerationOptions, bad: (name: string, want: string, got: unknown) => Error): SamplingSettings {
    const { doSample = false, temperature = 1, topK = 50, topP = 1, minP, repetitionPenalty = 1 } = o;
    if (doSample !== true && doSample !== false) throw bad('doSample', 'true or false', doSample);
    if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) throw bad('temperature', 'a number ≥ 0 (0: greedy search)', temperature);
    if (!Number.isSafeInteger(topK) || topK < 0) throw bad('topK', 'an integer ≥ 0 (0: no limit)', topK);
    if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) throw bad('topP', 'a number in (0, 1]', topP);
    if (minP !== undefined && (typeof minP !== 'number' || !(minP >= 0 && minP <= 1))) throw bad('minP', 'a number in [0, 1]', minP);
    if (typeof repetitionPenalty !== 'number' || !Number.isFinite(repetitionPenalty) || repetitionPenalty <= 0) throw bad('repetitionPenalty', 'a number > 0', repetitionPenalty);
    // Temperature 0 is the limit of sampling as the temperature falls: the best token, greedy search.
    return { doSample: doSample && temperature > 0, temperature, topK, topP, minP, repetitionPenalty };
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

/** Does text contain a stop string that ends past `settled` (text before it was searched at earlier tokens)? */
function containsStop(text: string, settled: number, stops: readonly string[]): boolean {
  return stops.some((s) => text.indexOf(s, Math.max(0, settled - s.length + 1)) >= 0);
}

/** The stop option as strings and ids, checked. */
function parseStop(stop: TextGenerationOptions['stop'], V: number, bad: (name: string, want: string, got: unknown) => Error): { strings: string[]; ids: number[] } {
  const strings: string[] = [], ids: number[] = [];
  if (stop === undefined) return { strings, ids };
  const list = Array.isArray(stop) ? stop as readonly unknown[] : [stop];
  for (const s of list) {
    if (typeof s === 'string' && s.length > 0) strings.push(s);
    else if (Number.isSafeInteger(s) && (s as number) >= 0 && (s as number) < V) ids.push(s as number);
    else throw bad('stop', `non-empty strings or token ids in [0, ${V})`, s);
  }
  return { strings, ids };
}

/** A value in a message as it would be written. */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return String(v);
}

/**
 * Resolves at the next task of the event loop (not a microtask): between streamed tokens a page
 * repaints and timers and clicks (an abort) run. scheduler.yield where there is one, else
 * setImmediate (Node), else a MessageChannel message (no 4 ms clamp as nested setTimeouts have).
 */
function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?(): Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
