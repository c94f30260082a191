// Shared by the benchmarks: arguments, inputs, medians, the machine's description, the table.
import os from 'node:os';
import { rename, writeFile } from 'node:fs/promises';
import { ratio } from './harness.mjs';

export function parseArgs(argv, extra = {}) {
  const args = { quick: false, json: undefined, ...extra };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = argv[++i];
    else if (a.startsWith('--') && a.slice(2) in extra) args[a.slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${a} (use --quick, --json FILE${Object.keys(extra).map((k) => `, --${k} VALUE`).join('')})`);
    if (args.json === '') throw new Error('--json needs a file name');
  }
  return args;
}

export { fill, median } from './numbers.mjs';

export function machine() {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, v8: process.versions.v8, platform: `${os.platform()} ${os.arch()}` };
}

export async function writeJsonAtomic(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, file);
}

/** Prints rows as a Markdown table: a rate column per engine, then a column per [a, b] ratio (a / b faster). */
export function printTable(rows, engineNames, ratios, title) {
  const m = machine();
  console.log(`\n${title ?? 'Kernels'} — ${m.cpu}, ${m.cores} cores, Node ${m.node}; medians of interleaved rounds, ratios per round\n`);
  console.log(formatTable(rows, engineNames, ratios));
}

export function formatTable(rows, engineNames, ratios) {
  const short = (n) => n.replace(/^wasm-/, '');
  const header = ['kernel', 'shape', 'unit', ...engineNames, ...ratios.map(([a, b]) => `${short(a)} / ${short(b)}`)];
  const lines = rows.map((r) => [
    r.kernel, r.shape, r.unit,
    ...engineNames.map((n) => (r.engines[n] ? fmt(r.engines[n].rate) : '–')),
    ...ratios.map(([a, b]) => {
      const x = ratio(r, a, b);
      return x === undefined ? '–' : `${x.toFixed(x >= 10 ? 0 : 2)}×`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (l) => '| ' + l.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i < 3 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(header), rule, ...lines.map(line)].join('\n');
}

function fmt(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/**
 * Replaces one section of bench/RESULTS.md, the text between `<!-- bench:NAME -->` and
 * `<!-- /bench:NAME -->`, or appends it: each benchmark script owns its section, so rerunning
 * one keeps the others' tables. Then redraws bench/chart.svg from the whole file.
 */
export async function updateResults(name, text, file = 'bench/RESULTS.md') {
  const { readFile } = await import('node:fs/promises');
  const { writeChart } = await import('./chart.mjs');
  const open = `<!-- bench:${name} -->`, close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${text.trim()}\n${close}`;
  let md = await readFile(file, 'utf8').catch(() => '# Benchmark results\n');
  const a = md.indexOf(open), b = md.indexOf(close);
  md = a >= 0 && b > a ? md.slice(0, a) + block + md.slice(b + close.length) : `${md.trimEnd()}\n\n${block}\n`;
  await writeFile(`${file}.tmp`, md);
  await rename(`${file}.tmp`, file);
  console.log(`\nwrote the ${name} section of ${file} and ${await writeChart(file)}`);
}
