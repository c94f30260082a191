// Chat templates against Python's jinja2 (tools/make_chat_fixtures.py: Hugging Face's settings)
// on the real templates of SmolLM2-Instruct, Qwen2.5-Instruct, TinyLlama-Chat, Llama-3-Instruct and
// Mistral-Instruct-v0.3 (tests/fixtures/chat-templates/*.jinja, copied from the models'
// tokenizer_config.json; tests/fixtures/README.md says from where), and the errors that name a line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ChatTemplate, readChatTemplate, renderChat, type ChatMessage, type ChatSpecialTokens } from '../../src/transformer/chat-template';

const DIR = join(__dirname, '..', 'fixtures', 'chat-templates');
interface Expected {
  messages: ChatMessage[];
  noSystem: ChatMessage[];
  models: Record<string, { specialTokens: Record<string, string>; renders: Record<string, string> }>;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;
const template = (name: string) => readFileSync(join(DIR, `${name}.jinja`), 'utf8');
const camel = (tokens: Record<string, string>): ChatSpecialTokens =>
  Object.fromEntries(Object.entries(tokens).map(([k, v]) => [k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), v]));

describe.each(Object.keys(expected.models))('%s renders as jinja2 does', (name) => {
  const { specialTokens, renders } = expected.models[name]!;
  for (const [key, want] of Object.entries(renders)) {
    test(key, () => {
      const messages = key.startsWith('full') ? expected.messages : expected.noSystem;
      const got = renderChat(template(name), messages, { ...camel(specialTokens), addGenerationPrompt: key.endsWith('+prompt') });
      expect(got).toBe(want);
    });
  }
});

describe('reading a checkpoint\'s template', () => {
  test('tokenizer_config.json\'s chat_template (a string, or the list\'s "default"), its special tokens (strings or { content })', () => {
    const source = template('tinyllama-chat');
    const config = { chat_template: source, bos_token: '<s>', eos_token: { content: '</s>', lstrip: false } };
    const t = readChatTemplate(JSON.stringify(config))!;
    expect(t.specialTokens).toEqual({ bosToken: '<s>', eosToken: '</s>' });
    expect(t.render(expected.messages, { addGenerationPrompt: true })).toBe(expected.models['tinyllama-chat']!.renders['full+prompt']);
    const listed = readChatTemplate(JSON.stringify({ ...config, chat_template: [{ name: 'tool_use', template: 'x' }, { name: 'default', template: source }] }))!;
    expect(listed.source).toBe(source);
    expect(() => readChatTemplate(JSON.stringify({ chat_template: [{ name: 'rag', template: 'x' }] }))).toThrow(/without one named "default"/);
    expect(readChatTemplate(JSON.stringify({ bos_token: '<s>' }))).toBeUndefined();
  });

  test('chat_template.jinja wins over tokenizer_config.json', () => {
    const t = readChatTemplate(JSON.stringify({ chat_template: 'old', eos_token: '</s>' }), '{{ messages[0].content }}{{ eos_token }}')!;
    expect(t.render([{ role: 'user', content: 'hi' }])).toBe('hi</s>');
  });

  test('options: tools reach the template; variables too; the call\'s special tokens win', () => {
    const t = new ChatTemplate('{{ bos_token }}{% if tools %}{{ tools | length }} tools {% endif %}{{ greeting }}', { bosToken: '<s>' });
    expect(t.render([{ role: 'user', content: 'x' }], { tools: [{ a: 1 }, { b: 2 }], variables: { greeting: 'hello' } })).toBe('<s>2 tools hello');
    expect(t.render([{ role: 'user', content: 'x' }], { bosToken: '<B>' })).toBe('<B>');
  });
});

describe('errors', () => {
  const user: ChatMessage[] = [{ role: 'user', content: 'hi' }];

  test('a template that fails to parse names its line', () => {
    const broken = '{% for m in messages %}\n{{ m.content }}\n{% if m.role == %}\nx\n{% endif %}\n{% endfor %}';
    expect(() => renderChat(broken, user)).toThrow(/^chat template line 3: /);
    // Line 4's expression is cut short.
    expect(() => renderChat('a\nb\nc\n{{ (1 + }}\n', user)).toThrow(/^chat template line 4: /);
  });

  test('a block never closed names the line that opened it', () => {
    expect(() => renderChat('{% for m in messages %}\n  {% if m.role == "user" %}\n{{ m.content }}\n{% endfor %}', user))
      .toThrow(/^chat template line \d+: /);
    expect(() => renderChat('x\n{% for m in messages %}\n{{ m.content }}\n', user)).toThrow(/^chat template line 2: the \{% for %\} block opened here is never closed/);
  });

  test('a character the lexer refuses, and an unterminated string, name their lines', () => {
    expect(() => renderChat('ok\n{{ messages ; }}', user)).toThrow(/^chat template line 2: /);
    expect(() => renderChat('ok\nok\n{{ "abc }}', user)).toThrow(/^chat template line 3: /);
  });

  test('a render error (raise_exception, an unknown filter) names the statement\'s line, elif included', () => {
    const mistral = template('mistral-instruct-v0.3');
    // Two user messages in a row: the template's own check raises, at its line 17.
    const lines = mistral.split('\n');
    const raiseLine = lines.findIndex((l) => l.includes('After the optional system message')) + 1;
    expect(raiseLine).toBeGreaterThan(1);
    expect(() => renderChat(mistral, [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }], { bosToken: '<s>', eosToken: '</s>' }))
      .toThrow(`chat template line ${raiseLine}: After the optional system message, conversation roles must alternate user/assistant/user/assistant/...`);
    expect(() => renderChat('a\n{{ messages | nosuchfilter }}', user)).toThrow(/^chat template line 2: .*nosuchfilter/);
    expect(() => renderChat('{% if false %}\nx\n{% elif messages | nosuchfilter %}\ny\n{% endif %}', user)).toThrow(/^chat template line 3: /);
    expect(() => renderChat('{% for m in messages %}\n{% set x = 1 %}\n{{ raise_exception("no " + m.role) }}\n{% endfor %}', user)).toThrow('chat template line 3: no user');
  });

  test('messages are checked: an array of { role, content } strings', () => {
    const t = '{{ messages | length }}';
    expect(() => renderChat(t, 'hi' as never)).toThrow('messages must be an array');
    expect(() => renderChat(t, [])).toThrow('messages is empty');
    expect(() => renderChat(t, [{ role: 'user' } as never])).toThrow('messages[0].content must be a string, got undefined');
    expect(() => renderChat(t, [{ role: 'user', content: 'a' }, { content: 'b' } as never])).toThrow('messages[1].role must be a non-empty string');
    expect(() => renderChat(t, user, { addGenerationPrompt: 'yes' as never })).toThrow('option addGenerationPrompt must be true or false');
    expect(() => renderChat(t, user, { add_generation_prompt: true } as never)).toThrow('unknown option add_generation_prompt');
  });
});
