// Who had the cores while a benchmark timed: this process's CPU time and the rest of the
// machine's, each in cores (CPU seconds per wall second), from process.cpuUsage() and the busy
// time of all cores in /proc/stat. On this shared 2-core machine a 2-thread timing is only worth
// keeping when the rest of the machine stayed near 0. Linux only: elsewhere otherCores is undefined.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Busy and total time of all cores since boot, in /proc/stat's ticks. */
function ticks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total }; // idle and iowait are not busy
}

/** Starts watching; stop() gives { ownCores, otherCores } over the time between. */
export function cpuWatch() {
  let start;
  try {
    start = ticks();
  } catch {
    start = undefined;
  }
  const own0 = process.cpuUsage(), wall0 = performance.now();
  return {
    stop() {
      const wall = (performance.now() - wall0) / 1e3;
      const own = process.cpuUsage(own0);
      const ownCores = (own.user + own.system) / 1e6 / wall;
      if (!start) return { ownCores, otherCores: undefined };
      const end = ticks();
      const busyCores = end.total > start.total ? ((end.busy - start.busy) / (end.total - start.total)) * cpus().length : 0;
      return { ownCores, otherCores: Math.max(0, busyCores - ownCores) };
    },
  };
}

/** A timing is kept as clean when the rest of the machine used less than this many cores meanwhile. */
export const CLEAN_OTHER_CORES = 0.25;
