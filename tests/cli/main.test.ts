// The top level: help for the program and for each command (made from the command's spec),
// --version, the exit codes; and bench, through its --json report.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';
import { helpText } from '../../src/cli/args';
import { COMMANDS, mainHelp } from '../../src/cli/main';
import { cli, expectOneLineError } from './capture';

test('--help lists every command; <command> --help and help <command> print its spec\'s help', async () => {
  const top = await cli(['--help']);
  expect(top).toEqual({ code: 0, stdout: mainHelp(), stderr: '' });
  expect(COMMANDS.map((c) => c.spec.name)).toEqual(['demo', 'train', 'similar', 'analogy', 'eval', 'embed', 'classify', 'search', 'translate', 'quantize', 'bench']);
  for (const c of COMMANDS) {
    expect(top.stdout).toContain(`  ${c.spec.name.padEnd(9)}  ${c.spec.summary}\n`);
    expect(await cli([c.spec.name, '--help'])).toEqual({ code: 0, stdout: helpText('wasm-nlp', c.spec), stderr: '' });
    expect((await cli(['help', c.spec.name])).stdout).toBe(helpText('wasm-nlp', c.spec));
  }
});

test('no command: the help on stderr and exit 2; --version from package.json', async () => {
  expect(await cli([])).toEqual({ code: 2, stdout: '', stderr: mainHelp() });
  const { version } = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8'));
  expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  expectOneLineError(await cli(['--threads', '2']), 2, 'unknown option --threads (options go after the command)');
});

test('bench --json: GEMM and word2vec figures that are real measurements', async () => {
  const r = await cli(['bench', '--quick', '--tokens', '3000', '--threads', '2', '--json']);
  expect(r.code).toBe(0);
  const b = JSON.parse(r.stdout);
  expect(b.gemm.shape).toBe('128x768x768');
  expect(b.gemm.wasmGflops).toBeGreaterThan(0);
  expect(b.gemm.ratio).toBeCloseTo(b.gemm.wasmGflops / b.gemm.jsGflops, 10);
  // Only the first 3000 tokens of the sample corpus are trained on.
  expect(b.word2vec.tokens).toBe(3000);
  expect(Object.keys(b.word2vec.wordsPerSecond)).toEqual(['wasm, 1 thread', 'wasm, 2 threads', 'js twin, 1 thread']);
  expect(b.word2vec.jsTokens).toBe(1000); // the JS twin's tenth of the slice: at least one line (of 1000 tokens)
  for (const v of Object.values(b.word2vec.wordsPerSecond)) expect(v).toBeGreaterThan(0);
}, 60_000);
