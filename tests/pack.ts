// The published package installed as a user gets it, without the npm cache or the registry:
// `npm pack` into `dir`, then `npm install` there of the tarball together with the package's
// runtime dependencies, each a file: dependency on its folder in this repository's node_modules
// (copied, --install-links). A private, empty --cache and --offline: nothing is fetched, and
// nothing depends on what ~/.npm holds (an offline install of the tarball alone needs the
// registry's metadata of each dependency, which `npm ci` never caches: ENOTCACHED).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');

type Manifest = { name: string; version: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
const manifest = (folder: string): Manifest => JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));

/** The runtime dependencies, direct and transitive, as folders of ROOT/node_modules (hoisted by npm ci). */
function runtimeDependencies(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (m: Manifest) => {
    for (const name of Object.keys({ ...m.dependencies, ...m.optionalDependencies })) {
      if (found.has(name)) continue;
      const folder = join(ROOT, 'node_modules', name);
      if (!existsSync(join(folder, 'package.json'))) {
        if (m.optionalDependencies?.[name]) continue;
        throw new Error(`${name} (a runtime dependency) is not in ${join(ROOT, 'node_modules')}: run npm ci`);
      }
      found.set(name, folder);
      visit(manifest(folder));
    }
  };
  visit(manifest(ROOT));
  return found;
}

/**
 * Packs ROOT into `dir` and installs it there; `pkg` is merged into the consumer's package.json.
 * Returns the tarball's path.
 */
export function installPacked(dir: string, pkg: Record<string, unknown> = {}): string {
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
  const dependencies: Record<string, string> = { [manifest(ROOT).name]: `file:${tarball}` };
  for (const [name, folder] of runtimeDependencies()) dependencies[name] = `file:${folder}`;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, ...pkg, dependencies }));
  const cache = join(dir, '.npm-cache');
  try {
    execFileSync('npm', ['install', '--offline', '--cache', cache, '--install-links', '--ignore-scripts',
      '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel', 'error'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`npm install of the packed tarball failed:\n${err.stderr?.toString() ?? ''}${err.stdout?.toString() ?? ''}`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  return join(dir, tarball);
}
