// pipeline('text-generation') on the decoder fixtures (tests/fixtures/decoders: torch's greedy ids,
// tools/make_decoder_fixtures.py) and chat through a template; text2text-generation on Marian.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { pipeline } from '../../src/pipeline/pipeline';
import { loadModel } from '../../src/transformer/load';
import { renderChat } from '../../src/transformer/chat-template';
import type { TextGenerationModel } from '../../src/transformer/text-generation';
import { DECODERS, readFixture } from '../transformer/decoder-fixtures';

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

describe.each(['llama', 'gpt2', 'qwen2'])('text-generation on the %s fixture', (variant) => {
  const f = readFixture(variant);
  let model: TextGenerationModel;
  beforeAll(async () => {
    model = await loadModel(join(DECODERS, variant), { runtime: rt, kind: 'decoder' });
  });
  afterAll(() => model.dispose());

  // The fixtures' prompt ids are random ids that no text tokenizes back to, so the pipeline is
  // checked against generate() on the ids of a text (generate() is checked against torch's greedy
  // ids in tests/transformer/decoder-fixtures.ts).
  test('greedy output: the prompt and its continuation decoded as HF does (returnFullText false: alone)', async () => {
    const decode = (ids: number[]) => model.tokenizer.decode(ids, { skip_special_tokens: true });
    const prompt = 'the cat sat on the mat';
    const promptIds = model.tokenizer.encode(prompt).ids;
    const { ids } = model.generate(promptIds);
    expect(ids.length).toBeGreaterThan(0);
    const continuation = decode([...promptIds, ...ids]).slice(decode(promptIds).length);
    expect(continuation.length).toBeGreaterThan(0);
    const generator = await pipeline('text-generation', model);
    expect(generator(prompt)).toEqual([{ generated_text: prompt + continuation }]);
    expect(generator(prompt, { returnFullText: false })).toEqual([{ generated_text: continuation }]);
    const four = decode([...promptIds, ...ids.slice(0, 4)]).slice(decode(promptIds).length);
    expect(generator([prompt, prompt], { maxNewTokens: 4, returnFullText: false })).toEqual([[{ generated_text: four }], [{ generated_text: four }]]);
    expect(f.greedy.length).toBe(32);
  });

  test('transformers.js\'s option names get ours suggested', async () => {
    const generator = await pipeline('text-generation', model);
    expect(() => generator('a b', { max_new_tokens: 3 } as never)).toThrow(/max_new_tokens \(transformers\.js's name for maxNewTokens\)/);
  });
});

describe('chat', () => {
  const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'the cat' }, { role: 'assistant', content: 'sat' }, { role: 'user', content: 'on the mat' }];
  const TEMPLATE = '{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}{{ eos_token }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}';
  let model: TextGenerationModel;
  beforeAll(async () => {
    // The llama fixture's folder, its tokenizer_config.json given a chat template.
    const dir = join(DECODERS, 'llama');
    const files: Record<string, Uint8Array | string> = {};
    for (const name of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json']) files[name] = readFileSync(join(dir, name));
    files['tokenizer_config.json'] = JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')), chat_template: TEMPLATE });
    model = await loadModel({ files }, { runtime: rt, kind: 'decoder' });
  });
  afterAll(() => model.dispose());

  test('chat() renders the checkpoint\'s template (generation prompt on), tokenizes without a second BOS, and generates', () => {
    const text = renderChat(TEMPLATE, messages, { bosToken: '<s>', eosToken: '</s>', addGenerationPrompt: true });
    expect(text.startsWith('<s>system: be brief</s>\n')).toBe(true);
    expect(text.endsWith('assistant:')).toBe(true);
    const ids = model.tokenizer.encode(text, { add_special_tokens: false } as never).ids;
    const bos = model.config.bosTokenId;
    // The template wrote the one BOS; the tokenizer's own template would have added another.
    expect(ids.filter((t) => t === bos)).toHaveLength(1);
    expect(model.tokenizer.encode(text).ids.filter((t) => t === bos)).toHaveLength(2);
    const reply = model.chat(messages, { maxNewTokens: 8 });
    expect(reply).toEqual(model.generate(ids, { maxNewTokens: 8 }));
    // Without the generation prompt the prompt differs.
    const noPrompt = model.tokenizer.encode(renderChat(TEMPLATE, messages, { bosToken: '<s>', eosToken: '</s>' }), { add_special_tokens: false } as never).ids;
    expect(model.chat(messages, { maxNewTokens: 8, addGenerationPrompt: false })).toEqual(model.generate(noPrompt, { maxNewTokens: 8 }));
  });

  test('the text-generation pipeline takes a conversation and appends the reply', async () => {
    const generator = await pipeline('text-generation', model);
    const reply = model.chat(messages, { maxNewTokens: 6 });
    expect(generator(messages, { maxNewTokens: 6 })).toEqual([{ generated_text: [...messages, { role: 'assistant', content: reply.text }] }]);
  });

  test('a checkpoint without a template is told so; messages are checked', async () => {
    const plain = await loadModel(join(DECODERS, 'gpt2'), { runtime: rt, kind: 'decoder' });
    try {
      expect(() => plain.chat(messages)).toThrow('chat: the checkpoint has no chat template');
    } finally {
      plain.dispose();
    }
    expect(() => model.chat([{ role: 'user' } as never])).toThrow('messages[0].content must be a string');
  });
});

describe('text2text-generation', () => {
  test('on Marian: [{ generated_text }] as its translation; a decoder is refused', async () => {
    const marian = await loadModel(join(__dirname, '..', 'fixtures', 'marian'), { runtime: rt, kind: 'seq2seq' });
    const decoder = await loadModel(join(DECODERS, 'gpt2'), { runtime: rt, kind: 'decoder' });
    try {
      const t2t = await pipeline('text2text-generation', marian);
      const texts = ['hello world', 'good morning'];
      const want = marian.translate(texts, { maxLength: 6 });
      expect(want.every((t) => typeof t === 'string')).toBe(true);
      expect(t2t(texts, { maxLength: 6 })).toEqual(want.map((generated_text) => ({ generated_text })));
      await expect(pipeline('text2text-generation', decoder)).rejects.toThrow(/needs a sequence-to-sequence model .*use 'text-generation'/);
      await expect(pipeline('text-generation', marian)).rejects.toThrow(/use 'text2text-generation'/);
    } finally {
      marian.dispose();
      decoder.dispose();
    }
  });
});
