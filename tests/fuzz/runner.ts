// The fuzz loop: each iteration mutates a seed input of a target (replayable from the run's seed,
// the target's name and the iteration), loads it, and classifies the outcome:
//   ok       a valid result, which passed the target's sanity check;
//   error    a FormatError naming a field and a byte offset inside the input;
//   FAILURE  anything else: another exception (RangeError, TypeError, a WASM trap, a plain
//            Error), a failed sanity check, an iteration slower than the time limit, WASM
//            memory left allocated after the result is disposed, or WASM memory / RSS growth
//            beyond a bound proportional to the input's size.
// A failure's input is saved to artifacts/fuzz/ with the error, so it can be replayed.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { FormatError } from '../../src/io/errors';
import type { Runtime } from '../../src/runtime';
import { iterationRng } from './mutate';
import type { Files, Target } from './targets';

export interface FuzzOptions {
  iterations: number;
  seed: number;
  /** First iteration (to replay one: `from` = it, `iterations` = 1). */
  from?: number;
  /** An iteration slower than this is a failure (a hang, or a superlinear parser). */
  timeLimitMs: number;
  /** Where failing inputs are saved; none when undefined. */
  artifacts?: string;
  /** A file the runner rewrites with "target iteration" before each iteration, for a watchdog. */
  heartbeat?: string;
}

export interface Failure {
  iteration: number;
  reason: string;
  /** Where the input was saved. */
  saved?: string;
}

export interface FuzzReport {
  target: string;
  iterations: number;
  ok: number;
  /** FormatErrors by field (digits in fields, as in tensor names, replaced by #). */
  errors: Record<string, number>;
  /** Valid results with a note (counted in ok too). */
  notes: Record<string, number>;
  failures: Failure[];
  seconds: number;
  /** The largest growth of one iteration, in bytes, against the bounds below. */
  maxWasmGrowth: number;
  maxRssGrowth: number;
}

/** Growth allowed per iteration: a multiple of the input's bytes, plus slack (measured: at most 15 MB of RSS, 0 of WASM after the first load). */
const WASM_GROWTH_PER_BYTE = 16, WASM_SLACK = 1 << 20;
const RSS_GROWTH_PER_BYTE = 32, RSS_SLACK = 48 << 20;

export async function fuzz(target: Target, rt: Runtime, o: FuzzOptions): Promise<FuzzReport> {
  // Null-prototype counters: a field named "constructor" is a key like any other.
  const report: FuzzReport = { target: target.name, iterations: 0, ok: 0, errors: Object.create(null), notes: Object.create(null), failures: [], seconds: 0,
    maxWasmGrowth: 0, maxRssGrowth: 0 };
  const memory = rt.arena?.memory;
  const heartbeat = o.heartbeat ? openSync(o.heartbeat, 'w') : undefined;
  const started = performance.now();
  try {
    for (let i = o.from ?? 0; i < (o.from ?? 0) + o.iterations; i++) {
      if (heartbeat !== undefined) writeSync(heartbeat, `${target.name} ${i}\n`.padEnd(64), 0);
      const rng = iterationRng(o.seed, target.name, i);
      const input = target.mutate(rng, rng.pick(target.seeds));
      const size = Object.values(input).reduce((s, b) => s + b.length, 0);
      const largest = Math.max(...Object.values(input).map((b) => b.length));
      const used0 = rt.arena?.usedBytes ?? 0, pages0 = memory?.buffer.byteLength ?? 0, rss0 = process.memoryUsage.rss();
      const t0 = performance.now();
      const reason = await runOnce(target, rt, input, largest);
      const ms = performance.now() - t0;
      const problems: string[] = [];
      if (typeof reason === 'string') problems.push(reason);
      else if (reason.field !== undefined) report.errors[reason.field] = (report.errors[reason.field] ?? 0) + 1;
      else {
        report.ok++;
        if (reason.note) report.notes[reason.note] = (report.notes[reason.note] ?? 0) + 1;
      }
      if (ms > o.timeLimitMs) problems.push(`took ${ms.toFixed(0)} ms, more than the ${o.timeLimitMs} ms limit`);
      const leaked = (rt.arena?.usedBytes ?? 0) - used0;
      if (leaked !== 0) problems.push(`${leaked} bytes of WASM memory still allocated after the result was disposed`);
      const grown = (memory?.buffer.byteLength ?? 0) - pages0;
      if (grown > WASM_GROWTH_PER_BYTE * size + WASM_SLACK) problems.push(`WASM memory grew by ${grown} bytes for ${size} bytes of input`);
      const rss = process.memoryUsage.rss() - rss0;
      report.maxWasmGrowth = Math.max(report.maxWasmGrowth, grown);
      report.maxRssGrowth = Math.max(report.maxRssGrowth, rss);
      if (rss > RSS_GROWTH_PER_BYTE * size + RSS_SLACK) problems.push(`RSS grew by ${rss} bytes for ${size} bytes of input`);
      report.iterations++;
      if (problems.length > 0) {
        const failure: Failure = { iteration: i, reason: problems.join('; ') };
        if (o.artifacts) failure.saved = save(o.artifacts, target.name, o.seed, i, input, failure.reason);
        report.failures.push(failure);
      }
    }
  } finally {
    if (heartbeat !== undefined) closeSync(heartbeat);
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** The outcome of one load: { field } for a proper FormatError, {} or { note } for a valid result, a string for a failure. */
async function runOnce(target: Target, rt: Runtime, input: Files, largest: number): Promise<{ field?: string; note?: string } | string> {
  let loaded;
  try {
    loaded = await target.load(input, rt);
  } catch (e) {
    return classify(e, largest);
  }
  try {
    const note = loaded.check();
    return note ? { note } : {};
  } catch (e) {
    return `loaded, but the result is wrong: ${describe(e)}`;
  } finally {
    loaded.dispose();
  }
}

function classify(e: unknown, largest: number): { field: string } | string {
  if (!(e instanceof FormatError)) return `threw ${describe(e)}`;
  if (typeof e.field !== 'string' || e.field.length === 0) return `FormatError without a field: ${e.message}`;
  if (!Number.isSafeInteger(e.byteOffset) || e.byteOffset < 0 || e.byteOffset > largest) {
    return `FormatError with byte offset ${e.byteOffset}, outside the input: ${e.message}`;
  }
  return { field: e.field.replace(/\d+/g, '#') };
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return `a non-Error ${String(e)}`;
  const where = e.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' < ') ?? '';
  return `${e.constructor.name}: ${e.message.slice(0, 300)} (${where})`;
}

function save(dir: string, target: string, seed: number, iteration: number, input: Files, reason: string): string {
  const path = join(dir, `${target}-seed${seed}-iteration${iteration}`);
  mkdirSync(path, { recursive: true });
  for (const [name, bytes] of Object.entries(input)) {
    mkdirSync(dirname(join(path, name)), { recursive: true });
    writeFileSync(join(path, name), bytes);
  }
  writeFileSync(join(path, 'FAILURE.txt'), `${reason}\nreplay: npm run fuzz -- --target ${target} --seed ${seed} --from ${iteration} --iterations 1\n`);
  return path;
}
