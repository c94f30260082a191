// Runs the CLI in-process with captured output: a fake non-TTY (or TTY) stdout and stderr.
import { run } from '../../src/cli/main';
import type { CliIO, OutStream } from '../../src/cli/io';

export interface Captured extends OutStream {
  text: string;
}

export function captured(isTTY = false, columns?: number): Captured {
  const s: Captured = { text: '', isTTY, ...(columns ? { columns } : {}), write: (t: string) => void (s.text += t) };
  return s;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `more`: what else the command may touch, e.g. a stream as its standard input. */
export async function cli(argv: string[], env: Record<string, string> = {}, more: Partial<Pick<CliIO, 'stdin' | 'signal'>> = {}): Promise<CliResult> {
  const io: CliIO = { stdout: captured(), stderr: captured(), env, ...more };
  const code = await run(argv, io);
  return { code, stdout: (io.stdout as Captured).text, stderr: (io.stderr as Captured).text };
}

/** The one-line error contract: exit code, a single 'wasm-nlp: …' line, no stack. */
export function expectOneLineError(r: CliResult, code: number, includes: string): void {
  if (r.code !== code || !r.stderr.includes(includes)) {
    throw new Error(`expected exit ${code} with "${includes}", got exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
  }
  const lines = r.stderr.split('\n').filter(Boolean);
  if (lines.length !== 1 || !lines[0]!.startsWith('wasm-nlp: ') || /\n\s+at /.test(r.stderr)) {
    throw new Error(`expected one 'wasm-nlp: ' line and no stack, got ${JSON.stringify(r.stderr)}`);
  }
}
