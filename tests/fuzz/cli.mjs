// npm run fuzz -- --iterations N [--target NAME[,NAME]] [--seed S] [--from I] [--hang SECONDS]
// The long fuzz run: tests/fuzz/fuzz.test.ts under vitest with FUZZ_* variables, and a watchdog.
// An iteration slower than its limit is reported by the runner itself; one that never returns
// (an infinite loop in synchronous code) cannot be, so the runner rewrites a heartbeat file
// before each iteration and this process kills the run when the file stops changing, naming
// the iteration to replay.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OPTIONS = { '--iterations': 'FUZZ_ITERATIONS', '--target': 'FUZZ_TARGET', '--seed': 'FUZZ_SEED', '--from': 'FUZZ_FROM', '--hang': 'hang' };

const args = process.argv.slice(2);
const env = { ...process.env };
let hangSeconds = 120;
for (let i = 0; i < args.length; i += 2) {
  const key = OPTIONS[args[i]];
  const value = args[i + 1];
  if (!key || value === undefined) {
    console.error(`fuzz: unknown option or missing value: ${args.slice(i).join(' ')}\nusage: npm run fuzz -- --iterations N [--target NAME[,NAME]] [--seed S] [--from I] [--hang SECONDS]`);
    process.exit(2);
  }
  if (key !== 'FUZZ_TARGET' && !/^\d+$/.test(value)) {
    console.error(`fuzz: ${args[i]} must be a non-negative integer, got ${value}`);
    process.exit(2);
  }
  if (key === 'hang') hangSeconds = Number(value);
  else env[key] = value;
}
env.FUZZ_ITERATIONS ??= '100000';

// A fresh clone has no WASM build yet: the loaders need it (a transformer load packs its weights).
if (!existsSync(join(root, 'build', 'binaries.ts'))) {
  const built = spawnSync('npm', ['run', 'build:wasm'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const artifacts = join(root, 'artifacts', 'fuzz');
mkdirSync(artifacts, { recursive: true });
const heartbeat = join(artifacts, `heartbeat-${process.pid}`);
env.FUZZ_HEARTBEAT = heartbeat;

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', 'tests/fuzz/fuzz.test.ts', '--project', 'simd'], { cwd: root, env, stdio: 'inherit', detached: true });

const watchdog = setInterval(() => {
  if (!existsSync(heartbeat)) return;
  const idle = (Date.now() - statSync(heartbeat).mtimeMs) / 1000;
  if (idle < hangSeconds) return;
  const [target, iteration] = readFileSync(heartbeat, 'utf8').trim().split(/\s+/);
  console.error(`\nfuzz: HANG — ${target} iteration ${iteration} has run for ${idle.toFixed(0)} s. ` +
    `Replay: npm run fuzz -- --target ${target} --seed ${env.FUZZ_SEED ?? 1} --from ${iteration} --iterations 1`);
  process.kill(-child.pid, 'SIGKILL');
  process.exitCode = 1;
}, 5000);

child.on('exit', (code, signal) => {
  clearInterval(watchdog);
  rmSync(heartbeat, { force: true });
  if (process.exitCode === undefined) process.exitCode = code ?? (signal ? 1 : 0);
});
