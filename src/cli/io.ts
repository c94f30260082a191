// What a command may touch of the outside world, passed in rather than taken from `process`,
// so the tests run every command in-process with captured output and a fake terminal.

export interface OutStream {
  write(text: string): void;
  /** A terminal: progress is redrawn in place. */
  isTTY?: boolean;
  /** The terminal's width in characters. */
  columns?: number;
  /**
   * Resolves once the text written so far has gone out (a pipe whose reader is slower than the
   * writer holds it in memory until then). A command that writes without end (embed --file)
   * awaits it between windows, so that its memory stays bounded.
   */
  drain?(): Promise<void>;
}

export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C or SIGTERM: training then stops between batches (and writes its checkpoint). */
  signal?: AbortSignal;
  /** Standard input for `train -`, when not the process's own (the tests give a stream). */
  stdin?: ReadableStream<Uint8Array>;
}

/** Writes one line to stdout. */
export function println(io: CliIO, line = ''): void {
  io.stdout.write(line + '\n');
}

/** The --json output: one line of JSON on stdout. */
export function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value) + '\n');
}
