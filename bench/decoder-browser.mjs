// SmolLM2-360M (random weights in its shapes: 32 layers, D 960, 15 heads, 5 KV heads, F 2560,
// V 49152) in wasm-nlp q8 in Chromium with 2 threads (issue 15's "fits and runs in Chromium"): the
// page is cross-origin isolated (COOP/COEP), so the threaded build runs; it loads the
// quantizeCheckpoint folder over HTTP, checks the decode step's logits against torch's, then
// times the 128-token prefill and the decode step at position 128.
//
//   /usr/bin/python3 tools/make_bench_models.py --only smollm2-360m     # the f32 folder (no ONNX)
//   npm run build && node bench/decoder-browser.mjs [--model smollm2-360m] [--threads 2] [--steps 20]
//
// Debian's /usr/bin/chromium through playwright-core, as tests/browser does.
import { createServer } from 'node:http';
import { existsSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { machine, parseArgs } from './report.mjs';

const args = parseArgs(process.argv.slice(2), { model: 'smollm2-360m', threads: '2', steps: '20' });
const ROOT = resolve('.');
const dir = join('bench/.models', args.model), q8 = `${dir}-q8`;
if (!existsSync(join(dir, 'reference.json'))) {
  console.log(`${dir} is missing; make it with /usr/bin/python3 tools/make_bench_models.py --only ${args.model}`);
  process.exit(0);
}
if (!existsSync(join(q8, 'config.json')) || statSync(join(q8, 'config.json')).mtimeMs < statSync(join(dir, 'model.safetensors')).mtimeMs) {
  const { quantizeCheckpoint } = await import('../dist/index.js');
  await rm(q8, { recursive: true, force: true });
  const r = await quantizeCheckpoint(dir, q8);
  console.error(`quantizeCheckpoint ${dir} → ${q8}: ${(r.outputBytes / 1e6).toFixed(1)} MB`);
}

const PAGE = `<!doctype html><script type="module">
import { init, loadModel } from '/dist/index.browser.js';
try {
  const t0 = performance.now();
  const runtime = await init({ threads: ${Number(args.threads)} });
  const initMs = performance.now() - t0;
  const meta = await (await fetch('/${dir}/reference.json')).json();
  const bin = await (await fetch('/${dir}/reference.bin')).arrayBuffer();
  const t1 = performance.now();
  const m = await loadModel(new URL('/${q8}/', location.href).href, { runtime, kind: 'decoder', dtype: 'q8' });
  const loadMs = performance.now() - t1;
  const P = meta.input_ids[0].length, next = meta.next_id[0][0];
  const s = m.model.stepDecoder(1, P + 1);
  const pre = [];
  for (let i = 0; i < 3; i++) { const t = performance.now(); s.next([meta.input_ids[0]], 0); pre.push(performance.now() - t); }
  const got = s.next([[next]], P);
  const want = new Float32Array(bin, meta.logits.offset, meta.logits.bytes / 4);
  let dot = 0, a = 0, b = 0;
  for (let i = 0; i < want.length; i++) { dot += got[i] * want[i]; a += got[i] * got[i]; b += want[i] * want[i]; }
  for (let i = 0; i < 5; i++) s.next([[next]], P);
  const steps = [];
  for (let i = 0; i < ${Number(args.steps)}; i++) { const t = performance.now(); s.next([[next]], P); steps.push(performance.now() - t); }
  const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  s.free();
  window.result = { crossOriginIsolated, threads: runtime.features.threads, build: runtime.features.build, initMs, loadMs,
    prefillMs: med(pre), stepMs: med(steps), steps, cosine: dot / Math.sqrt(a * b), userAgent: navigator.userAgent };
  m.dispose();
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

const TYPES = { '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.html': 'text/html' };
const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  // Every response cross-origin isolated: SharedArrayBuffer, so wasm threads.
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  try {
    if (path === '/bench.html') {
      res.writeHead(200, { 'Content-Type': 'text/html', ...headers });
      return res.end(PAGE);
    }
    const file = resolve(ROOT, '.' + normalize(path));
    if (!file.startsWith(ROOT + '/')) throw new Error('outside the repository');
    const body = await readFile(file);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
    res.end(body);
  } catch {
    res.writeHead(404, headers);
    res.end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
let result;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e}`));
  await page.goto(`http://127.0.0.1:${server.address().port}/bench.html`);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 600_000 });
  result = await page.evaluate(() => window.result);
} finally {
  await browser.close();
  server.close();
}
if (result.error) throw new Error(`page failed: ${result.error}`);
if (result.threads !== Number(args.threads)) throw new Error(`the page ran ${result.threads} thread(s), not ${args.threads} (crossOriginIsolated ${result.crossOriginIsolated})`);
const m = machine();
console.log(JSON.stringify({ machine: m.cpu, model: args.model, ...result, steps: undefined }, null, 2));
console.log(`${args.model} q8 in Chromium (${result.userAgent.match(/Chrome\/[\d.]+/)?.[0]}), ${result.threads} threads, ${result.build}: load ${result.loadMs.toFixed(0)} ms, ` +
  `prefill 128 ${result.prefillMs.toFixed(0)} ms, decode step at 128 ${result.stepMs.toFixed(1)} ms = ${(1e3 / result.stepMs).toFixed(1)} tokens/s; ` +
  `logits cosine to torch ${result.cosine.toFixed(5)}`);
