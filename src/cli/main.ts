// The wasm-nlp command line: finds the command, parses its arguments against its spec, runs it,
// and turns every failure into one line on stderr and an exit code (1: the job failed, e.g. a
// missing file or bad input; 2: the command was called wrongly, an option's value the API
// refused included; 130: interrupted by Ctrl-C; 143: stopped by SIGTERM). API errors are told
// in the command line's terms: "option threads" becomes "option --threads".
import { columns, helpText, parseArgs, UsageError, type CommandSpec } from './args';
import type { Command } from './command';
import type { CliIO } from './io';
import { packageVersion } from './package-root';
import { demoCommand } from './commands/demo';
import { trainCommand } from './commands/train';
import { analogyCommand, similarCommand } from './commands/query';
import { evalCommand } from './commands/eval';
import { classifyCommand, embedCommand, translateCommand } from './commands/transformer';
import { quantizeCommand } from './commands/quantize';
import { searchCommand } from './commands/search';
import { benchCommand } from './commands/bench';

export const PROGRAM = 'wasm-nlp';

export const COMMANDS: readonly Command[] = [
  demoCommand, trainCommand, similarCommand, analogyCommand, evalCommand,
  embedCommand, classifyCommand, searchCommand, translateCommand, quantizeCommand, benchCommand,
];

export function mainHelp(): string {
  return [
    `Usage: ${PROGRAM} <command> [arguments] [options]`,
    '',
    'word2vec training and Hugging Face transformer inference on WebAssembly SIMD.',
    '',
    'Commands:',
    ...columns(COMMANDS.map((c) => [c.spec.name, c.spec.summary])),
    '',
    'Options:',
    ...columns([['-h, --help', 'show this help'], ['-v, --version', 'show the version']]),
    '',
    `'${PROGRAM} <command> --help' lists a command's arguments and options.`,
    'Errors print one line; WASM_NLP_DEBUG=1 adds the stack.',
    '',
  ].join('\n');
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      io.stderr.write(mainHelp());
      return 2;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const topic = first === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
      io.stdout.write(topic ? helpText(PROGRAM, topic.spec) : mainHelp());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    const command = COMMANDS.find((c) => c.spec.name === first);
    if (!command) {
      throw new UsageError(first.startsWith('-') ? `unknown option ${first} (options go after the command)` : `unknown command '${first}'`);
    }
    const args = parseArgs(command.spec, rest);
    if (args.help) {
      io.stdout.write(helpText(PROGRAM, command.spec));
      return 0;
    }
    try {
      await command.run(args, io);
    } catch (e) {
      throw inCommandTerms(e, command.spec);
    }
    return 0;
  } catch (e) {
    return report(e, io);
  }
}

/** The API's name for what a flag sets: its `api`, else its name in camelCase (min-count → minCount). */
const apiName = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * An API error told with the command's flags: "word2vec: option threads must be …" is a usage
 * error, "train: option --threads must be …"; "pass allowBinary: true" becomes "pass
 * --allow-binary". Other errors pass as they are.
 */
export function inCommandTerms(e: unknown, spec: CommandSpec): unknown {
  if (!(e instanceof Error) || e instanceof UsageError) return e;
  const flag = (api: string) => spec.options.find((o) => (o.api ?? apiName(o.name)) === api);
  const m = /^[\w.]+: option (\w+)\b([^]*)$/.exec(e.message);
  const option = m && flag(m[1]!);
  if (option) return new UsageError(`${spec.name}: option --${option.name}${m![2]}`, spec.name);
  const message = e.message.replace(/\bpass (\w+): true\b/g, (all, api: string) => {
    const o = flag(api);
    return o ? `pass --${o.name}` : all;
  });
  if (message === e.message) return e;
  return Object.assign(new Error(message, { cause: e }), { name: e.name });
}

function report(e: unknown, io: CliIO): number {
  const debug = io.env.WASM_NLP_DEBUG === '1';
  const line = (text: string) => io.stderr.write(`${PROGRAM}: ${text.replace(/\s*\n\s*/g, ' ')}\n`);
  if (e instanceof UsageError) {
    line(`${e.message} (see '${PROGRAM} ${e.command ? e.command + ' ' : ''}--help')`);
    return 2;
  }
  const error = e instanceof Error ? e : new Error(String(e));
  if (error.name === 'AbortError' || io.signal?.aborted) {
    // bin.ts aborts with the signal's name as the reason's `signal`.
    if ((io.signal?.reason as { signal?: string } | undefined)?.signal === 'SIGTERM') {
      line('terminated');
      return 143;
    }
    line('interrupted');
    return 130;
  }
  line(error.message || error.name);
  if (debug && error.stack) io.stderr.write(error.stack + '\n');
  return 1;
}
