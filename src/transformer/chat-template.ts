// Chat templates: a checkpoint's `chat_template` (Jinja, in tokenizer_config.json or a separate
// chat_template.jinja) turns a list of messages into the one prompt string the model was tuned
// on. Rendered with @huggingface/jinja, the engine transformers.js uses, with Hugging Face's
// settings (trim_blocks, lstrip_blocks, raise_exception, strftime_now, the special tokens).
//
// The engine keeps no source positions, so an Error naming the template's line is built here:
// our own scan finds each {% %} / {{ }} tag and its line, a marker comment carrying that line
// goes into the token stream before each tag, and the parsed tree is read back to map every
// statement to its line (the markers are then removed). Parse errors name the tag the parser
// stopped in; render errors (raise_exception included) the innermost statement that failed.
import { Environment, Interpreter, parse, tokenize } from '@huggingface/jinja';

/** One message of a conversation: a role ('system', 'user', 'assistant', 'tool', …) and its text; other fields (tool_calls…) pass to the template. */
export interface ChatMessage {
  role: string;
  content: string;
  [field: string]: unknown;
}

/** The special tokens a template may read (tokenizer_config.json's bos_token, eos_token…). */
export interface ChatSpecialTokens {
  bosToken?: string;
  eosToken?: string;
  unkToken?: string;
  sepToken?: string;
  padToken?: string;
  clsToken?: string;
  maskToken?: string;
}

export interface RenderChatOptions extends ChatSpecialTokens {
  /** End with the header of an assistant turn, for the model to write it (HF's add_generation_prompt). Default false. */
  addGenerationPrompt?: boolean;
  /** Tool (function) definitions, for templates that render them (HF's tools). */
  tools?: unknown[];
  /** Documents for retrieval templates (HF's documents). */
  documents?: unknown[];
  /** More variables for the template (HF's **kwargs to apply_chat_template: enable_thinking, date_string…). */
  variables?: Record<string, unknown>;
}

const RENDER_OPTIONS = ['addGenerationPrompt', 'tools', 'documents', 'variables', 'bosToken', 'eosToken', 'unkToken', 'sepToken', 'padToken', 'clsToken', 'maskToken'] as const;
const SPECIAL: [keyof ChatSpecialTokens, string][] = [['bosToken', 'bos_token'], ['eosToken', 'eos_token'], ['unkToken', 'unk_token'],
  ['sepToken', 'sep_token'], ['padToken', 'pad_token'], ['clsToken', 'cls_token'], ['maskToken', 'mask_token']];

/** A template parsed once and rendered many times (what a model keeps). */
export class ChatTemplate {
  readonly source: string;
  /** The checkpoint's special tokens, passed to every render unless the call gives its own. */
  readonly specialTokens: ChatSpecialTokens;
  private readonly compiled: Compiled;

  constructor(source: string, specialTokens: ChatSpecialTokens = {}) {
    if (typeof source !== 'string') throw new Error(`chat template: the template must be a string, got ${typeof source}`);
    this.source = source;
    this.specialTokens = specialTokens;
    this.compiled = compile(source);
  }

  render(messages: ChatMessage[], options: RenderChatOptions = {}): string {
    return renderCompiled(this.compiled, messages, { ...this.specialTokens, ...definedOnly(options) });
  }
}

/** Renders `messages` with the Jinja `template` as Hugging Face's apply_chat_template(tokenize=False) does. */
export function renderChat(template: string, messages: ChatMessage[], options: RenderChatOptions = {}): string {
  return new ChatTemplate(template).render(messages, options);
}

/**
 * A checkpoint's chat template: chat_template.jinja when the folder has one (the newer layout),
 * else tokenizer_config.json's chat_template, a string or a list of { name, template } (the one
 * named 'default'). Undefined when there is none. The special tokens come from tokenizer_config.json
 * (strings, or AddedToken objects { content }).
 */
export function readChatTemplate(tokenizerConfig: string | undefined, chatTemplateJinja?: string): ChatTemplate | undefined {
  let config: Record<string, unknown> = {};
  if (tokenizerConfig !== undefined) {
    try {
      config = JSON.parse(tokenizerConfig) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`tokenizer_config.json: not valid JSON (${(e as Error).message})`);
    }
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error('tokenizer_config.json: expected a JSON object');
  }
  const specialTokens: ChatSpecialTokens = {};
  for (const [ours, theirs] of SPECIAL) {
    const v = config[theirs];
    const text = typeof v === 'string' ? v : v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : undefined;
    if (text !== undefined) specialTokens[ours] = text;
  }
  const source = chatTemplateJinja ?? templateOf(config.chat_template);
  return source === undefined ? undefined : new ChatTemplate(source, specialTokens);
}

function templateOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as { name?: unknown; template?: unknown }[];
    const found = named.find((t) => t !== null && typeof t === 'object' && t.name === 'default');
    if (!found) {
      const names = named.map((t) => JSON.stringify(t?.name)).join(', ');
      throw new Error(`tokenizer_config.json: chat_template is a list of named templates (${names}) without one named "default"`);
    }
    if (typeof found.template !== 'string') throw new Error('tokenizer_config.json: chat_template "default" has no template string');
    return found.template;
  }
  throw new Error(`tokenizer_config.json: chat_template must be a string or a list of { name, template }, got ${typeof value}`);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Messages as HF requires them: a non-empty array of objects with a string role and string content. */
export function checkMessages(messages: unknown, where = 'chat'): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) throw new Error(`${where}: messages must be an array of { role, content }, got ${messages === null ? 'null' : typeof messages}`);
  if (messages.length === 0) throw new Error(`${where}: messages is empty: give at least one { role, content }`);
  messages.forEach((m: unknown, i) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new Error(`${where}: messages[${i}] must be an object { role, content }, got ${m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m}`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || role === '') throw new Error(`${where}: messages[${i}].role must be a non-empty string, got ${JSON.stringify(role) ?? 'undefined'}`);
    if (typeof content !== 'string') throw new Error(`${where}: messages[${i}].content must be a string, got ${content === null ? 'null' : typeof content}`);
  });
}

// ---- Compiling with lines ----

/** A tag of the template source: its kind, its statement name (if, for, endif…) and its 1-based line. */
interface Tag {
  /** `{% set name %}…{% endset %}`: a set with no '='. */
  setBlock?: boolean;
  kind: 'statement' | 'expression';
  name: string;
  line: number;
  start: number;
  end: number;
}

type Program = ReturnType<typeof parse>;
interface Compiled {
  program: Program;
  /** The line of each statement of the tree (empty when the scan and the engine disagreed on the tags). */
  lines: WeakMap<object, number>;
}

/** Marker comments start with a NUL, which no template's comment does. */
const MARK = '\u0000line ';

class TemplateError extends Error {}

function templateError(line: number | undefined, message: string): TemplateError {
  return new TemplateError(`chat template ${line === undefined ? '(line unknown)' : `line ${line}`}: ${message}`);
}

function compile(source: string): Compiled {
  const scan = scanTags(source);
  let tokens: { value: string; type: string }[];
  try {
    tokens = tokenize(source, { lstrip_blocks: true, trim_blocks: true });
  } catch (e) {
    throw templateError(lexErrorLine(source, scan), (e as Error).message);
  }
  const marked: { value: string; type: string }[] = [];
  let k = 0;
  for (const t of tokens) {
    if (t.type === 'OpenStatement' || t.type === 'OpenExpression') marked.push({ value: `${MARK}${scan.tags[k++]?.line ?? 0}`, type: 'Comment' });
    marked.push(t);
  }
  // Our scan must find the engine's tags one for one; otherwise no lines rather than wrong ones.
  const aligned = k === scan.tags.length;
  const stream = aligned ? marked : tokens;
  let furthest = -1;
  const watched = new Proxy(stream, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) furthest = Math.max(furthest, Number(key));
      return Reflect.get(target, key, receiver);
    },
  });
  let program: Program;
  try {
    program = parse(watched as Parameters<typeof parse>[0]);
  } catch (e) {
    const message = (e as Error).message;
    if (!aligned) throw templateError(undefined, message);
    if (furthest >= stream.length - 1) {
      const open = unclosedBlock(scan.tags);
      if (open) throw templateError(open.line, `the {% ${open.name} %} block opened here is never closed ({% end${open.name} %} is missing)`);
    }
    throw templateError(lineBefore(stream, Math.min(furthest, stream.length - 1)), message);
  }
  const lines = new WeakMap<object, number>();
  if (aligned) unmark(program, lines);
  return { program, lines };
}

/** The line of the nearest marker at or before token `index`. */
function lineBefore(stream: { value: string; type: string }[], index: number): number | undefined {
  for (let i = index; i >= 0; i--) {
    const t = stream[i]!;
    if (t.type === 'Comment' && t.value.startsWith(MARK)) return Number(t.value.slice(MARK.length));
  }
  return undefined;
}

const BLOCKS = new Set(['if', 'for', 'macro', 'call', 'filter']);

/** The innermost block statement left open at the end of the template. */
function unclosedBlock(tags: Tag[]): Tag | undefined {
  const stack: Tag[] = [];
  for (const t of tags) {
    if (t.kind !== 'statement') continue;
    if (BLOCKS.has(t.name) || (t.name === 'set' && t.setBlock)) stack.push(t);
    else if (t.name.startsWith('end') && stack.length && stack.at(-1)!.name === t.name.slice(3)) stack.pop();
  }
  return stack.at(-1);
}

