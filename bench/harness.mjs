// The measurement loop shared by the benchmarks. Engines are timed in rounds; within a round
// each engine runs for a fixed time (tinybench), in an order that rotates from round to round,
// so that no engine always runs first or right after the noisiest one. A case's rate is the
// median over rounds, and each ratio is the median of the per-round ratios: a slow moment of
// this shared machine slows every engine of its round alike.
import { Bench } from 'tinybench';
import { median } from './report.mjs';

/**
 * cases: { kernel, shape, unit, work (flops or elements per call), ... }.
 * engines: { name, prepare(case) → Promise<{ run: () => unknown, dispose? }> | undefined } (undefined: skip).
 * Returns rows: { kernel, shape, unit, engines: { [name]: { seconds, rate } } }, with `vs` ratios filled later.
 */
export async function measure(cases, engines, { rounds, timeMs, onCase }) {
  const rows = [];
  for (const c of cases) {
    const prepared = [];
    for (const e of engines) {
      const p = await e.prepare(c);
      if (p) prepared.push({ name: e.name, ...p });
    }
    const perRound = new Map(prepared.map((p) => [p.name, []]));
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({ time: timeMs, iterations: 3, warmupIterations: 2, warmupTime: 20, throws: true });
      for (let i = 0; i < prepared.length; i++) {
        const p = prepared[(i + round) % prepared.length];
        bench.add(p.name, p.run);
      }
      await bench.run();
      for (const task of bench.tasks) perRound.get(task.name).push(task.result.latency.p50 / 1e3);
    }
    for (const p of prepared) await p.dispose?.();
    const row = { kernel: c.kernel, shape: c.shape, unit: c.unit, engines: {}, perRound: Object.fromEntries(perRound) };
    for (const [name, t] of perRound) row.engines[name] = { seconds: median(t), rate: c.work / median(t) / 1e9 };
    rows.push(row);
    onCase?.(row);
  }
  return rows;
}

/** The median over rounds of t_other / t_engine: how many times faster `engine` is than `other`. */
export function ratio(row, engine, other) {
  const a = row.perRound[engine], b = row.perRound[other];
  if (!a || !b) return undefined;
  return median(a.map((t, r) => b[r] / t));
}
