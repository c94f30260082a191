// Command-line arguments: each command declares its positionals and options once (a spec), and
// both the parser and the --help text are made from that spec, so they cannot disagree.
// A small parser of our own rather than node:util's parseArgs: it checks numbers and choices
// against the spec and names the option in every message, and an unknown option gets the close
// names, or, for another tool's (fastText's -ws, gensim's vector_size), ours.
import { closeNames } from '../io/option-names';

/** A mistake in how the command was called: exit code 2, and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionType = 'string' | 'int' | 'number' | 'boolean' | 'choice';

export interface OptionSpec {
  /** Long name without dashes, e.g. 'min-count'. */
  name: string;
  /** One-letter alias, e.g. 'o'. */
  short?: string;
  type: OptionType;
  /** The allowed values of a 'choice'. */
  choices?: readonly string[];
  /** Smallest allowed value of an 'int' or 'number'. */
  min?: number;
  /** Largest allowed value of an 'int' or 'number'. */
  max?: number;
  /** The API's name of what this option sets, when it is not the camelCase of `name` (e.g. 'maxVocabSize'): API errors about it are told as this flag. */
  api?: string;
  /** The value's name in the help text, e.g. 'FILE'. */
  value?: string;
  default?: string | number | boolean;
  help: string;
}

export interface PositionalSpec {
  name: string;
  help: string;
  /** Takes every remaining positional (at least one unless optional). */
  variadic?: boolean;
  optional?: boolean;
}

export interface CommandSpec {
  name: string;
  /** One line for the list of commands. */
  summary: string;
  positionals: PositionalSpec[];
  options: OptionSpec[];
  /** Example invocations for the help text, without the program name. */
  examples?: string[];
  /** Other tools' options (without dashes, e.g. 'ws', 'vector_size'), each with what to write here. */
  foreign?: Readonly<Record<string, ForeignFlag>>;
}

/** Another tool's option: its tool, and ours (e.g. { tool: 'fastText', use: '--window' }). */
export interface ForeignFlag {
  tool: string;
  use: string;
}

export type OptionValue = string | number | boolean;

export interface ParsedArgs {
  positionals: Record<string, string | string[] | undefined>;
  options: Record<string, OptionValue | undefined>;
  /** The options given on the command line (the others hold their defaults). */
  given: ReadonlySet<string>;
  help: boolean;
}

const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', type: 'boolean', help: 'show this help' };

/** Parses `argv` (the words after the command name) against `spec`. */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options: Record<string, OptionValue | undefined> = {};
  const words: string[] = [];
  const specs = [...spec.options, HELP_OPTION];
  const byLong = new Map(specs.map((o) => [o.name, o]));
  const byShort = new Map(specs.filter((o) => o.short).map((o) => [o.short!, o]));
  const fail = (message: string): never => {
    throw new UsageError(message, spec.name);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    // A lone '-' and negative numbers are values, not options.
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      words.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    // -dim, -epoch, -output: another tool's single-dash long option, not -d with the value 'im'.
    if (!long && arg.length > 2) {
      const word = arg.slice(1, eq > 0 ? eq : undefined);
      if (byLong.has(word) || foreignFlag(spec, word)) fail(unknownOption(spec, `-${word}`, word, byLong));
    }
    const key = long ? arg.slice(2, eq > 0 ? eq : undefined) : arg.slice(1, 2);
    let inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (!long && arg.length > 2) inline = arg.slice(2); // -o file.bin or -ofile.bin
    let option = long ? byLong.get(key) : byShort.get(key);
    let negated = false;
    if (!option && long && key.startsWith('no-')) {
      option = byLong.get(key.slice(3));
      negated = option?.type === 'boolean';
      if (!negated) option = undefined;
    }
    if (!option) fail(unknownOption(spec, long ? '--' + key : '-' + key, key, byLong));
    const name = option!.name;
    if (option!.type === 'boolean') {
      if (inline !== undefined) fail(`${spec.name}: option --${name} takes no value`);
      options[name] = !negated;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) fail(`${spec.name}: option --${name} needs a value${option!.value ? ` (${option!.value})` : ''}`);
      value = argv[++i]!;
    }
    options[name] = convert(spec.name, option!, value);
  }

  const help = options.help === true;
  delete options.help;
  const given = new Set(Object.keys(options));
  for (const o of spec.options) if (options[o.name] === undefined && o.default !== undefined) options[o.name] = o.default;
  return { positionals: help ? {} : assignPositionals(spec, words), options, given, help };
}

/** Another tool's option of this name: as typed, or with '_' for '-' and in any case (min_count, minCount). */
function foreignFlag(spec: CommandSpec, name: string): ForeignFlag | undefined {
  const table = spec.foreign ?? {};
  const key = Object.hasOwn(table, name) ? name : Object.keys(table).find((k) => normaliseFlag(k) === normaliseFlag(name));
  return key === undefined ? undefined : table[key];
}

const normaliseFlag = (name: string) => name.toLowerCase().replace(/_/g, '-');

