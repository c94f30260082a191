// The `wasm-nlp` executable (dist/cli.js): the process around run(). Node 20 validates relaxed
// SIMD (fused multiply-add, the faster kernel build) only under --experimental-wasm-relaxed-simd,
// so there the commands that spend their time in matrix products re-run themselves once with
// that flag: a child Node with the same arguments, stdio inherited, its exit code passed on.
// Measured here (2 cores shared with other jobs, so per CPU-second; both builds interleaved in
// one process, medians): GEMM 128×768×768 gives 1.30× the GFLOPS with the relaxed build (41.0
// against 31.6); word2vec training gains nothing (0.96×, 1.07× and 0.94× in three runs of 1M
// tokens, 1 and 2 threads); the restart costs about 0.2 s. So `train`, `similar` and `analogy`
// (one GEMV) run as they are; WASM_NLP_NO_REEXEC=1 turns the restart off for every command.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { detectFeatures } from '../wasm/features';
import type { CliIO, OutStream } from './io';
import { run } from './main';

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

/** Commands whose time goes to matrix products: analogy scoring, transformers, the benchmark. */
const GEMM_COMMANDS = new Set(['eval', 'embed', 'classify', 'search', 'translate', 'bench', 'demo']);

/** Node 20 and 21 know the flag and do not validate relaxed SIMD without it; later Node have it on. */
function wantsRelaxedReexec(argv: readonly string[]): boolean {
  if (process.env.WASM_NLP_NO_REEXEC === '1' || process.env.WASM_NLP_REEXECUTED === '1') return false;
  if (!GEMM_COMMANDS.has(argv[0] ?? '') || argv.includes('--help') || argv.includes('-h')) return false;
  const major = Number(process.versions.node.split('.')[0]);
  const features = detectFeatures();
  return (major === 20 || major === 21) && features.simd && !features.relaxedSimd;
}

function reexecWithRelaxedSimd(): void {
  const child = spawn(process.execPath, [RELAXED_FLAG, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, WASM_NLP_REEXECUTED: '1' },
  });
  // Ctrl-C reaches the child too (same process group): let it stop cleanly and report.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('error', (e) => {
    process.stderr.write(`wasm-nlp: could not restart Node with ${RELAXED_FLAG}: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

function stream(s: NodeJS.WriteStream): OutStream {
  return {
    write: (text) => void s.write(text),
    // Writes to a pipe queue in memory when the pipe is full (its reader is slower).
    drain: () => (s.writableNeedDrain ? once(s, 'drain').then(() => {}) : Promise.resolve()),
    get isTTY() {
      return s.isTTY === true;
    },
    get columns() {
      return s.columns;
    },
  };
}

async function main(): Promise<void> {
  const controller = new AbortController();
  // First Ctrl-C or SIGTERM (a job scheduler's, `timeout`'s, a container's stop): stop between
  // batches, so that training writes its --checkpoint; a second signal quits at once.
  const stop = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) process.exit(signal === 'SIGTERM' ? 143 : 130);
    process.stderr.write(`\nwasm-nlp: stopping (${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to quit at once)\n`);
    controller.abort(Object.assign(new Error(`stopped by ${signal}`), { name: 'AbortError', signal }));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // `wasm-nlp similar … | head` closes the pipe early: not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const io: CliIO = { stdout: stream(process.stdout), stderr: stream(process.stderr), env: process.env, signal: controller.signal };
  process.exitCode = await run(process.argv.slice(2), io);
}

if (wantsRelaxedReexec(process.argv.slice(2))) reexecWithRelaxedSimd();
else void main();