/** A lexing error: the first tag that does not tokenize alone, or a tag or comment left open. */
function lexErrorLine(source: string, scan: { tags: Tag[]; unterminated?: number }): number | undefined {
  for (const t of scan.tags) {
    try {
      tokenize(source.slice(t.start, t.end));
    } catch {
      return t.line;
    }
  }
  return scan.unterminated;
}


/**
 * The {% %} and {{ }} tags of a template, in order, with their lines, found as the engine's
 * lexer finds them: string literals skipped, '}}' closing an expression only outside braces.
 * Comments are skipped, and {% generation %} tags too (the engine removes them before lexing).
 */
function scanTags(src: string): { tags: Tag[]; unterminated?: number } {
  const tags: Tag[] = [];
  const lineAt = (i: number) => {
    let n = 1;
    for (let j = 0; j < i; j++) if (src.charCodeAt(j) === 10) n++;
    return n;
  };
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{', i);
    if (open < 0 || open + 1 >= src.length) break;
    const c = src[open + 1];
    if (c === '#') {
      const close = src.indexOf('#}', open + 2);
      if (close < 0) return { tags, unterminated: lineAt(open) };
      i = close + 2;
      continue;
    }
    if (c !== '%' && c !== '{') {
      i = open + 1;
      continue;
    }
    let j = open + 2, depth = 0, end = -1;
    while (j < src.length) {
      const ch = src[j]!;
      if (ch === "'" || ch === '"') {
        j++;
        while (j < src.length && src[j] !== ch) j += src[j] === '\\' ? 2 : 1;
        j++;
        continue;
      }
      if (src.startsWith('%}', j) || (src.startsWith('}}', j) && depth === 0)) {
        end = j + 2;
        break;
      }
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      j++;
    }
    if (end < 0) return { tags, unterminated: lineAt(open) };
    const inner = src.slice(open + 2, end - 2).replace(/^[-+]/, '').replace(/[-+]$/, '').trim();
    const name = c === '%' ? (/^\w+/.exec(inner)?.[0] ?? '') : '';
    if (name !== 'generation' && name !== 'endgeneration') {
      tags.push({ kind: c === '%' ? 'statement' : 'expression', name, line: lineAt(open), start: open, end,
        setBlock: name === 'set' && !/=/.test(inner.replace(/==/g, '')) });
    }
    i = end;
  }
  return { tags };
}

/**
 * Removes the marker comments from the tree, mapping the statement after each to the marker's
 * line. A marker left at the end of an if's body stood before an {% elif %}: it is the line of the
 * If node that elif made (the single statement of the alternate).
 */
function unmark(node: unknown, lines: WeakMap<object, number>): void {
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (Array.isArray(value)) {
      let pending: number | undefined;
      const kept: unknown[] = [];
      for (const item of value) {
        const marker = item !== null && typeof item === 'object' && (item as { type?: unknown }).type === 'Comment'
          && typeof (item as { value?: unknown }).value === 'string' && (item as { value: string }).value.startsWith(MARK);
        if (marker) {
          pending = Number((item as { value: string }).value.slice(MARK.length));
          continue;
        }
        if (pending !== undefined && item !== null && typeof item === 'object') lines.set(item, pending);
        pending = undefined;
        kept.push(item);
        unmark(item, lines);
      }
      if (kept.length !== value.length) value.splice(0, value.length, ...kept);
      const owner = node as { type?: unknown; alternate?: unknown[] };
      if (pending !== undefined && key === 'body' && owner.type === 'If' && owner.alternate?.length === 1) {
        const elif = owner.alternate[0] as { type?: unknown } | undefined;
        if (elif && elif.type === 'If' && !lines.has(elif)) lines.set(elif, pending);
      }
    } else if (value !== null && typeof value === 'object' && !(value instanceof Map)) {
      unmark(value, lines);
    }
  }
}

// ---- Rendering ----

/** Tells which statement an error came out of: the innermost one with a line. */
class LineTracker extends Interpreter {
  error: unknown;
  line: number | undefined;
  constructor(env: Environment, private readonly lines: WeakMap<object, number>) {
    super(env);
  }

  override evaluate(statement: Parameters<Interpreter['evaluate']>[0], environment: Environment): ReturnType<Interpreter['evaluate']> {
    try {
      return super.evaluate(statement, environment);
    } catch (e) {
      // The first catch of an error is the innermost statement; outer ones see the same object.
      if (e !== this.error && statement && this.lines.has(statement)) {
        this.error = e;
        this.line = this.lines.get(statement);
      }
      throw e;
    }
  }
}

