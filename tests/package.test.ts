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

test('npx wasm-nlp demo, from the package: trains on the shipped sample and says how to run the full demo', () => {
  const listing = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' });
  const files: { path: string; size: number }[] = JSON.parse(listing)[0].files;
  const sample = files.find((f) => f.path === 'data/corpus-sample.txt.gz');
  expect(sample?.size).toBeLessThanOrEqual(1_000_000);
  // npm adds every README: data/README.md says where the sample comes from and its licence.
  expect(files.filter((f) => f.path.startsWith('data/')).map((f) => f.path).sort()).toEqual(['data/README.md', 'data/corpus-sample.txt.gz']);
  const stdout = execFileSync('npx', ['--no-install', '--cache', join(dir, '.npx-cache'), 'wasm-nlp', 'demo', '--threads', '1', '--epochs', '1', '--out', 'out'],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, WASM_NLP_NO_REEXEC: '1' }, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const installed = join(dir, 'node_modules', 'wasm-nlp');
  expect(stdout).toContain('are not in the npm package: training on the cut shipped with it, corpus-sample.txt.gz (534,000 tokens). ' +
    'For the full demo, from a clone of the repository: npm install && npm start\n');
  expect(stdout).toContain(`training skip-gram on ${join(installed, 'data', 'corpus-sample.txt.gz')}: dim 100, window 5, negative 5, min count 5, 1 epoch(s), 1 thread(s)`);
  expect(stdout).toMatch(/\nvocabulary [\d,]+ words/);
  expect(stdout).toMatch(/\n {2}whale {4}\w+ /); // the sample has the whaling books: whale has neighbours
  expect(stdout).toContain(`saved ${join('out', 'vectors.bin')} (word2vec binary`);
  expect(stdout).toMatch(/\ndemo done in /);
  expect(readFileSync(join(dir, 'out', 'vectors.bin')).length).toBeGreaterThan(1_000_000);
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
