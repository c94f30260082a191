// The demo page, built and served by Vite. `npm run site:dev` / `site:build` / `site:preview`.
//
// 'wasm-nlp' is aliased to the repository's sources (../src/index.ts) with __BROWSER__ = true,
// as tsup builds dist/index.browser.js: `vite dev` then needs only the kernels (build/binaries.ts,
// from `npm run build:wasm`), not a full `npm run build`, and an edit in src/ reloads the page.
// The packaged bundle is what tests/vite-consumer/ checks.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Shared memory (threads) needs a cross-origin isolated page: these two headers on every response.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: here('.'),
  // Relative asset URLs: the built page works from any folder of any static host.
  base: './',
  // data/ (the sample corpus, the model folders) is served and copied as it is.
  publicDir: here('../data'),
  // A missing file is a 404, not index.html: loadModel probes for optional files.
  appType: 'mpa',
  define: { __BROWSER__: 'true' },
  resolve: { alias: { 'wasm-nlp': here('../src/index.ts') } },
  server: { headers: isolation, fs: { allow: [here('..')] } },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { outDir: here('dist'), emptyOutDir: true, target: 'es2022' },
});
