// The "text-generation" and "text2text-generation" tasks with transformers.js's output shapes:
// [{ generated_text }] per input (a list of them for a list of inputs, in text-generation). A text
// prompt's generated_text is the prompt and its continuation (only the continuation with
// returnFullText: false); a conversation's is the messages with the assistant's reply appended.
import { checkOptionNames, type ForeignOption } from '../io/option-names';
import { checkMessages, type ChatMessage } from '../transformer/chat-template';
import type { TextGenerationModel, TextGenerationOptions } from '../transformer/text-generation';
import type { TextSeq2SeqModel, TranslateOptions } from '../transformer/text-seq2seq';

export interface TextGenerationPipelineOptions extends TextGenerationOptions {
  /** Give the prompt and the continuation (the default, as HF's return_full_text), or the continuation alone. */
  returnFullText?: boolean;
}

export type GeneratedText = { generated_text: string };
export type GeneratedChat = { generated_text: ChatMessage[] };

const TJS = 'transformers.js';
/** transformers.js's (and HF's) names for the options, said in ours. */
export const TEXT_GENERATION_FOREIGN: Readonly<Record<string, ForeignOption>> = {
  return_full_text: { tool: TJS, ours: 'returnFullText' },
  max_new_tokens: { tool: TJS, ours: 'maxNewTokens' },
  num_beams: { tool: TJS, ours: 'numBeams' },
  length_penalty: { tool: TJS, ours: 'lengthPenalty' },
  early_stopping: { tool: TJS, ours: 'earlyStopping' },
  do_sample: { tool: TJS, ours: 'doSample' },
  top_k: { tool: TJS, ours: 'topK' },
  top_p: { tool: TJS, ours: 'topP' },
  min_p: { tool: TJS, ours: 'minP' },
  repetition_penalty: { tool: TJS, ours: 'repetitionPenalty' },
  max_length: { tool: TJS, note: 'give maxNewTokens, the new tokens at most' },
  add_special_tokens: { tool: TJS, note: 'a text prompt is tokenized as the checkpoint\'s tokenizer does; a conversation through its chat template' },
};

const isConversation = (x: unknown): x is ChatMessage[] => Array.isArray(x) && x.length > 0 && x.every((m) => m !== null && typeof m === 'object' && !Array.isArray(m));

/** One input: a text, or a conversation (an array of { role, content }). */
function generateOne(model: TextGenerationModel, input: unknown, i: number, options: TextGenerationPipelineOptions): GeneratedText[] | GeneratedChat[] {
  const { returnFullText = true, ...generation } = options;
  if (isConversation(input)) {
    checkMessages(input, 'text-generation');
    const reply = model.chat(input, generation);
    // HF: the conversation with the reply appended (returnFullText false: the reply alone, as text).
    if (!returnFullText) return [{ generated_text: reply.text }];
    return [{ generated_text: [...input, { role: 'assistant', content: reply.text }] }];
  }
  if (typeof input !== 'string') throw new Error(`text-generation: input ${i} must be a text or a conversation (an array of { role, content }), got ${input === null ? 'null' : typeof input}`);
  if (input === '') throw new Error(`text-generation: input ${i} is empty`);
  const promptIds = model.tokenizer.encode(input).ids;
  const { ids } = model.generate(promptIds, generation);
  // As HF's postprocess: the whole sequence decoded, less the decoded prompt's length (a
  // continuation decoded alone would lose the space its first token starts with).
  const decode = (x: number[]) => model.tokenizer.decode(x, { skip_special_tokens: true });
  const continuation = decode([...promptIds, ...ids]).slice(decode(promptIds).length);
  return [{ generated_text: returnFullText ? input + continuation : continuation }];
}

export function textGeneration(model: TextGenerationModel, input: unknown, options: TextGenerationPipelineOptions = {}) {
  if (options === null || typeof options !== 'object') throw new Error(`text-generation: options must be an object, got ${String(options)}`);
  // Another tool's names get ours suggested; the rest are checked by generate() and chat().
  const ours = Object.values(TEXT_GENERATION_FOREIGN).flatMap((f) => (f.ours ? [f.ours] : []));
  checkOptionNames('text-generation', options, [...ours, ...Object.keys(options).filter((k) => !Object.hasOwn(TEXT_GENERATION_FOREIGN, k))], TEXT_GENERATION_FOREIGN);
  if (options.returnFullText !== undefined && typeof options.returnFullText !== 'boolean') throw new Error(`text-generation: option returnFullText must be true or false, got ${JSON.stringify(options.returnFullText)}`);
  // One text, or one conversation: its list; a list of texts or of conversations: a list of lists.
  const batched = Array.isArray(input) && input.length > 0 && (typeof input[0] === 'string' || isConversation(input[0]));
  if (Array.isArray(input) && input.length === 0) throw new Error('text-generation: give a text, a conversation, or a non-empty list of them');
  const list: unknown[] = batched ? input as unknown[] : [input];
  const out = list.map((x, i) => generateOne(model, x, i, options));
  return batched ? out : out[0]!;
}

/** text2text-generation: a sequence-to-sequence model's output for each text, as [{ generated_text }]. */
export function text2textGeneration(model: TextSeq2SeqModel, texts: string | string[], options?: TranslateOptions): GeneratedText[] {
  return model.translate(texts, options).map((generated_text) => ({ generated_text }));
}
