// Greedy search and sampling a token at a time, for every model that decodes with a KV cache
// (the decoder-only TextGenerationModel and the encoder-decoder TextSeq2SeqModel): the options
// both take (sampling, seed, stop, onToken, signal), their checks, and the step loop. Going a
// token at a time is what lets generation stream, stop on a string and be aborted between tokens.
//
// Each step: the model's logits, HF's processors (generation.ts: repetition penalty, suppressed
// and forced tokens, no EOS before minLength), then the best token or, sampling, HF's warpers and
// a draw (sampling.ts); the token's text through TextStream (stream-text.ts).
//
// Shape letters: V vocabulary.
import type { Tokenizer } from '@huggingface/tokenizers';
import type { ForeignOption } from '../io/option-names';
import { processScores, type StepDecoder, type TokenRules } from './generation';
import { drawToken, randomSeed, type SamplingSettings, warpScores, Xoshiro128 } from './sampling';
import { argmax, softmax } from './scores';
import { TextStream } from './stream-text';
import { yieldToEventLoop } from '../event-loop';

/** The options of a token-at-a-time generation (Hugging Face's names in camelCase). */
export interface StepOptions {
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
  /** > 0: scores of tokens already in the sequence (a decoder-only model's prompt included) are divided (positive) or multiplied (negative) by it; greedy search and sampling (default the checkpoint's, else 1). */
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
  /** Aborting it stops generation between tokens: the call throws, stream() rejects, with the signal's reason (an AbortError). */
  signal?: AbortSignal;
}

export const STEP_OPTIONS = ['doSample', 'temperature', 'topK', 'topP', 'minP', 'repetitionPenalty', 'seed', 'stop', 'onToken', 'signal'] as const;

/** Hugging Face's names for the step options and maxNewTokens (generate(**kwargs), generation_config.json). */
export const STEP_HF_NAMES: Record<string, ForeignOption> = {
  ...Object.fromEntries([
    ['max_new_tokens', 'maxNewTokens'], ['do_sample', 'doSample'], ['top_k', 'topK'], ['top_p', 'topP'], ['min_p', 'minP'],
    ['repetition_penalty', 'repetitionPenalty'], ['stop_strings', 'stop'], ['eos_token_id', 'stop'], ['random_seed', 'seed'],
  ].map(([hf, ours]) => [hf, { tool: 'Hugging Face', ours }])),
  streamer: { tool: 'Hugging Face', note: 'use stream(input, options) or the onToken option' },
};

/** An option's refusal: `${where}: option ${name} must be ${want}, got ${value}`. */
export type BadOption = (name: string, want: string, got: unknown) => Error;

export function badOption(where: string): BadOption {
  return (name, want, got) => new Error(`${where}: option ${name} must be ${want}, got ${show(got)}`);
}

/** The step options resolved: defaults filled in, every value checked. */
export interface StepSettings {
  sampling: SamplingSettings;
  seed: number;
  stopStrings: string[];
  stopIds: number[];
  onToken: ((piece: string, id: number) => void) | undefined;
  signal: AbortSignal | undefined;
}

/** The step options (the caller's over the checkpoint's, merged) checked; every refusal names the option. */
export function stepSettings(o: StepOptions, V: number, bad: BadOption): StepSettings {
  const sampling = samplingSettings(o, bad);
  if (o.seed !== undefined && (!Number.isSafeInteger(o.seed) || o.seed < 0)) throw bad('seed', 'an integer in [0, 2^53)', o.seed);
  if (o.onToken !== undefined && typeof o.onToken !== 'function') throw bad('onToken', 'a function (piece, id) => void', o.onToken);
  const signal = o.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean' || typeof signal.throwIfAborted !== 'function')) {
    throw bad('signal', 'an AbortSignal', signal);
  }
  const { strings: stopStrings, ids: stopIds } = parseStop(o.stop, V, bad);
  return { sampling, seed: o.seed ?? randomSeed(), stopStrings, stopIds, onToken: o.onToken, signal };
}

