// Where this package lives on disk, found from this module's own location (src/cli/ in the
// repo, dist/ when built): its package.json gives --version, and in a clone its data/ folder
// holds the demo's corpus and models.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).name === 'wasm-nlp') return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function packageVersion(): string {
  const root = packageRoot();
  return root ? JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version : 'unknown';
}
