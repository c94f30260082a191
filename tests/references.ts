// The references some tests compare with: Python modules of Debian's /usr/bin/python3 (never the
// pyenv python3 that comes first on PATH), installed from Debian's packages by .ci/run.
//
// Where a reference is missing, its tests skip, saying so, except where references are required:
// in CI (CI set, as CI sets it) or with WASM_NLP_REQUIRE_REFERENCES=1 (which .ci/run exports). There
// a missing reference is a failing test that says what to install, since a test skipped in CI
// protects nothing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'vitest';

export const PYTHON = '/usr/bin/python3';

const ci = process.env.CI;
export const referencesRequired = (ci !== undefined && ci !== '' && !/^(0|false)$/i.test(ci))
  || process.env.WASM_NLP_REQUIRE_REFERENCES === '1';

/** Whether Debian's /usr/bin/python3 imports `module`. */
export function canImport(module: string): boolean {
  try {
    execFileSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the Python module `module` is there for the tests of `what`. Call it at the top level of
 * a test file (or of a describe) and skip those tests when it returns false. Where it is missing:
 * a warning, or, where references are required, a failing test in its place. `debianPackage` is
 * null for a module Debian does not package: its tests stay optional even in CI, with a warning.
 */
export function pythonReference(module: string, debianPackage: string | null, what: string): boolean {
  if (canImport(module)) return true;
  const install = debianPackage ? `apt-get install --no-install-recommends ${debianPackage}` : 'Debian has no package of it';
  const why = `${what}: ${PYTHON} cannot import ${module} (${install})`;
  if (referencesRequired && debianPackage) {
    test(`${module} is required here (CI or WASM_NLP_REQUIRE_REFERENCES=1): ${what}`, () => {
      throw new Error(`${why}; .ci/run installs it`);
    });
  } else {
    console.warn(`skipped: ${why}`);
  }
  return false;
}

/**
 * Whether the program at `path` (from Debian's `debianPackage`) is installed, for the tests of
 * `what`; as pythonReference: a warning where it is missing, a failing test in its place where
 * references are required.
 */
export function toolReference(path: string, debianPackage: string, what: string): boolean {
  if (existsSync(path)) return true;
  const why = `${what}: ${path} is missing (apt-get install --no-install-recommends ${debianPackage})`;
  if (referencesRequired) {
    test(`${path} is required here (CI or WASM_NLP_REQUIRE_REFERENCES=1): ${what}`, () => {
      throw new Error(`${why}; .ci/run installs it`);
    });
  } else {
    console.warn(`skipped: ${why}`);
  }
  return false;
}
