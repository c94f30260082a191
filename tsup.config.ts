import { defineConfig } from 'tsup';

export default defineConfig([
  // Node: ESM + CJS with type declarations.
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    platform: 'node',
    target: 'node20',
    dts: true,
    clean: true,
    sourcemap: true,
    define: { __BROWSER__: 'false' },
  },
  // The wasm-nlp command line (Node only): one self-contained file, no chunks shared with index.js.
  {
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    splitting: false,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
    define: { __BROWSER__: 'false' },
  },
  // Browsers: one self-contained ESM file (the kernels are inlined as base64).
  {
    entry: { 'index.browser': 'src/index.ts' },
    format: ['esm'],
    // Lazy imports (checkpoint writing, atomic saves) are inlined, not split into chunk files.
    splitting: false,
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    // Drops the Node branches (node:worker_threads) from the browser file.
    define: { __BROWSER__: 'true' },
    // One file a page can import as it is: the tokenizer (pure JS, about 8 kB gzipped) inside.
    noExternal: ['@huggingface/tokenizers', '@huggingface/jinja'],
  },
]);