function renderCompiled(compiled: Compiled, messages: ChatMessage[], options: RenderChatOptions): string {
  checkRenderOptions(options);
  checkMessages(messages, 'chat template');
  const env = new Environment();
  const variables: Record<string, unknown> = {
    ...options.variables,
    messages,
    add_generation_prompt: options.addGenerationPrompt ?? false,
  };
  if (options.tools !== undefined) variables.tools = options.tools;
  if (options.documents !== undefined) variables.documents = options.documents;
  for (const [ours, theirs] of SPECIAL) if (options[ours] !== undefined) variables[theirs] = options[ours];
  // Template.render's set-up: the globals (raise_exception, strftime_now, namespace…), then the variables.
  setupGlobalsOf(env);
  for (const [key, value] of Object.entries(variables)) env.set(key, value);
  const interpreter = new LineTracker(env, compiled.lines);
  try {
    return (interpreter.run(compiled.program) as { value: string }).value;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw templateError(interpreter.error === e ? interpreter.line : undefined, message);
  }
}

function checkRenderOptions(options: RenderChatOptions): void {
  if (options === null || typeof options !== 'object') throw new Error(`chat template: options must be an object, got ${String(options)}`);
  const unknown = Object.keys(options).filter((k) => !(RENDER_OPTIONS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`chat template: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the options are ${RENDER_OPTIONS.join(', ')}`);
  if (options.addGenerationPrompt !== undefined && typeof options.addGenerationPrompt !== 'boolean') {
    throw new Error(`chat template: option addGenerationPrompt must be true or false, got ${JSON.stringify(options.addGenerationPrompt)}`);
  }
  for (const key of ['tools', 'documents'] as const) {
    if (options[key] !== undefined && !Array.isArray(options[key])) throw new Error(`chat template: option ${key} must be an array`);
  }
  if (options.variables !== undefined && (options.variables === null || typeof options.variables !== 'object' || Array.isArray(options.variables))) {
    throw new Error('chat template: option variables must be an object of template variables');
  }
  for (const [ours] of SPECIAL) {
    if (options[ours] !== undefined && typeof options[ours] !== 'string') throw new Error(`chat template: option ${ours} must be a string`);
  }
}

/**
 * The engine's globals, as its setupGlobals sets them (the package's index does not export it):
 * the constants, raise_exception, range and strftime_now, which Hugging Face also provides.
 */
function setupGlobalsOf(env: Environment): void {
  for (const [name, value] of [['false', false], ['true', true], ['none', null], ['False', false], ['True', true], ['None', null]] as const) env.set(name, value);
  env.set('raise_exception', (message: unknown) => {
    throw new Error(String(message));
  });
  env.set('range', range);
  env.set('strftime_now', (format: unknown) => strftime(new Date(), String(format)));
}

/** Python's range(stop) / range(start, stop[, step]). */
function range(a: number, b?: number, step = 1): number[] {
  const [start, stop] = b === undefined ? [0, a] : [a, b];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Python's time.strftime for the directives chat templates use (dates in the local time zone). */
function strftime(d: Date, format: string): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const dayOfYear = Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86400000) + 1;
  return format.replace(/%([a-zA-Z%-])(d|m|H|I|M|S)?/g, (all, c: string, after: string | undefined) => {
    // %-d and %-m (glibc's unpadded forms).
    if (c === '-' && after) return String({ d: d.getDate(), m: d.getMonth() + 1, H: d.getHours(), I: d.getHours() % 12 || 12, M: d.getMinutes(), S: d.getSeconds() }[after]);
    const rest = after ?? '';
    switch (c) {
      case 'd': return pad(d.getDate()) + rest;
      case 'm': return pad(d.getMonth() + 1) + rest;
      case 'Y': return String(d.getFullYear()) + rest;
      case 'y': return pad(d.getFullYear() % 100) + rest;
      case 'b': return MONTHS[d.getMonth()]!.slice(0, 3) + rest;
      case 'B': return MONTHS[d.getMonth()]! + rest;
      case 'a': return DAYS[d.getDay()]!.slice(0, 3) + rest;
      case 'A': return DAYS[d.getDay()]! + rest;
      case 'H': return pad(d.getHours()) + rest;
      case 'I': return pad(d.getHours() % 12 || 12) + rest;
      case 'M': return pad(d.getMinutes()) + rest;
      case 'S': return pad(d.getSeconds()) + rest;
      case 'p': return (d.getHours() < 12 ? 'AM' : 'PM') + rest;
      case 'j': return pad(dayOfYear, 3) + rest;
      case '%': return '%' + rest;
      default: return all;
    }
  });
}
