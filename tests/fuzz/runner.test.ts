// The harness itself: each kind of failure it exists to catch is caught, with the iteration,
// and a valid result or a proper FormatError is not a failure.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FormatError } from '../../src/io/errors';
import { init, type Runtime } from '../../src/runtime';
import { fuzz } from './runner';
import type { Loaded, Target } from './targets';

let rt: Runtime;
const artifacts = mkdtempSync(join(tmpdir(), 'fuzz-runner-'));
beforeAll(async () => {
  rt = await init();
});
afterAll(() => {
  rt?.dispose();
  rmSync(artifacts, { recursive: true, force: true });
});

const valid: Loaded = { check: () => {}, dispose: () => {} };

/** A target whose load does `load` on a 100-byte input. */
function target(load: (files: Record<string, Uint8Array>) => Promise<Loaded> | Loaded): Target {
  return { name: 'synthetic', seeds: [{ file: new Uint8Array(100) }], mutate: (_, seed) => seed, load: async (files) => load(files) };
}

async function reasons(t: Target, timeLimitMs = 5000): Promise<string[]> {
  const report = await fuzz(t, rt, { iterations: 2, seed: 1, timeLimitMs, artifacts });
  expect(report.iterations).toBe(2);
  return report.failures.map((f) => `${f.iteration}: ${f.reason}`);
}

describe('fuzz runner', () => {
  test('valid results and FormatErrors inside the input are not failures', async () => {
    expect(await reasons(target(() => valid))).toEqual([]);
    const report = await fuzz(target(() => { throw new FormatError('bad count', 'count', 99); }), rt, { iterations: 3, seed: 1, timeLimitMs: 5000 });
    expect([report.failures, report.errors['count'], report.ok]).toEqual([[], 3, 0]);
  });

  test('other exceptions, FormatErrors without a field or outside the input, failed sanity checks', async () => {
    expect(await reasons(target(() => { throw new RangeError('Invalid typed array length'); }))).toEqual([
      expect.stringMatching(/^0: threw RangeError: Invalid typed array length/), expect.stringMatching(/^1: threw RangeError/)]);
    expect((await reasons(target(() => { throw new FormatError('x', '', 0); })))[0]).toMatch(/FormatError without a field/);
    expect((await reasons(target(() => { throw new FormatError('x', 'count', 101); })))[0]).toMatch(/byte offset 101, outside the input/);
    expect((await reasons(target(() => ({ check: () => { throw new Error('NaN'); }, dispose: () => {} }))))[0]).toMatch(/loaded, but the result is wrong: Error: NaN/);
  });

  test('slow iterations, leaked WASM memory, RSS growth beyond the bound', async () => {
    expect((await reasons(target(async () => { await new Promise((r) => setTimeout(r, 30)); return valid; }), 10))[0]).toMatch(/more than the 10 ms limit/);
    expect((await reasons(target(() => { rt.tensor([1000]); return valid; })))[0]).toMatch(/4\d{3} bytes of WASM memory still allocated/);
    const kept: Uint8Array[] = [];
    expect((await reasons(target(() => { kept.push(new Uint8Array(100 << 20).fill(1)); return valid; })))[0]).toMatch(/RSS grew by \d+ bytes for 100 bytes of input/);
    kept.length = 0;
  });

  test('a failing input is saved with the reason and the command that replays it', async () => {
    await reasons(target(() => { throw new TypeError('x is not iterable'); }));
    const dir = join(artifacts, 'synthetic-seed1-iteration1');
    expect(readdirSync(dir).sort()).toEqual(['FAILURE.txt', 'file']);
    expect(readFileSync(join(dir, 'FAILURE.txt'), 'utf8')).toMatch(/threw TypeError: x is not iterable[\s\S]*npm run fuzz -- --target synthetic --seed 1 --from 1 --iterations 1/);
  });
});
