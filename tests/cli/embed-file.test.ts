// embed / classify --file stream their input and write one output line per input line (issue
// 14): an empty line gives an empty line, a line the model refuses is named by its number on
// stderr and the run goes on (exit 1 at the end), --strict stops at it; the values are the
// library's (TextEncoderModel.embed / classify, which tests/transformer checks), across windows
// of lines and batch sizes, from a file or standard input. Then `search`: the hits of
// semanticSearch over the library's embeddings of the corpus lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { init, loadModel, TextEncoderModel, type Runtime } from '../../src/index';
import { semanticSearch } from '../../src/search/index';
import { run } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { captured, cli, expectOneLineError } from './capture';

const BERT = resolve(__dirname, '../fixtures/bert');
const MPNET = resolve(__dirname, '../fixtures/mpnet-st');
const BASELINE = ['--simd', 'baseline'];
const LONG = Array.from({ length: 100 }, () => 'very').join(' ');

let rt: Runtime, dir: string, bert: TextEncoderModel;
beforeAll(async () => {
  rt = await init({ simd: 'baseline' });
  bert = await loadModel(BERT, { runtime: rt }) as TextEncoderModel;
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-embed-file-'));
});
afterAll(() => {
  bert.dispose();
  rt.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, lines: string[], end = '\n'): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + end);
  return path;
}
const parse = (line: string) => (line === '' ? new Float32Array(0) : Float32Array.from(line.split(' ').map(Number)));
const outputLines = (stdout: string) => stdout.replace(/\n$/, '').split('\n');

/** Rows of embeddings equal to 1e-6: batches of other sizes pad differently, which moves the last bits. */
function expectClose(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  let m = 0;
  for (let j = 0; j < got.length; j++) m = Math.max(m, Math.abs(got[j]! - want[j]!));
  expect(m, what).toBeLessThan(1e-6);
}

const LINES = ['the big red dog', '', 'she is very good today', '   ', 'hello world', 'a cat'];