/** The sampling settings of the options over the checkpoint's defaults, checked (HF's defaults where neither sets one). */
function samplingSettings(o: StepOptions, bad: BadOption): SamplingSettings {
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

/** The stop option as strings and ids, checked. */
function parseStop(stop: StepOptions['stop'], V: number, bad: BadOption): { strings: string[]; ids: number[] } {
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

/** The rules with the stop ids added to the EOS ones and the repetition penalty set; ids in `undecodable` suppressed (never the stops). */
export function stepRules(rules: TokenRules, s: StepSettings, undecodable: readonly number[] = []): TokenRules {
  const stops = new Set([...rules.stops, ...s.stopIds]);
  // The EOS and stop ids stay possible even where the tokenizer lacks them (they end generation).
  const suppressed = new Set([...rules.suppressed, ...undecodable].filter((t) => !stops.has(t)));
  return { ...rules, stops, suppressed, repetitionPenalty: s.sampling.repetitionPenalty };
}

/** One step of greedy search or sampling: the token and the text it completes. */
export interface Step {
  id: number;
  piece: string;
  /** The text of every new token so far. */
  text: string;
}

/** What one token-at-a-time run needs. */
export interface StepRun {
  /** The ids the model starts from (a decoder-only model's prompt; an encoder-decoder's start token). */
  prompt: number[];
  /** The prompt and the new tokens together. */
  maxLength: number;
  rules: TokenRules;
  settings: StepSettings;
  tokenizer: Tokenizer;
  /** A fresh stepper over one row (its cache freed by free()), opened after the signal is checked. */
  open: () => StepDecoder & { free(): void };
}

/**
 * Greedy search or sampling, a token at a time: the prompt fed in one call, then each new token
 * alone with the KV cache. Ends after an EOS or stop id, a stop string, or maxLength; the signal
 * is checked before the first step and between tokens. The caller calls onToken (a stream calls
 * it as it yields).
 */
export function* decodeSteps(run: StepRun): Generator<Step, void, undefined> {
  const { prompt, maxLength, rules, settings } = run;
  const { sampling, signal, stopStrings } = settings;
  const V = rules.vocabSize;
  const rng = sampling.doSample ? new Xoshiro128(settings.seed) : undefined;
  const text = new TextStream(run.tokenizer);
  const seq = [...prompt], row = new Float64Array(V), probs = new Float64Array(V);
  signal?.throwIfAborted();
  const decoder = run.open();
  try {
    let logits = decoder.next([prompt], 0);
    for (;;) {
      processScores(logits, row, seq, maxLength, rules);
      let id: number;
      if (rng) {
        warpScores(row, sampling);
        id = drawToken(softmax(row, 0, row.length, probs), rng);
      } else {
        id = argmax(row);
      }
      seq.push(id);
      const settled = text.emittedLength;
      let piece = text.push(id);
      const last = rules.stops.has(id) || seq.length >= maxLength || containsStop(text.text, settled, stopStrings);
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

/** Runs the steps to the end, onToken seeing each: the new ids and their text. */
export function runSteps(steps: Iterable<Step>, onToken: StepSettings['onToken']): { text: string; ids: number[] } {
  const ids: number[] = [];
  let text = '';
  for (const step of steps) {
    ids.push(step.id);
    text = step.text;
    onToken?.(step.piece, step.id);
  }
  return { text, ids };
}

/**
 * The steps as an async iterator of text pieces (onToken seeing each token first), yielding to
 * the event loop between tokens so a page can repaint and an abort can arrive. Leaving the loop
 * early (break) closes the steps, which frees the KV cache.
 */
export async function* streamSteps(steps: Iterable<Step>, onToken: StepSettings['onToken']): AsyncGenerator<string, void, undefined> {
  for (const step of steps) {
    onToken?.(step.piece, step.id);
    if (step.piece) yield step.piece;
    await yieldToEventLoop();
  }
}

/** The decoder with the signal checked before each step (beam search: aborted between steps). */
export function abortable<D extends StepDecoder>(decoder: D, signal: AbortSignal | undefined): D {
  if (!signal) return decoder;
  return {
    ...decoder,
    next: (tokens: number[][], pos: number) => {
      signal.throwIfAborted();
      return decoder.next(tokens, pos);
    },
  };
}

/** Does text contain a stop string that ends past `settled` (text before it was searched at earlier tokens)? */
function containsStop(text: string, settled: number, stops: readonly string[]): boolean {
  return stops.some((s) => text.indexOf(s, Math.max(0, settled - s.length + 1)) >= 0);
}

/** A value in a message as it would be written. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return String(v);
}
