// One path of bench/embed-memory.mjs in its own process, reporting on stderr as it exits:
// "EMBED-MEMORY {json}" with the peak RSS (VmHWM, KiB; and resourceUsage().maxRSS, KiB).
//
//   node --experimental-wasm-relaxed-simd embed-memory-child.mjs cli|api LINES MODEL ENTRY
//
// cli: ENTRY is the command line's file (dist/cli.js), run in this process as
// `wasm-nlp embed MODEL --file LINES`, its output on stdout. api: ENTRY is the library
// (dist/index.js); the lines are read with readline and embedded by embedStream.
import { createReadStream, readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [path, file, model, entry] = process.argv.slice(2);
const report = { path };

process.on('exit', () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  report.vmHWMKiB = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  report.maxRSSKiB = process.resourceUsage().maxRSS;
  writeSync(2, `EMBED-MEMORY ${JSON.stringify(report)}\n`);
});

if (path === 'cli') {
  process.argv = [process.argv[0], entry, 'embed', model, '--file', file];
  await import(pathToFileURL(entry).href);
} else if (path === 'api') {
  const { init, loadModel } = await import(pathToFileURL(entry).href);
  const start = performance.now();
  const runtime = await init({ threads: 1 });
  const m = await loadModel(model, { runtime });
  report.loadSeconds = (performance.now() - start) / 1000;
  report.build = runtime.features.build;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let embedded = 0, bad = 0;
  for await (const v of m.embedStream(lines, { batchSize: 32, window: 512 })) {
    embedded++;
    if (v.length !== 384 || !Number.isFinite(v[0])) bad++;
  }
  report.embedded = embedded;
  report.bad = bad;
  m.dispose();
  runtime.dispose();
} else {
  throw new Error(`path must be cli or api, got ${path}`);
}
