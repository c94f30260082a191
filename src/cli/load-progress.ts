// The bars of a model load on stderr: one per file downloading (name, bytes of total, rate), then
// one for the tensors read into memory. Files download one after the other, so each bar ends
// (its line kept) when the next file or the tensors start. Files under 1 MB (configs, the
// tokenizer) get their line when done, not a bar of updates, which keeps logs short.
import type { LoadProgressEvent } from '../hub/options';
import type { CliIO } from './io';
import { formatCount, ProgressBar, type ProgressOptions } from './progress';

const SMALL_FILE = 1_000_000;

/** 999 → '999 B', 12_345_678 → '12.3 MB'. */
export function formatBytes(n: number): string {
  return n < 1000 ? `${Math.round(n)} B` : `${formatCount(n).replace(/([kMG])$/, ' $1')}B`;
}

export interface LoadProgressBars {
  (event: LoadProgressEvent): void;
  /** Ends the bar being drawn (call it when the load ends, or fails, before printing anything else). */
  done(): void;
}

/** An onProgress callback for loadModel / pipeline drawing on io.stderr. */
export function loadProgressBars(io: Pick<CliIO, 'stderr'>, options: ProgressOptions = {}): LoadProgressBars {
  const now = options.now ?? (() => performance.now());
  let bar: ProgressBar | undefined;
  /** The file (or 'tensors') the current bar is for, and when it started. */
  let current: { key: string; started: number } | undefined;
  const end = () => {
    bar?.done();
    bar = undefined;
    current = undefined;
  };
  const start = (key: string) => {
    if (current?.key === key) return;
    end();
    bar = new ProgressBar(io.stderr, options);
    current = { key, started: now() };
  };
  const onProgress = (e: LoadProgressEvent) => {
    if (e.stage === 'download') {
      start(`file ${e.file}`);
      const finished = e.total !== undefined && e.loaded >= e.total;
      if (e.total !== undefined && e.total < SMALL_FILE && !finished) return;
      const seconds = (now() - current!.started) / 1000;
      const bytes = e.total !== undefined ? `${formatBytes(e.loaded)} of ${formatBytes(e.total)}` : formatBytes(e.loaded);
      bar!.update({
        fraction: e.total ? e.loaded / e.total : finished ? 1 : 0,
        label: e.file,
        extra: seconds > 0 && e.loaded > 0 ? `${bytes}  ${formatBytes(e.loaded / seconds)}/s` : bytes,
      });
    } else {
      start('tensors');
      bar!.update({ fraction: e.total > 0 ? e.loaded / e.total : 1, label: 'loading tensors', extra: `${e.loaded} of ${e.total}` });
      if (e.loaded >= e.total) end();
    }
  };
  return Object.assign(onProgress, { done: end });
}
