// The CLI's load bars: one per downloading file, then the tensors, on a hand-set clock.
import { expect, test } from 'vitest';
import { formatBytes, loadProgressBars } from '../../src/cli/load-progress';
import { captured } from './capture';

test('formatBytes', () => {
  expect([0, 999, 1000, 81_234, 12_345_678, 2.5e9].map(formatBytes)).toEqual(['0 B', '999 B', '1.00 kB', '81.2 kB', '12.3 MB', '2.50 GB']);
});

test('on a terminal: a bar per file (small files only when done), then the tensors; each bar keeps its line', () => {
  let now = 0;
  const out = captured(true);
  const progress = loadProgressBars({ stderr: out }, { now: () => now });
  progress({ stage: 'download', file: 'config.json', loaded: 0, total: 500 });
  progress({ stage: 'download', file: 'config.json', loaded: 200, total: 500 });
  expect(out.text).toBe('');
  now = 100;
  progress({ stage: 'download', file: 'config.json', loaded: 500, total: 500 });
  expect(out.text).toBe('\rconfig.json [########################] 100.0%  done in 0.1s  500 B of 500 B  5.00 kB/s\x1b[K');
  out.text = '';
  progress({ stage: 'download', file: 'model.safetensors', loaded: 0, total: 4_000_000 });
  now = 1100;
  progress({ stage: 'download', file: 'model.safetensors', loaded: 1_000_000, total: 4_000_000 });
  // The previous bar's line ended; this one redrawn in place.
  expect(out.text.split('\r')).toEqual(['\n', 'model.safetensors [........................]   0.0%  ETA --  0 B of 4.00 MB\x1b[K',
    'model.safetensors [######..................]  25.0%  ETA 3.0s  1.00 MB of 4.00 MB  1.00 MB/s\x1b[K']);
  out.text = '';
  now = 1200;
  progress({ stage: 'load', loaded: 1, total: 4 });
  now = 1400;
  progress({ stage: 'load', loaded: 4, total: 4 });
  expect(out.text.split('\r')).toEqual(['\n', 'loading tensors [######..................]  25.0%  ETA --  1 of 4\x1b[K',
    'loading tensors [########################] 100.0%  done in 0.2s  4 of 4\x1b[K\n']);
  progress.done();
  expect(out.text.endsWith('\x1b[K\n')).toBe(true);
});

test('in a log: one line per small file, tenths of big ones, total unknown shown as bytes', () => {
  let now = 0;
  const out = captured(false);
  const progress = loadProgressBars({ stderr: out }, { now: () => now });
  progress({ stage: 'download', file: 'tokenizer.json', loaded: 0, total: 4786 });
  now = 10;
  progress({ stage: 'download', file: 'tokenizer.json', loaded: 4786, total: 4786 });
  progress({ stage: 'download', file: 'vocab.txt', loaded: 0, total: undefined });
  now = 1010;
  progress({ stage: 'download', file: 'vocab.txt', loaded: 2000, total: undefined });
  progress.done();
  expect(out.text.split('\n')).toEqual([
    'tokenizer.json  100.0%  done in 0.0s  4.79 kB of 4.79 kB  479 kB/s',
    'vocab.txt    0.0%  ETA --  0 B',
    '',
  ]);
});
