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
  test('one line redrawn in place: bar, %, rate, ETA from the progress since the first update, extra fields', () => {
    const { out, b, at } = bar(true);
    at(1000);
    b.update({ fraction: 0.1, label: 'epoch 1/2' });
    expect(out.text).toBe('\repoch 1/2 [##......................]  10.0%  ETA --\x1b[K');
    at(3000);
    b.update({ fraction: 0.3, label: 'epoch 1/2', rate: 812345, rateUnit: 'words', extra: 'loss 0.3310' });
    // 0.2 of the job in 2 s: 0.7 to go in 7 s.
    expect(out.text.split('\r')[2]).toBe('epoch 1/2 [#######.................]  30.0%  812k words/s  ETA 7.0s  loss 0.3310\x1b[K');
    at(3050); // too soon to redraw
    b.update({ fraction: 0.31 });
    expect(out.text.split('\r')).toHaveLength(3);
    at(8000);
    b.update({ fraction: 1, rate: 1.5e6, rateUnit: 'words' });
    // The time since the bar was made.
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

  test('no ETA while the fraction has not moved', () => {
    const { out, b, at } = bar(true);
    at(500);
    b.update({ fraction: 0 });
    at(5000);
    b.update({ fraction: 0 });
    expect(out.text.split('\r').slice(1).every((line) => line.includes('ETA --'))).toBe(true);
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
      '  1.0%  500k words/s  ETA --',
      ' 10.0%  500k words/s  ETA 9.0s',
      ' 12.0%  500k words/s  ETA 49s',
      ' 35.0%  500k words/s  ETA 13s',
      '100.0%  500k words/s  done in 9.0s',
      '',
    ]);
  });
});
