// The options that choose where the math runs (--threads, --backend, --simd), shared by every
// command that computes, and the runtime they make.
import { init, MAX_THREADS, type Runtime } from '../runtime';
import type { OptionSpec, OptionValue } from './args';

export const THREADS_OPTION: OptionSpec = { name: 'threads', type: 'int', min: 1, max: MAX_THREADS, default: 1, help: 'threads (the caller plus workers on shared memory)' };

export const ENGINE_OPTIONS: OptionSpec[] = [
  { name: 'backend', type: 'choice', choices: ['wasm', 'js'], default: 'wasm', help: "'js' runs the pure-JS twins of the kernels" },
  { name: 'simd', type: 'choice', choices: ['auto', 'relaxed', 'baseline'], default: 'auto', help: 'kernel build: relaxed SIMD where the engine has it, or plain SIMD' },
];

export const RUNTIME_OPTIONS: OptionSpec[] = [THREADS_OPTION, ...ENGINE_OPTIONS];

export const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', help: 'print the result as one line of JSON' };

export function runtimeFrom(options: Record<string, OptionValue | undefined>): Promise<Runtime> {
  return init({
    threads: (options.threads as number | undefined) ?? 1,
    backend: (options.backend as 'wasm' | 'js' | undefined) ?? 'wasm',
    simd: (options.simd as 'auto' | 'relaxed' | 'baseline' | undefined) ?? 'auto',
  });
}

/** Runs `job` on a runtime made from the options, and ends the runtime's workers after it. */
export async function withRuntime<T>(options: Record<string, OptionValue | undefined>, job: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await runtimeFrom(options);
  try {
    return await job(runtime);
  } finally {
    runtime.dispose();
  }
}