/** "unknown option -ws; fastText's -ws is --window here", "… --dims (did you mean --dim?)". */
function unknownOption(spec: CommandSpec, typed: string, name: string, byLong: ReadonlyMap<string, OptionSpec>): string {
  const head = `${spec.name}: unknown option ${typed}`;
  if (byLong.has(name) && !typed.startsWith('--')) return `${head}; options take two dashes: --${name}`;
  const f = foreignFlag(spec, name);
  if (f) return `${head}; ${f.tool}'s ${typed} is ${f.use} here`;
  const close = closeNames(name, [...byLong.keys()]).map((n) => `--${n}`);
  return close.length ? `${head} (did you mean ${close.length === 1 ? close[0] : `${close.slice(0, -1).join(', ')} or ${close[close.length - 1]}`}?)` : head;
}

function convert(command: string, option: OptionSpec, value: string): OptionValue {
  const name = `--${option.name}`;
  if (option.type === 'string') return value;
  if (option.type === 'choice') {
    if (!option.choices!.includes(value)) {
      throw new UsageError(`${command}: option ${name} must be ${oneOf(option.choices!)}, got '${value}'`, command);
    }
    return value;
  }
  const n = value.trim() === '' ? NaN : Number(value);
  const what = option.type === 'int' ? 'an integer' : 'a number';
  const bound = option.min !== undefined && option.max !== undefined ? ` from ${option.min} to ${option.max}`
    : option.min !== undefined ? ` ≥ ${option.min}` : option.max !== undefined ? ` ≤ ${option.max}` : '';
  if (!Number.isFinite(n) || (option.type === 'int' && !Number.isSafeInteger(n)) ||
    (option.min !== undefined && n < option.min) || (option.max !== undefined && n > option.max)) {
    throw new UsageError(`${command}: option ${name} must be ${what}${bound}, got '${value}'`, command);
  }
  return n;
}

function assignPositionals(spec: CommandSpec, words: string[]): ParsedArgs['positionals'] {
  const out: ParsedArgs['positionals'] = {};
  let i = 0;
  for (const p of spec.positionals) {
    if (p.variadic) {
      const rest = words.slice(i);
      i = words.length;
      if (rest.length === 0 && !p.optional) throw new UsageError(`${spec.name}: missing <${p.name}>`, spec.name);
      out[p.name] = rest;
      continue;
    }
    if (i >= words.length) {
      if (!p.optional) throw new UsageError(`${spec.name}: missing <${p.name}>`, spec.name);
      continue;
    }
    out[p.name] = words[i++]!;
  }
  if (i < words.length) throw new UsageError(`${spec.name}: unexpected argument '${words[i]}'`, spec.name);
  return out;
}

function oneOf(choices: readonly string[]): string {
  const quoted = choices.map((c) => `'${c}'`);
  return quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/** The usage line of a command, e.g. 'wasm-nlp similar <vectors> <word...> [options]'. */
function usageLine(program: string, spec: CommandSpec): string {
  const pos = spec.positionals.map((p) => {
    const s = `<${p.name}${p.variadic ? '...' : ''}>`;
    return p.optional ? `[${s}]` : s;
  });
  return [program, spec.name, ...pos, spec.options.length ? '[options]' : ''].filter(Boolean).join(' ');
}

/** The --help text of a command, made from its spec. */
export function helpText(program: string, spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(program, spec)}`, '', spec.summary];
  if (spec.positionals.length) {
    lines.push('', 'Arguments:');
    lines.push(...columns(spec.positionals.map((p) => [`<${p.name}${p.variadic ? '...' : ''}>`, p.help])));
  }
  lines.push('', 'Options:');
  lines.push(...columns([...spec.options, HELP_OPTION].map((o) => [optionLabel(o), optionHelp(o)])));
  if (spec.examples?.length) {
    lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${program} ${e}`));
  }
  return lines.join('\n') + '\n';
}

function optionLabel(o: OptionSpec): string {
  const short = o.short ? `-${o.short}, ` : '    ';
  const negatable = o.type === 'boolean' && o.default === true;
  const long = negatable ? `--[no-]${o.name}` : `--${o.name}`;
  if (o.type === 'boolean') return short + long;
  const value = o.type === 'choice' ? o.choices!.join('|') : (o.value ?? (o.type === 'string' ? 'VALUE' : 'N'));
  return `${short}${long} ${value}`;
}

function optionHelp(o: OptionSpec): string {
  if (o.default === undefined || o.default === false) return o.help;
  return `${o.help} (default: ${o.default === true ? 'on' : o.default})`;
}

/** Two columns: the labels padded to the longest (up to maxWidth; a longer one gets a line of its own), text after. */
export function columns(rows: [string, string][], indent = 2, maxWidth = 30): string[] {
  const width = Math.min(maxWidth, Math.max(...rows.map(([l]) => l.length)));
  const pad = ' '.repeat(indent);
  return rows.map(([label, help]) => (label.length > width
    ? `${pad}${label}\n${pad}${' '.repeat(width + 2)}${help}`
    : `${pad}${label.padEnd(width + 2)}${help}`));
}
