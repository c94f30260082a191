// The argument parser and the help text made from the same spec.
import { describe, expect, test } from 'vitest';
import { helpText, parseArgs, UsageError, type CommandSpec } from '../../src/cli/args';

const spec: CommandSpec = {
  name: 'train',
  summary: 'Train.',
  positionals: [{ name: 'corpus', help: 'the corpus' }, { name: 'extra', help: 'more', variadic: true, optional: true }],
  options: [
    { name: 'output', short: 'o', type: 'string', value: 'FILE', default: 'vectors.bin', help: 'where' },
    { name: 'dim', type: 'int', min: 1, default: 100, help: 'size' },
    { name: 'sample', type: 'number', min: 0, help: 'threshold' },
    { name: 'model', type: 'choice', choices: ['skipgram', 'cbow'], default: 'skipgram', help: 'arch' },
    { name: 'json', type: 'boolean', help: 'json' },
    { name: 'normalize', type: 'boolean', default: true, help: 'unit length' },
  ],
};

const usage = (argv: string[]) => {
  try {
    parseArgs(spec, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`parseArgs(${argv.join(' ')}) did not fail`);
};

describe('parseArgs', () => {
  test('long, short, --name=value, -ovalue, booleans, --no-, defaults and positionals', () => {
    const a = parseArgs(spec, ['c.txt', '--dim', '50', '-o', 'v.txt', '--sample=1e-4', '--json', 'x', 'y', '--no-normalize']);
    expect(a.positionals).toEqual({ corpus: 'c.txt', extra: ['x', 'y'] });
    expect(a.options).toEqual({ dim: 50, output: 'v.txt', sample: 1e-4, json: true, normalize: false, model: 'skipgram' });
    expect(a.help).toBe(false);
    expect(parseArgs(spec, ['c', '-ov.bin']).options.output).toBe('v.bin');
    expect(parseArgs(spec, ['c']).options).toEqual({ output: 'vectors.bin', dim: 100, model: 'skipgram', normalize: true });
    // After --, everything is a positional; a lone '-' and negative numbers are values.
    expect(parseArgs(spec, ['c', '--', '--dim', '-']).positionals.extra).toEqual(['--dim', '-']);
    expect(parseArgs(spec, ['-', '-5']).positionals).toEqual({ corpus: '-', extra: ['-5'] });
  });

  test('--help skips the positional checks', () => {
    expect(parseArgs(spec, ['--help']).help).toBe(true);
    expect(parseArgs(spec, ['-h', '--dim', '3']).help).toBe(true);
  });

  test('every mistake names the option or argument', () => {
    expect(usage([])).toBe('train: missing <corpus>');
    expect(usage(['c', '--dims', '5'])).toBe('train: unknown option --dims (did you mean --dim?)');
    expect(usage(['c', '-x'])).toBe('train: unknown option -x');
    expect(usage(['c', '--no-dim'])).toBe('train: unknown option --no-dim');
    expect(usage(['c', '--dim'])).toBe('train: option --dim needs a value');
    expect(usage(['c', '--dim', 'abc'])).toBe("train: option --dim must be an integer ≥ 1, got 'abc'");
    expect(usage(['c', '--dim', '2.5'])).toBe("train: option --dim must be an integer ≥ 1, got '2.5'");
    expect(usage(['c', '--dim', '0'])).toBe("train: option --dim must be an integer ≥ 1, got '0'");
    expect(usage(['c', '--dim='])).toBe("train: option --dim must be an integer ≥ 1, got ''");
    expect(usage(['c', '--sample', '-1'])).toBe("train: option --sample must be a number ≥ 0, got '-1'");
    expect(usage(['c', '--sample', 'Infinity'])).toBe("train: option --sample must be a number ≥ 0, got 'Infinity'");
    expect(usage(['c', '--model', 'glove'])).toBe("train: option --model must be 'skipgram' or 'cbow', got 'glove'");
    expect(usage(['c', '--json=yes'])).toBe('train: option --json takes no value');
  });

  test('an unknown option names the close ones; another tool\'s names ours; one dash before a long name is refused', () => {
    const withForeign: CommandSpec = {
      ...spec,
      options: [...spec.options, { name: 'min-count', type: 'int', min: 1, help: 'min' }, { name: 'threads', type: 'int', min: 1, max: 256, help: 't' }],
      foreign: { ws: { tool: 'fastText', use: '--window' }, minCount: { tool: 'fastText', use: '--min-count' }, vector_size: { tool: 'gensim', use: '--dim' } },
    };
    const fail = (argv: string[]) => {
      try {
        parseArgs(withForeign, argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`parseArgs(${argv.join(' ')}) did not fail`);
    };
    expect(fail(['c', '--min_count', '2'])).toBe('train: unknown option --min_count (did you mean --min-count?)');
    expect(fail(['c', '--modle', 'cbow'])).toBe('train: unknown option --modle (did you mean --model?)');
    expect(fail(['c', '--threds', '2'])).toBe('train: unknown option --threds (did you mean --threads?)');
    expect(fail(['c', '--colour'])).toBe('train: unknown option --colour');
    // fastText's single-dash names: -ws is not -w with the value 's'.
    expect(fail(['c', '-ws', '5'])).toBe("train: unknown option -ws; fastText's -ws is --window here");
    expect(fail(['c', '-minCount', '5'])).toBe("train: unknown option -minCount; fastText's -minCount is --min-count here");
    expect(fail(['c', '--vector_size', '5'])).toBe("train: unknown option --vector_size; gensim's --vector_size is --dim here");
    expect(fail(['c', '--vector-size', '5'])).toBe("train: unknown option --vector-size; gensim's --vector-size is --dim here");
    // Our own names with one dash (fastText's -dim, the C tool's -output): not -d 'im', not -o 'utput'.
    expect(fail(['c', '-dim', '5'])).toBe('train: unknown option -dim; options take two dashes: --dim');
    expect(fail(['c', '-output', 'v.bin'])).toBe('train: unknown option -output; options take two dashes: --output');
    expect(parseArgs(withForeign, ['c', '-ovectors.bin']).options.output).toBe('vectors.bin');
    // A maximum, as the runtime's for threads: a usage error here, not the API's message later.
    expect(fail(['c', '--threads', '1000'])).toBe("train: option --threads must be an integer from 1 to 256, got '1000'");
    expect(parseArgs(withForeign, ['c', '--threads', '256']).options.threads).toBe(256);
  });

  test('given: the options typed, apart from the defaults', () => {
    const a = parseArgs(spec, ['c', '--dim', '100', '--json']);
    expect([...a.given].sort()).toEqual(['dim', 'json']);
    expect(a.options.output).toBe('vectors.bin');
    expect(parseArgs(spec, ['c']).given.size).toBe(0);
  });

  test('an unexpected extra argument is refused when no variadic takes it', () => {
    const one: CommandSpec = { ...spec, positionals: [spec.positionals[0]!] };
    expect(() => parseArgs(one, ['a', 'b'])).toThrow("train: unexpected argument 'b'");
  });
});

test('the help text lists every argument and option from the spec, with defaults', () => {
  expect(helpText('wasm-nlp', spec)).toBe([
    'Usage: wasm-nlp train <corpus> [<extra...>] [options]',
    '',
    'Train.',
    '',
    'Arguments:',
    '  <corpus>    the corpus',
    '  <extra...>  more',
    '',
    'Options:',
    '  -o, --output FILE          where (default: vectors.bin)',
    '      --dim N                size (default: 100)',
    '      --sample N             threshold',
    '      --model skipgram|cbow  arch (default: skipgram)',
    '      --json                 json',
    '      --[no-]normalize       unit length (default: on)',
    '  -h, --help                 show this help',
    '',
  ].join('\n'));
});
