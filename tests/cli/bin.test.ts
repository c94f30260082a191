// The built executable, dist/cli.js, as a user runs it: a real process with its exit codes.
// Skipped with a message when dist/ is not built (`npm test` builds it first).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { mainHelp } from '../../src/cli/main';
import { Word2Vec } from '../../src/index';

const bin = resolve(__dirname, '../../dist/cli.js');
const built = existsSync(bin);
if (!built) console.warn(`tests/cli/bin.test.ts: skipped, ${bin} is not built (npm run build)`);
// The spawned Node is the same in both vitest projects: run these once, in the first.
const skip = !built || process.env.WASM_NLP_EXPECT_RELAXED === '1';

const runBin = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

test.skipIf(skip)('dist/cli.js is an executable script with the package\'s help', () => {
  expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ 'wasm-nlp': 'dist/cli.js' });
  const r = runBin(['--help']);
  expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: mainHelp(), stderr: '' });
});

test.skipIf(skip)('a user error: one line on stderr, exit 1, no stack; with and without the relaxed-SIMD restart', () => {
  const envs: Record<string, string>[] = [{}, { WASM_NLP_NO_REEXEC: '1' }];
  for (const env of envs) {
    const r = runBin(['similar', 'no-such-vectors.bin', 'king'], env);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 1, stdout: '', stderr: 'wasm-nlp: vectors no-such-vectors.bin does not exist\n' });
    const c = runBin(['classify', 'no-such-model', 'some text'], env);
    expect({ status: c.status, stdout: c.stdout, stderr: c.stderr }).toEqual({ status: 1, stdout: '', stderr: 'wasm-nlp: model folder no-such-model does not exist\n' });
  }
  const usage = runBin(['eval', 'v.bin', '--restrict-vocab', 'all']);
  expect(usage.status).toBe(2);
  expect(usage.stderr).toBe("wasm-nlp: eval: option --restrict-vocab must be an integer ≥ 1, got 'all' (see 'wasm-nlp eval --help')\n");
});

// Node 20 validates relaxed SIMD only under the flag: the demo restarts itself with it.
test.skipIf(skip)('the demo runs on the relaxed-SIMD build (restarting Node 20 with the flag), or the plain one when told not to', () => {
  const args = ['demo', '--data', resolve(__dirname, 'no-such-data'), '--threads', '1'];
  const header = (env: Record<string, string>) => runBin(args, env).stdout.split('\n')[0];
  const node20 = /^v2[01]\./.test(process.version);
  expect(header({ WASM_NLP_NO_REEXEC: '1' })).toBe(`wasm-nlp demo: kernels ${node20 ? 'simd' : 'relaxed'}, 1 thread(s)`);
  expect(header({})).toBe('wasm-nlp demo: kernels relaxed, 1 thread(s)');
});

test.skipIf(skip)('Ctrl-C stops training between batches: exit 130 and a checkpoint to resume from', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-sigint-'));
  try {
    const corpus = join(dir, 'corpus.txt'), ckpt = join(dir, 'run.ckpt');
    writeFileSync(corpus, Array.from({ length: 200 }, (_, i) => `the ${i % 7} cat and the ${i % 5} dog sat on the ${i % 3} mat`).join('\n'));
    // Far more epochs than the test waits for: it is stopped as soon as it reports progress.
    const child = spawn(process.execPath, [bin, 'train', corpus, '-o', join(dir, 'v.bin'), '--epochs', '100000', '--min-count', '1', '--checkpoint', ckpt], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await new Promise<void>((started) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('epoch')) started();
    }));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain(`wasm-nlp: checkpoint saved to ${ckpt}; continue with --resume ${ckpt}\n`);
    expect(stderr.endsWith('wasm-nlp: interrupted\n')).toBe(true);
    const saved = await Word2Vec.load(ckpt);
    expect(saved.vocab).toContain('cat');
    expect(saved.toBytes('checkpoint').length).toBeGreaterThan(0); // it holds the training state
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
