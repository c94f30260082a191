// Shared by the benchmarks: argument parsing, medians, the machine's description, the table.
import os from 'node:os';
import { rename, writeFile } from 'node:fs/promises';

export function parseArgs(argv) {
  const args = { quick: false, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--json') {
      args.json = argv[++i];
      if (!args.json) throw new Error('--json needs a file name');
    } else throw new Error(`unknown argument ${argv[i]} (use --quick, --json FILE)`);
  }
  return args;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

export function machine() {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, v8: process.versions.v8, platform: `${os.platform()} ${os.arch()}` };
}

export async function writeJsonAtomic(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, file);
}

export function printTable(rows, engineNames) {
  const m = machine();
  console.log(`\n${m.cpu}, ${m.cores} cores, Node ${m.node}; medians of interleaved rounds, ratios per round\n`);
  const wasm = engineNames.filter((n) => n !== 'js');
  const header = ['kernel', 'shape', 'unit', 'js', ...wasm, ...wasm.map((n) => `${n.replace('wasm-', '')} / js`)];
  const lines = rows.map((r) => [
    r.kernel, r.shape, r.unit,
    fmt(r.engines.js.rate),
    ...wasm.map((n) => fmt(r.engines[n].rate)),
    ...wasm.map((n) => `${r.engines[n].vsJs.toFixed(1)}×`),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmtLine = (l) => '| ' + l.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(fmtLine(header));
  console.log('|' + widths.map((w, i) => (i < 3 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const l of lines) console.log(fmtLine(l));
}

function fmt(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
