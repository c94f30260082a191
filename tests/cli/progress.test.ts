// The progress bar: number and time formatting, the redrawn TTY line and the plain lines.
import { describe, expect, test } from 'vitest';
import { formatCount, formatDuration, ProgressBar } from '../../src/cli/progress';
import { captured } from './capture';

test('formatCount: three significant digits with k, M, G', () => {
  expect([0, 999, 1000, 81234, 812345, 1234567, 99_950_000, 2.5e9].map(formatCount))
    .toEqual(['0', '999', '1.00k', '81.2k', '812k', '1.23M', '100.0M', '2.50G']);
});

test('formatDuration: tenths under 10 s, then s, m:ss, h:mm:ss', () => {
  expect([0.42, 9.94, 10, 59.4, 65, 600, 3723, -1, Infinity].map(formatDuration))
    .toEqual(['0.4s', '9.9s', '10s', '59s', '1:05', '10:00', '1:02:03', '--', '--']);
});

/** A bar driven by a hand-set clock (ms). */
function bar(isTTY: boolean, columns?: number) {
  let now = 0;
  const out = captured(isTTY, columns);
  const b = new ProgressBar(out, { now: () => now });
  return { out, b, at: (ms: number) => void (now = ms) };
}

describe('on a terminal', () => {
  test('one line redrawn in place: bar, %, rate, ETA from the elapsed time, extra fields', () => {
    const { out, b, at } = bar(true);
    at(2000);
    b.update({ fraction: 0.25, label: 'epoch 1/2', rate: 812345, rateUnit: 'words', extra: 'loss 0.3310' });
    // 2 s for a quarter: 6 s to go.
    expect(out.text).toBe('\repoch 1/2 [######..................]  25.0%  812k words/s  ETA 6.0s  loss 0.3310\x1b[K');
    at(2050); // too soon to redraw
    b.update({ fraction: 0.3 });
    expect(out.text.split('\r')).toHaveLength(2);
    at(8000);
    b.update({ fraction: 1, rate: 1.5e6, rateUnit: 'words' });
    expect(out.text.endsWith('\r[########################] 100.0%  1.50M words/s  done in 8.0s\x1b[K')).toBe(true);
    b.done();
    expect(out.text.endsWith('\n')).toBe(true);
  });

  test('the line is cut to the terminal width so it never wraps', () => {
    const { out, b, at } = bar(true, 20);
    at(1000);
    b.update({ fraction: 0.5, label: 'epoch 1/1' });
    expect(out.text).toBe('\repoch 1/1 [########\x1b[K');
  });

  test('no ETA before any progress', () => {
    const { out, b, at } = bar(true);
    at(500);
    b.update({ fraction: 0 });
    expect(out.text).toContain('ETA --');
  });
});

describe('elsewhere (pipes, logs)', () => {
  test('plain lines, one per tenth of the job or every 5 s, no escape codes', () => {
    const { out, b, at } = bar(false);
    const steps: [number, number][] = [[100, 0.01], [200, 0.02], [1000, 0.1], [1100, 0.11], [6200, 0.12], [7000, 0.35], [9000, 1]];
    for (const [t, f] of steps) {
      at(t);
      b.update({ fraction: f, rate: 5e5, rateUnit: 'words' });
    }
    b.done();
    expect(out.text.split('\n')).toEqual([
      '  1.0%  500k words/s  ETA 9.9s',
      ' 10.0%  500k words/s  ETA 9.0s',
      ' 12.0%  500k words/s  ETA 45s',
      ' 35.0%  500k words/s  ETA 13s',
      '100.0%  500k words/s  done in 9.0s',
      '',
    ]);
  });
});
