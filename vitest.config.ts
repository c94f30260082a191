import { defineConfig } from 'vitest/config';

// Two projects run the same tests: one on a plain Node (relaxed SIMD not validated, so `auto`
// must pick the SIMD build), one with --experimental-wasm-relaxed-simd (so the relaxed builds
// are tested too). WASM_NLP_EXPECT_RELAXED tells the tests which one they are in.
export default defineConfig({
  // The tests run the Node build of the sources (tsup sets it per bundle).
  define: { __BROWSER__: 'false' },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'simd',
          include: ['tests/**/*.test.ts'],
          pool: 'forks',
          env: { WASM_NLP_EXPECT_RELAXED: '0' },
        },
      },
      {
        extends: true,
        test: {
          name: 'relaxed',
          include: ['tests/**/*.test.ts'],
          // The packed tarball and the browser run once, in the first project.
          exclude: ['tests/package.test.ts', 'tests/browser/**'],
          pool: 'forks',
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { WASM_NLP_EXPECT_RELAXED: '1' },
        },
      },
    ],
    testTimeout: 120_000,
  },
});
