// The fuzz harness inside `npm test`: a fixed-seed short run of every target. The long run is
// `npm run fuzz -- --iterations N [--target NAME] [--seed S] [--from I]`, which runs this file
// with FUZZ_* variables (tests/fuzz/cli.mjs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/runtime';
import { fuzz } from './runner';
import { makeTargets, type Target } from './targets';

const env = process.env;
const long = env['FUZZ_ITERATIONS'] !== undefined;
const iterations = Number(env['FUZZ_ITERATIONS'] ?? 150);
const seed = Number(env['FUZZ_SEED'] ?? 1);
const from = Number(env['FUZZ_FROM'] ?? 0);
const only = env['FUZZ_TARGET'];
const ARTIFACTS = join(__dirname, '..', '..', 'artifacts', 'fuzz');
const NAMES = ['safetensors', 'sharded-index', 'config', 'tokenizer', 'sentence-transformers', 'word2vec-text', 'word2vec-binary', 'fasttext-vec', 'checkpoint', 'fasttext-bin',
  'quantized-checkpoint', 'pytorch', 'sentencepiece'];

let rt: Runtime;
let targets: Target[];
beforeAll(async () => {
  rt = await init();
  targets = await makeTargets(rt);
});
afterAll(() => rt?.dispose());

describe('fuzz: every outcome is a valid model or a FormatError naming the field and byte offset', () => {
  test('the targets are the ones this file lists', () => {
    expect(targets.map((t) => t.name)).toEqual(NAMES);
  });

  test.each(NAMES.filter((n) => !only || only.split(',').includes(n)))('%s', async (name) => {
    const target = targets.find((t) => t.name === name)!;
    const report = await fuzz(target, rt, {
      iterations, seed, from, timeLimitMs: long ? 10_000 : 5_000, artifacts: ARTIFACTS, heartbeat: env['FUZZ_HEARTBEAT'],
    });
    if (long) {
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, `report-${name}-seed${seed}.json`), JSON.stringify(report, null, 2));
    }
    console.log(`fuzz ${name}: ${report.iterations} iterations in ${report.seconds.toFixed(1)} s, ${report.ok} ok, ` +
      `${Object.values(report.errors).reduce((a, b) => a + b, 0)} FormatErrors ${JSON.stringify(report.errors)}, notes ${JSON.stringify(report.notes)}, ` +
      `${report.failures.length} failures; largest growth of an iteration: WASM ${report.maxWasmGrowth} B, RSS ${report.maxRssGrowth} B`);
    for (const f of report.failures.slice(0, 20)) console.log(`  FAILURE at iteration ${f.iteration}: ${f.reason}${f.saved ? ` (saved to ${f.saved})` : ''}`);
    expect(report.failures.slice(0, 5)).toEqual([]);
    expect(report.iterations).toBe(iterations);
    // The mutations reach past the first check: refusals with several different fields.
    if (iterations >= 100) expect(Object.keys(report.errors).length).toBeGreaterThan(2);
  }, long ? 24 * 3600_000 : 60_000);
});
