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
  },
  // Browsers: one self-contained ESM file (the kernels are inlined as base64).
  {
    entry: { 'index.browser': 'src/index.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
  },
]);
