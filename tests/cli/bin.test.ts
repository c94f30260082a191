// The built executable, dist/cli.js, as a user runs it: a real process with its exit codes.
// Skipped with a message when dist/ is not built (`npm test` builds it first).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
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
    const c = runBin(['classify', './no-such-model', 'some text'], env);
    expect({ status: c.status, stdout: c.stdout, stderr: c.stderr }).toEqual({ status: 1, stdout: '', stderr: 'wasm-nlp: model folder ./no-such-model does not exist\n' });
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

/** Starts `train` on a corpus that takes long, and resolves once it reports progress. */
async function startTraining(dir: string, extra: string[] = []) {
  const corpus = join(dir, 'corpus.txt'), ckpt = join(dir, 'run.ckpt');
  writeFileSync(corpus, Array.from({ length: 200 }, (_, i) => `the ${i % 7} cat and the ${i % 5} dog sat on the ${i % 3} mat`).join('\n'));
  const child = spawn(process.execPath, [bin, 'train', corpus, '-o', join(dir, 'v.bin'), '--epochs', '100000', '--min-count', '1', '--checkpoint', ckpt, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  await new Promise<void>((started) => child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('epoch')) started();
  }));
  return { child, exited, ckpt, stderr: () => stderr };
}

test.skipIf(skip)('SIGTERM during train --checkpoint writes the checkpoint as Ctrl-C does: exit 143', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-sigterm-'));
  try {
    const run = await startTraining(dir);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.stderr()).toContain('wasm-nlp: stopping (SIGTERM again to quit at once)\n');
    expect(run.stderr()).toContain(`wasm-nlp: checkpoint saved to ${run.ckpt}; continue with --resume ${run.ckpt}\n`);
    expect(run.stderr().endsWith('wasm-nlp: terminated\n')).toBe(true);
    const saved = await Word2Vec.load(run.ckpt);
    expect(saved.vocab).toContain('cat');
    expect(saved.lossPerEpoch.length).toBeGreaterThan(0); // the training state, not just vectors
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.skipIf(skip)('train - reads the process\'s standard input (plain or gzipped); { path: \'-\' } in the API too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-stdin-'));
  try {
    const text = Array.from({ length: 300 }, (_, i) => `the ${['cat', 'dog', 'cow'][i % 3]} sat on the ${['mat', 'hat', 'rug'][i % 3]} today`).join('\n');
    const file = join(dir, 'corpus.txt');
    writeFileSync(file, text);
    const flags = ['--dim', '8', '--epochs', '2', '--min-count', '1', '--seed', '3', '--simd', 'baseline'];
    const fromFile = spawnSync(process.execPath, [bin, 'train', file, '-o', join(dir, 'file.bin'), ...flags], { encoding: 'utf8' });
    expect(fromFile.status).toBe(0);
    for (const [name, input] of [['plain', Buffer.from(text)], ['gzip', gzipSync(text)]] as const) {
      const r = spawnSync(process.execPath, [bin, 'train', '-', '-o', join(dir, `${name}.bin`), ...flags], { input, encoding: 'utf8' });
      expect({ name, status: r.status, stderr: r.stderr.split('\n').filter((l) => l.startsWith('wasm-nlp')) }).toEqual({ name, status: 0, stderr: [] });
      expect(readFileSync(join(dir, `${name}.bin`)).equals(readFileSync(join(dir, 'file.bin'))), name).toBe(true);
    }
    // A binary file on standard input is refused as such.
    const bad = spawnSync(process.execPath, [bin, 'train', '-', '-o', join(dir, 'bad.bin'), ...flags], { input: Buffer.from([0x61, 0x20, 0, 0x62]), encoding: 'utf8' });
    expect({ status: bad.status, stderr: bad.stderr }).toEqual({
      status: 1, stderr: 'wasm-nlp: corpus (standard input): byte 2 is NUL (0x00): this is a binary file (or UTF-16), not UTF-8 text; pass --allow-binary to read it anyway\n',
    });
    // The API: { path: '-' } is standard input.
    const index = resolve(__dirname, '../../dist/index.js');
    const api = spawnSync(process.execPath, ['--input-type=module', '-e', [
      `import { Word2Vec, init } from ${JSON.stringify(index)};`,
      "const m = await Word2Vec.train({ path: '-' }, { dim: 8, epochs: 2, minCount: 1, seed: 3, runtime: await init({ simd: 'baseline' }) });",
      "process.stdout.write(Buffer.from(m.toBytes('binary')).toString('base64'));",
    ].join('\n')], { input: text, encoding: 'utf8' });
    expect(api.stderr).toBe('');
    expect(Buffer.from(api.stdout, 'base64').equals(readFileSync(join(dir, 'file.bin')))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
