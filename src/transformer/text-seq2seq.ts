// What a user of a translation checkpoint calls: translate(texts) → texts, stream(text) → text
// pieces. Tokenization and detokenization by the checkpoint's tokenizer.json
// (@huggingface/tokenizers); generation with the checkpoint's own defaults
// (generation_config.json: Marian checkpoints ask for 4 or 6 beams; do_sample, temperature, top_k,
// top_p, min_p, repetition_penalty, max_new_tokens), which the caller's options override, as
// Hugging Face's generate() does.
//
// Decoding: beam search or greedy search over a batch (Seq2SeqModel.generate), or, when the call
// asks for what only a token at a time can do (sampling, a stop, onToken, a repetition penalty,
// stream()), greedy search or sampling per text through the steps TextGenerationModel uses
// (token-steps.ts), from the decoder start token with Marian's and T5's rules.
//
// Shape letters: V vocabulary.
import type { Tokenizer } from '@huggingface/tokenizers';
import { checkOptionNames, type ForeignOption } from '../io/option-names';
import { GENERATE_OPTIONS, searchOptions, tokenRules, type GenerateOptions } from './generation';
import type { GenerationDefaults } from './generation-config';
import { lengthBatches } from './length-batches';
import type { Seq2SeqModel } from './seq2seq';
import type { TruncationOptions } from './text-encoder';
import { badOption, decodeSteps, runSteps, STEP_HF_NAMES, STEP_OPTIONS, stepRules, stepSettings, streamSteps, type Step, type StepOptions, type StepSettings } from './token-steps';

/**
 * translate()'s and stream()'s options. numBeams > 1 is beam search (with none of the step
 * options but signal); when the caller gives no numBeams, asking for sampling (doSample, the
 * checkpoint's do_sample included), stop, onToken, a repetitionPenalty other than 1, or calling
 * stream(), sets aside the checkpoint's num_beams: greedy search or sampling, one beam.
 */
export interface TranslateOptions extends GenerateOptions, TruncationOptions, StepOptions {
  /** New tokens at most, the decoder start token not counted (HF's max_new_tokens: maxLength is then maxNewTokens + 1; it wins over maxLength). */
  maxNewTokens?: number;
  /**
   * Texts searched at once (default 8), longest first; results come back in input order. Memory
   * grows with it: the KV cache holds batchSize · numBeams rows of maxLength positions.
   */
  batchSize?: number;
  /**
   * Called for a text refused on its own account (more tokens than the model's positions without
   * truncation: 'truncate'), with the error (naming the text's index) and that index; the text
   * then translates to '' (numReturnSequences of them) and the others are computed. Without it,
   * the first such text fails the call.
   */
  onTextError?: (error: Error, index: number) => void;
}

const OPTIONS = [...GENERATE_OPTIONS, 'maxNewTokens', 'truncation', 'batchSize', 'onTextError', ...STEP_OPTIONS] as const;

/** Hugging Face's names for our options. */
const HF_NAMES: Record<string, ForeignOption> = {
  ...STEP_HF_NAMES,
  ...Object.fromEntries([
    ['max_length', 'maxLength'], ['min_length', 'minLength'], ['num_beams', 'numBeams'], ['length_penalty', 'lengthPenalty'],
    ['early_stopping', 'earlyStopping'], ['num_return_sequences', 'numReturnSequences'], ['renormalize_logits', 'renormalizeLogits'],
  ].map(([hf, ours]) => [hf, { tool: 'Hugging Face', ours }])),
};

/** One call, checked and resolved. */
interface Plan {
  truncation: 'error' | 'truncate';
  /** A token at a time (greedy search or sampling, per text), or undefined: Seq2SeqModel.generate over the batch. */
  steps: { maxLength: number; minLength: number; settings: StepSettings } | undefined;
  /** Seq2SeqModel.generate's options (the batch path). */
  generate: GenerateOptions & { signal?: AbortSignal };
}

