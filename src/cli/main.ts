// The wasm-nlp command line: finds the command, parses its arguments against its spec, runs it,
// and turns every failure into one line on stderr and an exit code (1: the job failed, e.g. a
// missing file or bad input; 2: the command was called wrongly; 130: interrupted).
import { columns, helpText, parseArgs, UsageError } from './args';
import type { Command } from './command';
import type { CliIO } from './io';
import { packageVersion } from './package-root';
import { demoCommand } from './commands/demo';
import { trainCommand } from './commands/train';
import { analogyCommand, similarCommand } from './commands/query';
import { evalCommand } from './commands/eval';
import { classifyCommand, embedCommand, translateCommand } from './commands/transformer';
import { quantizeCommand } from './commands/quantize';
import { benchCommand } from './commands/bench';

export const PROGRAM = 'wasm-nlp';

export const COMMANDS: readonly Command[] = [
  demoCommand, trainCommand, similarCommand, analogyCommand, evalCommand,
  embedCommand, classifyCommand, translateCommand, quantizeCommand, benchCommand,
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
    await command.run(args, io);
    return 0;
  } catch (e) {
    return report(e, io);
  }
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
    line('interrupted');
    return 130;
  }
  line(error.message || error.name);
  if (debug && error.stack) io.stderr.write(error.stack + '\n');
  return 1;
}
