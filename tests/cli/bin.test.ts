// The built executable, dist/cli.js, as a user runs it: a real process with its exit codes.
// Skipped with a message when dist/ is not built (`npm test` builds it first).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';
import { mainHelp } from '../../src/cli/main';

const bin = resolve(__dirname, '../../dist/cli.js');
const built = existsSync(bin);
if (!built) console.warn(`tests/cli/bin.test.ts: skipped, ${bin} is not built (npm run build)`);

const runBin = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

test.skipIf(!built)('dist/cli.js is an executable script with the package\'s help', () => {
  expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ 'wasm-nlp': 'dist/cli.js' });
  const r = runBin(['--help']);
  expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: mainHelp(), stderr: '' });
});

test.skipIf(!built)('a user error: one line on stderr, exit 1, no stack; with and without the relaxed-SIMD restart', () => {
  const envs: Record<string, string>[] = [{}, { WASM_NLP_NO_REEXEC: '1' }];
  for (const env of envs) {
    const r = runBin(['similar', 'no-such-vectors.bin', 'king'], env);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 1, stdout: '', stderr: 'wasm-nlp: vectors no-such-vectors.bin does not exist\n' });
  }
  const usage = runBin(['train', '--epochs', 'two']);
  expect(usage.status).toBe(2);
  expect(usage.stderr).toBe("wasm-nlp: train: option --epochs must be an integer ≥ 1, got 'two' (see 'wasm-nlp train --help')\n");
});