export class TextSeq2SeqModel {
  readonly kind = 'seq2seq' as const;
  readonly model: Seq2SeqModel;
  readonly tokenizer: Tokenizer;
  /** The checkpoint's generation defaults (numBeams, maxLength, doSample, temperature, …). */
  readonly generationDefaults: GenerationDefaults;

  constructor(model: Seq2SeqModel, tokenizer: Tokenizer, generationDefaults: GenerationDefaults = {}) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.generationDefaults = generationDefaults;
  }

  get config() {
    return this.model.config;
  }

  /**
   * Translation of one text or a batch (the output's special tokens removed): numReturnSequences
   * texts per input, one after another, best first. A source longer than the model's positions
   * is refused unless `truncation: 'truncate'`, which keeps its first maxPositions − 1 tokens
   * and its final EOS (the tokenizer's truncation in Hugging Face). Greedy search and sampling
   * (see TranslateOptions) run each text alone, each sampled with `seed` from its start (a text
   * translates the same alone as in a batch); onToken needs a single text.
   */
  translate(texts: string | string[], options: TranslateOptions = {}): string[] {
    const plan = this.plan(options, 'translate', false);
    const { batchSize = 8, onTextError } = options;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`translate: option batchSize must be an integer ≥ 1, got ${String(batchSize)}`);
    if (onTextError !== undefined && typeof onTextError !== 'function') throw new Error('translate: option onTextError must be a function');
    const ids = this.sources(texts, plan.truncation, 'translate', onTextError);
    const steps = plan.steps;
    if (steps) {
      if (ids.length > 1 && steps.settings.onToken) throw new Error(`translate: option onToken needs a single text, got ${ids.length}`);
      return ids.map((source) => (source ? runSteps(this.steps(source, steps), steps.settings.onToken).text : ''));
    }
    // Beam or greedy search over batches of similar lengths, longest first; R results per text.
    const R = plan.generate.numReturnSequences ?? 1, out = new Array<string>(ids.length * R).fill('');
    for (const batch of lengthBatches(ids.map((x) => x?.length), batchSize)) {
      const seqs = this.model.generate(batch.map((i) => ids[i]!), plan.generate);
      batch.forEach((i, k) => {
        for (let r = 0; r < R; r++) out[i * R + r] = this.tokenizer.decode(seqs[k * R + r]!, { skip_special_tokens: true });
      });
    }
    return out;
  }

  /**
   * translate() of one text as an async iterator of text pieces (greedy search or sampling): the
   * pieces concatenate to translate()'s text for the same options and seed. Between tokens it
   * yields to the event loop; an aborted signal makes the iteration reject with its reason.
   * Leaving the loop early (break) frees the encoder's output and the KV cache.
   */
  stream(text: string, options: Omit<TranslateOptions, 'batchSize' | 'onTextError'> = {}): AsyncGenerator<string, void, undefined> {
    if (typeof text !== 'string') throw new Error('stream: give one text (a string)');
    const plan = this.plan(options, 'stream', true);
    const [source] = this.sources(text, plan.truncation, 'stream');
    return streamSteps(this.steps(source!, plan.steps!), plan.steps!.settings.onToken);
  }

  /** The token ids of each text, truncated when asked; a refused text is undefined when onTextError takes its error. */
  private sources(texts: string | string[], truncation: 'error' | 'truncate', where: string): number[][];
  private sources(texts: string | string[], truncation: 'error' | 'truncate', where: string,
    onTextError: ((error: Error, index: number) => void) | undefined): (number[] | undefined)[];
  private sources(texts: string | string[], truncation: 'error' | 'truncate', where: string,
    onTextError?: (error: Error, index: number) => void): (number[] | undefined)[] {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.length === 0 || list.some((t) => typeof t !== 'string')) {
      throw new Error(`${where}: give a text or a non-empty array of texts`);
    }
    const max = this.config.maxPositions;
    return list.map((t, i) => {
      const x = this.tokenizer.encode(t).ids;
      if (x.length <= max) return x;
      if (truncation === 'truncate') return [...x.slice(0, max - 1), x[x.length - 1]!];
      const error = new Error(`${where}: text ${i} has ${x.length} tokens, more than the model's maxPositions (${max}); pass truncation: 'truncate' to cut it`);
      if (!onTextError) throw error;
      onTextError(error, i);
      return undefined;
    });
  }

  /** Greedy search or sampling of one source: encoded once, then a token at a time from the decoder start token. */
  private steps(source: number[], s: NonNullable<Plan['steps']>): Generator<Step, void, undefined> {
    const c = this.config;
    const rules = stepRules(tokenRules(c, s.minLength), s.settings);
    return decodeSteps({
      prompt: [c.decoderStartTokenId ?? c.padTokenId], maxLength: s.maxLength, rules, settings: s.settings, tokenizer: this.tokenizer,
      open: () => {
        const enc = this.model.encode([source]);
        try {
          const decoder = this.model.stepDecoder(enc, s.maxLength);
          return { ...decoder, free: () => { decoder.free(); enc.free(); } };
        } catch (e) {
          enc.free();
          throw e;
        }
      },
    });
  }

  /** The options over the checkpoint's defaults, checked; every refusal names the option. */
  private plan(options: TranslateOptions, where: string, stream: boolean): Plan {
    if (options === null || typeof options !== 'object') throw new Error(`${where}: options must be an object, got ${String(options)}`);
    // stream() runs one text: it has no batch, and refuses a too-long text itself.
    checkOptionNames(where, options, stream ? OPTIONS.filter((k) => k !== 'batchSize' && k !== 'onTextError') : [...OPTIONS], HF_NAMES);
    // An option given as undefined keeps the checkpoint's value.
    const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TranslateOptions;
    const o: TranslateOptions = { ...this.generationDefaults, ...set };
    const bad = badOption(where);
    const truncation = o.truncation ?? 'error';
    if (truncation !== 'error' && truncation !== 'truncate') throw bad('truncation', "'error' or 'truncate'", truncation);
    if (o.maxNewTokens !== undefined && (!Number.isSafeInteger(o.maxNewTokens) || o.maxNewTokens < 1)) throw bad('maxNewTokens', 'an integer ≥ 1', o.maxNewTokens);
    const settings = stepSettings(o, this.config.vocabSize, bad);
    const { sampling } = settings;
    const stepOnly = [
      sampling.doSample && `sampling (doSample${set.doSample === undefined ? ': the checkpoint\'s do_sample' : ''})`,
      o.stop !== undefined && 'option stop',
      o.onToken !== undefined && 'option onToken',
      sampling.repetitionPenalty !== 1 && `option repetitionPenalty${set.repetitionPenalty === undefined ? ' (the checkpoint\'s repetition_penalty)' : ''}`,
      stream && 'stream()',
    ].filter((x): x is string => typeof x === 'string');
    // The checkpoint's beams give way to what the caller asked for; the caller's own do not.
    const numBeams = set.numBeams ?? (stepOnly.length > 0 ? 1 : o.numBeams);
    const maxLength = o.maxNewTokens !== undefined ? o.maxNewTokens + 1 : o.maxLength;
    const generate: Plan['generate'] = {
      maxLength, minLength: o.minLength, numBeams, lengthPenalty: o.lengthPenalty, earlyStopping: o.earlyStopping,
      numReturnSequences: o.numReturnSequences, renormalizeLogits: o.renormalizeLogits,
    };
    // Checks the search's options, naming them (maxLength lowered to the model's positions).
    const search = searchOptions(generate, this.config.maxPositions, where);
    if (stepOnly.length === 0) {
      const out = Object.fromEntries(Object.entries(generate).filter(([, v]) => v !== undefined)) as Plan['generate'];
      if (settings.signal) out.signal = settings.signal;
      return { truncation, steps: undefined, generate: out };
    }
    if (search.numBeams > 1) {
      throw new Error(`${where}: ${stepOnly[0]} is not supported with beam search (numBeams ${search.numBeams}); give numBeams: 1`);
    }
    return { truncation, steps: { maxLength: search.maxLength, minLength: search.minLength, settings }, generate };
  }

  dispose(): void {
    this.model.dispose();
  }
}
