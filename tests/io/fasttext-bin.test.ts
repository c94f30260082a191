// fastText's .bin reader on files the fuzzer made: each refused with a FormatError naming the
// field and its byte offset, or read to finite vectors.
import { describe, expect, test } from 'vitest';
import { parseFastTextBin, formatFastTextBin } from '../../src/io/fasttext-bin';
import { Word2Vec } from '../../src/index';
import { formatError } from '../format-error';

async function tinyBin(): Promise<Uint8Array> {
  const corpus = Array.from({ length: 20 }, (_, i) => `the quick brown fox ${i % 3} jumps`).join('\n');
  const model = await Word2Vec.train(corpus, { dim: 4, minCount: 1, epochs: 1, threads: 1, seed: 1, minn: 2, maxn: 3, bucket: 20 });
  try {
    return model.toBytes('fasttext');
  } finally {
    model.dispose();
  }
}

describe('fastText .bin: what the fuzzer found', () => {
  test('counts out of order, a repeated word, maxn past 64: FormatErrors naming the field', async () => {
    const m = parseFastTextBin(await tinyBin());
    const rebuild = (patch: Partial<typeof m>) => formatFastTextBin({ ...m, ...patch });
    const counts = [...m.counts];
    [counts[0], counts[1]] = [counts[1]!, counts[0]! + 1];
    expect(formatError(() => parseFastTextBin(rebuild({ counts }))).field).toBe('count');
    const words = [...m.words];
    words[2] = words[1]!;
    const repeated = formatError(() => parseFastTextBin(rebuild({ words })));
    expect([repeated.field, repeated.message]).toEqual(['word', expect.stringContaining(`entry 2 ("${words[1]}") repeats entry 1`)]);
    expect(formatError(() => parseFastTextBin(rebuild({ args: { ...m.args, maxn: 32771 } }))).message).toMatch(/maxn must be from 0 to 64, got 32771/);
  });

  test('rows of values near float32\'s limit give a finite mean (summed again in f64), not Infinity', async () => {
    const m = parseFastTextBin(await tinyBin());
    const input = m.input.map(() => 3e38);
    const model = await Word2Vec.load(formatFastTextBin({ ...m, input }));
    try {
      const v = model.vector('an-unknown-word');
      expect(v.every((x) => Math.abs(x - 3e38) / 3e38 < 1e-6)).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
