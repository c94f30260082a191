// The published package, as a user gets it: `npm pack`, installed into an empty folder (with its
// dependencies from this repository's node_modules, not the npm cache: see pack.ts), then
// loaded by ESM import, CJS require, and the browser build (through the exports map's
// "browser" condition). All three must compute the same bits.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { installPacked, ROOT as root } from './pack';

let dir: string;

// Runs every kernel on fixed inputs and prints the results as JSON.
const body = `
const rt = await init({ simd: 'baseline' });
const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i + 1));
const k = rt.kernels;
const out = {
  build: rt.features.build,
  matmul: k.matmul(x, x, { m: 4, k: 6, n: 4, transB: true }),
  softmax: k.softmax(x, { rows: 4, cols: 6, causal: true }),
  layerNorm: k.layerNorm(x, { rows: 3, cols: 8 }),
  gelu: k.gelu(x), geluTanh: k.gelu(x, { approximate: 'tanh' }),
  add: k.add(x, x), dot: k.dot(x, x), scale: k.scale(3, x), exp: k.exp(x),
};
console.log(JSON.stringify(out, (key, v) => (v instanceof Float32Array ? Array.from(v) : v)));
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-pack-'));
  installPacked(dir);
  writeFileSync(join(dir, 'esm.mjs'), `import { init } from 'wasm-nlp';\n${body}`);
  writeFileSync(join(dir, 'cjs.cjs'), `const { init } = require('wasm-nlp');\n(async () => {${body}})();`);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });

test('the tarball holds the built package and nothing from the source tree', () => {
  const pkg = JSON.parse(readFileSync(join(dir, 'node_modules/wasm-nlp/package.json'), 'utf8'));
  expect(pkg.name).toBe('wasm-nlp');
  const listing = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' });
  const files: string[] = JSON.parse(listing)[0].files.map((f: { path: string }) => f.path);
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/index.cjs');
  expect(files).toContain('dist/index.d.ts');
  expect(files).toContain('dist/index.browser.js');
  expect(files.filter((f) => /^(src|assembly|tests|build)\//.test(f))).toEqual([]);
});

test('ESM import, CJS require and the browser build give identical results', () => {
  const esm = run('esm.mjs');
  const cjs = run('cjs.cjs');
  const browser = run('--conditions=browser', 'esm.mjs');
  expect(JSON.parse(esm).build).toBe('simd');
  expect(cjs).toBe(esm);
  expect(browser).toBe(esm);
  // The browser build really is the one resolved under that condition, and needs no Node module.
  const resolved = run('--conditions=browser', '--input-type=module', '-e', "console.log(import.meta.resolve('wasm-nlp'))");
  expect(resolved.trim()).toMatch(/dist\/index\.browser\.js$/);
  const source = readFileSync(join(dir, 'node_modules/wasm-nlp/dist/index.browser.js'), 'utf8');
  expect(source).not.toMatch(/from\s*["']node:|require\(["']node:/);
});