test('embed --file: one output line per input line, empty for an empty or blank line, the library\'s vectors', async () => {
  const path = file('texts.txt', LINES);
  const r = await cli(['embed', BERT, '--file', path, ...BASELINE]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const rows = outputLines(r.stdout);
  expect(rows).toHaveLength(LINES.length);
  const want = bert.embed(LINES.filter((l) => l.trim() !== ''));
  let k = 0;
  LINES.forEach((line, i) => {
    if (line.trim() === '') expect(rows[i]).toBe('');
    else expect(parse(rows[i]!)).toEqual(want[k++]);
  });
  // CRLF line ends, no newline at the end, --batch-size 1: the same output.
  const crlf = join(dir, 'crlf.txt');
  writeFileSync(crlf, LINES.join('\r\n'));
  const one = outputLines((await cli(['embed', BERT, '--file', crlf, '--batch-size', '1', ...BASELINE])).stdout);
  expect(one.map((l) => l === '')).toEqual(rows.map((l) => l === ''));
  one.forEach((l, i) => expectClose(parse(l), parse(rows[i]!), `line ${i + 1}`));
  // Gzipped, by its name.
  const gz = join(dir, 'texts.txt.gz');
  writeFileSync(gz, gzipSync(LINES.join('\n') + '\n'));
  expect((await cli(['embed', BERT, '--file', gz, ...BASELINE])).stdout).toBe(r.stdout);
});

test('embed --file over many windows: order kept, a failing line named by its number, the run goes on, exit 1', async () => {
  // --batch-size 2 reads 32 lines a window; 80 lines, the long ones at 5, 47 and 80.
  const lines = Array.from({ length: 80 }, (_, i) => (i === 4 || i === 46 || i === 79 ? LONG : i % 9 === 0 ? '' : `${['the', 'a', 'she', 'dog'][i % 4]} ${'good '.repeat(i % 11)}day ${i}`));
  const path = file('many.txt', lines);
  const r = await cli(['embed', BERT, '--file', path, '--batch-size', '2', ...BASELINE]);
  expect(r.code).toBe(1);
  const refused = (n: number) => `wasm-nlp: embed: line ${n} of ${path}: "very very very very very very very very …" has 102 tokens, the model takes at most 64; pass --truncate to cut it`;
  expect(r.stderr.split('\n').filter(Boolean)).toEqual([refused(5), refused(47), refused(80),
    `wasm-nlp: embed: 3 of 80 lines of ${path} failed (the first: line 5); their output lines are empty`]);
  const rows = outputLines(r.stdout);
  expect(rows).toHaveLength(80);
  const ok = lines.flatMap((l, i) => (l !== '' && l !== LONG ? [i] : []));
  const want = bert.embed(ok.map((i) => lines[i]!));
  ok.forEach((i, k) => expectClose(parse(rows[i]!), want[k]!, `line ${i + 1}`));
  for (const i of [4, 46, 79]) expect(rows[i]).toBe('');
  // --truncate: nothing fails.
  const cut = await cli(['embed', BERT, '--file', path, '--truncate', ...BASELINE]);
  expect(cut.code).toBe(0);
  expectClose(parse(outputLines(cut.stdout)[4]!), bert.embed(LONG, { truncation: 'truncate' })[0]!, 'line 5');
});

test('--strict stops at the first failing line, after writing the lines before it', async () => {
  const lines = ['the dog', '', 'a cat', LONG, 'hello', LONG];
  const path = file('strict.txt', lines);
  const r = await cli(['embed', BERT, '--file', path, '--strict', ...BASELINE]);
  expectOneLineError(r, 1, `embed: line 4 of ${path}: "very very very very very very very very …" has 102 tokens, the model takes at most 64; pass --truncate to cut it`);
  const rows = outputLines(r.stdout);
  expect(rows).toHaveLength(3);
  expect(rows[1]).toBe('');
  expectClose(parse(rows[2]!), bert.embed('a cat')[0]!, 'line 3');
  const c = await cli(['classify', BERT, '--file', path, '--strict', ...BASELINE]);
  expectOneLineError(c, 1, `classify: line 4 of ${path}:`);
  expect(outputLines(c.stdout)).toHaveLength(3);
});

test('embed --file --json: one JSON object a line; classify --file: "label score" a line, or JSON Lines', async () => {
  const lines = ['the big red dog', '', LONG, 'she is very good today'];
  const path = file('json.txt', lines);
  const r = await cli(['embed', BERT, '--file', path, '--json', '--no-normalize', '--pooling', 'cls', ...BASELINE]);
  expect(r.code).toBe(1);
  const objects = outputLines(r.stdout).map((l) => JSON.parse(l));
  const want = bert.embed([lines[0]!, lines[3]!], { pooling: 'cls', normalize: false });
  expect(objects).toEqual([
    { line: 1, text: lines[0], embedding: Array.from(want[0]!) },
    { line: 2, text: '', embedding: null },
    { line: 3, text: LONG, embedding: null, error: expect.stringMatching(/^embed: line 3 of .*: "very .* has 102 tokens/) },
    { line: 4, text: lines[3], embedding: Array.from(want[1]!) },
  ]);
  const classes = bert.classify([lines[0]!, lines[3]!]);
  const plain = await cli(['classify', BERT, '--file', path, ...BASELINE]);
  expect(plain.code).toBe(1);
  expect(plain.stdout).toBe(`${classes[0]!.label} ${classes[0]!.score.toFixed(3)}\n\n\n${classes[1]!.label} ${classes[1]!.score.toFixed(3)}\n`);
  const json = await cli(['classify', BERT, '--file', path, '--json', ...BASELINE]);
  expect(outputLines(json.stdout).map((l) => JSON.parse(l))).toEqual([
    { line: 1, text: lines[0], ...classes[0] },
    { line: 2, text: '', label: null },
    { line: 3, text: LONG, label: null, error: expect.stringContaining('classify: line 3 of') },
    { line: 4, text: lines[3], ...classes[1] },
  ]);
});

test('--file - reads standard input; errors of the file and of --batch-size', async () => {
  const stdin = new Blob([`${LINES.join('\n')}\n`]).stream();
  const r = await cli(['embed', BERT, '--file', '-', ...BASELINE], {}, { stdin });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe((await cli(['embed', BERT, '--file', file('again.txt', LINES), ...BASELINE])).stdout);
  const named = await cli(['embed', BERT, '--file', '-', ...BASELINE], {}, { stdin: new Blob([`a\n${LONG}\n`]).stream() });
  expect(named.stderr).toContain('wasm-nlp: embed: line 2 of standard input: "very');
  expectOneLineError(await cli(['embed', BERT, '--file', join(dir, 'none.txt')]), 1, `text file ${join(dir, 'none.txt')} does not exist`);
  expectOneLineError(await cli(['embed', BERT, '--file', file('x.txt', ['a']), '--batch-size', '0']), 2, "embed: option --batch-size must be an integer ≥ 1, got '0'");
  // An empty file: no output, no error.
  const empty = await cli(['embed', BERT, '--file', file('empty.txt', [], ''), ...BASELINE]);
  expect([empty.code, empty.stdout, empty.stderr]).toEqual([0, '', '']);
  // The argument form is unchanged, --batch-size included.
  const args = await cli(['embed', BERT, 'the dog', 'a cat', '--batch-size', '1', ...BASELINE]);
  outputLines(args.stdout).forEach((l, i) => expectClose(parse(l), bert.embed(['the dog', 'a cat'])[i]!, `text ${i + 1}`));
});

test('search: semanticSearch\'s hits over the library\'s embeddings of the corpus lines, with line numbers and texts', async () => {
  const mpnet = await loadModel(MPNET, { runtime: rt }) as TextEncoderModel;
  try {
    const corpus = ['the big red dog is running', '', 'she is very good today', 'a cat in the house', 'the old cat is sleeping', '', 'happy day with the sun', 'rain and the night'];
    const path = file('corpus.txt', corpus);
    const queries = ['a sleeping cat', 'the sun today'];
    const r = await cli(['search', MPNET, '--corpus', path, ...queries, '--top-k', '3', '--json', ...BASELINE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const kept = corpus.flatMap((l, i) => (l !== '' ? [i] : []));
    const want = semanticSearch(mpnet.embed(queries), mpnet.embed(kept.map((i) => corpus[i]!)), { topK: 3, runtime: rt });
    expect(JSON.parse(r.stdout)).toEqual(queries.map((query, q) => ({
      query, hits: want[q]!.map((h) => ({ line: kept[h.corpusId]! + 1, score: expect.closeTo(h.score, 6), text: corpus[kept[h.corpusId]!] })),
    })));
    const plain = await cli(['search', MPNET, '-c', path, queries[0]!, '-k', '2', ...BASELINE]);
    const top = want[0]!.slice(0, 2).map((h) => `  ${h.score.toFixed(4)}  ${kept[h.corpusId]! + 1}: ${corpus[kept[h.corpusId]!]}`);
    expect(plain.stdout).toBe([JSON.stringify(queries[0]), ...top, ''].join('\n'));
    // A corpus line the model refuses is named and left out; the search still answers, exit 1.
    const withLong = file('corpus-long.txt', [...corpus, LONG]);
    const partial = await cli(['search', MPNET, '--corpus', withLong, queries[0]!, '--json', ...BASELINE]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain(`wasm-nlp: search: line 9 of ${withLong}: "very very`);
    expect(partial.stderr).toContain(`search: 1 of 9 lines of ${withLong} failed (the first: line 9); they were left out of the search`);
    // The default --top-k, 5, over the corpus without the refused line.
    const five = semanticSearch(mpnet.embed(queries[0]!), mpnet.embed(kept.map((i) => corpus[i]!)), { topK: 5, runtime: rt })[0]!;
    expect(JSON.parse(partial.stdout)[0].hits.map((h: { line: number }) => h.line)).toEqual(five.map((h) => kept[h.corpusId]! + 1));
    expectOneLineError(await cli(['search', MPNET, 'x']), 2, 'search: give the texts to search with --corpus FILE');
    expectOneLineError(await cli(['search', MPNET, '--corpus', path]), 2, 'search: missing <query');
    expectOneLineError(await cli(['search', MPNET, '--corpus', path, 'x', '--top-k', '0']), 2, "search: option --top-k must be an integer ≥ 1, got '0'");
    expectOneLineError(await cli(['search', MPNET, '--corpus', file('blank.txt', ['', ' ']), 'x', ...BASELINE]), 1, 'search: ');
    expectOneLineError(await cli(['search', MPNET, '--corpus', path, LONG + ' ' + LONG, ...BASELINE]), 1, 'search: query 1 ("very very very very very very very very …") has');
  } finally {
    mpnet.dispose();
  }
});

test('the output is drained after every window of lines, so that a slow reader does not make it pile up in memory', async () => {
  // --batch-size 1: windows of 16 lines; 40 lines give drains after lines 16, 32 and at the end.
  const path = file('drain.txt', Array.from({ length: 40 }, (_, i) => `day ${i}`));
  const stdout = captured(), drainedAt: number[] = [];
  const io: CliIO = { stdout: { ...stdout, write: stdout.write, drain: async () => void drainedAt.push(stdout.text.split('\n').length - 1) }, stderr: captured(), env: {} };
  expect(await run(['embed', BERT, '--file', path, '--batch-size', '1', ...BASELINE], io)).toBe(0);
  expect(drainedAt).toEqual([16, 32, 40]);
});
