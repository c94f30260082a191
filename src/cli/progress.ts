// Progress of a long job on stderr: on a terminal, one line redrawn in place (a bar, the
// percentage, the rate, the ETA); elsewhere (a pipe, a CI log) plain lines, one every few
// seconds or each tenth of the job, so logs stay short and readable.
import type { OutStream } from './io';

export interface ProgressUpdate {
  /** Fraction of the job done, 0 to 1. */
  fraction: number;
  /** What is running, e.g. 'epoch 1/2'. */
  label?: string;
  /** Items per second, shown as e.g. '812k words/s'. */
  rate?: number;
  rateUnit?: string;
  /** More fields after the ETA, e.g. 'loss 2.413'. */
  extra?: string;
}

export interface ProgressOptions {
  /** Milliseconds; a clock for the tests. */
  now?: () => number;
  /** Plain mode: a line at least this often, in ms (default 5000), besides each tenth of the job. */
  plainIntervalMs?: number;
  /** TTY mode: redraw at most this often, in ms (default 100). */
  ttyIntervalMs?: number;
}

const BAR_WIDTH = 24;

export class ProgressBar {
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private lastTenth = 0;
  private drawn = false;
  /**
   * Time and fraction at the first update: the ETA is measured from there, so that setup before
   * the job's first progress (word2vec counts its vocabulary first) does not inflate it.
   */
  private origin: { t: number; fraction: number } | undefined;

  constructor(private readonly out: OutStream, private readonly options: ProgressOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  update(u: ProgressUpdate): void {
    const t = this.now();
    const fraction = Math.min(1, Math.max(0, u.fraction));
    this.origin ??= { t, fraction };
    if (this.tty) {
      if (t - this.lastDraw < (this.options.ttyIntervalMs ?? 100) && fraction < 1) return;
      const line = `${u.label ? u.label + ' ' : ''}${bar(fraction)} ${this.fields(u, fraction, t)}`;
      this.out.write(`\r${fit(line, this.out.columns)}\x1b[K`);
      this.drawn = true;
    } else {
      const tenth = Math.floor(fraction * 10);
      if (t - this.lastDraw < (this.options.plainIntervalMs ?? 5000) && tenth <= this.lastTenth) return;
      this.lastTenth = tenth;
      this.out.write(`${u.label ? u.label + '  ' : ''}${this.fields(u, fraction, t)}\n`);
    }
    this.lastDraw = t;
  }

  /** Ends the redrawn line (TTY) so that what follows starts on a new one. */
  done(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  private fields(u: ProgressUpdate, fraction: number, t: number): string {
    const parts = [`${(fraction * 100).toFixed(1).padStart(5)}%`];
    if (u.rate !== undefined) parts.push(`${formatCount(u.rate)} ${u.rateUnit ?? 'items'}/s`);
    const { t: t0, fraction: f0 } = this.origin!;
    const eta = fraction > f0 ? formatDuration(((t - t0) / 1000) * (1 - fraction) / (fraction - f0)) : '--';
    parts.push(fraction >= 1 ? `done in ${formatDuration((t - this.started) / 1000)}` : `ETA ${eta}`);
    if (u.extra) parts.push(u.extra);
    return parts.join('  ');
  }
}

function bar(fraction: number): string {
  const full = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(full)}${'.'.repeat(BAR_WIDTH - full)}]`;
}

/** Cuts a line to the terminal's width so that \r redraws it rather than wrapping. */
function fit(line: string, width: number | undefined): string {
  return width && width > 1 && line.length >= width ? line.slice(0, width - 1) : line;
}

/** 999 → '999', 81234 → '81.2k', 812345 → '812k', 1234567 → '1.23M'. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  const [value, unit] = a >= 1e9 ? [n / 1e9, 'G'] : a >= 1e6 ? [n / 1e6, 'M'] : a >= 1e3 ? [n / 1e3, 'k'] : [n, ''];
  if (unit === '') return String(Math.round(value));
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit}`;
}

/** Seconds as '7s', '0.4s', '1:05', '1:02:03'. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? h + ':' : ''}${mm}:${String(sec).padStart(2, '0')}`;
}
