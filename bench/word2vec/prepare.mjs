// The word2vec benchmark corpus: the first N tokens of ../shared/data/corpus-mix21m.txt.gz,
// written once to a cache folder outside the repo (the corpus's licenses forbid copying it
// into the project). Lines keep at most 1000 tokens, the layout gensim's corpus_file and
// fastText read (both cut or choke on very long lines). The file is written to a temporary
// name and renamed, and a sidecar <file>.json ({ tokens, lines, bytes, sha256, source })
// lets a later run skip the work when the file is already there with the right count.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const sharedData = path.resolve(repoRoot, '..', 'shared', 'data');
export const sourceCorpus = path.join(sharedData, 'corpus-mix21m.txt.gz');
export const questionsFile = path.join(sharedData, 'questions-words.txt');
export const defaultCacheDir = path.join(os.tmpdir(), 'wasm-nlp-bench');

export const WHERE_TO_GET = [
  `The word2vec benchmark needs ${path.relative(process.cwd(), sourceCorpus) || sourceCorpus}`,
  `(and ${path.relative(process.cwd(), questionsFile) || questionsFile} for the analogy accuracy).`,
  'They are not part of this package (mixed licenses). Rebuild the corpus with',
  '../shared/tools/build_corpus.sh OUTDIR, split into lines of 1000 tokens, gzip it as',
  '../shared/data/corpus-mix21m.txt.gz; questions-words.txt is the Google analogy set that',
  'ships with the original word2vec tool (https://github.com/tmikolov/word2vec).',
].join('\n');

const TOKENS_PER_LINE = 1000;

function corpusName(tokens) {
  if (tokens % 1_000_000 === 0) return `corpus-${tokens / 1_000_000}m.txt`;
  if (tokens % 1000 === 0) return `corpus-${tokens / 1000}k.txt`;
  return `corpus-${tokens}.txt`;
}

/**
 * Writes the first `tokens` tokens of the benchmark corpus to `<dir>/corpus-10m.txt` (the
 * name follows the count: corpus-2m.txt for 2M) and returns
 * { file, tokens, lines, bytes, sha256, cached }. Throws an Error with code 'ENOCORPUS'
 * when the source corpus is missing, and one that says so when it has fewer tokens.
 */
export async function prepareCorpus({ tokens = 10_000_000, dir = defaultCacheDir, source = sourceCorpus } = {}) {
  if (!Number.isInteger(tokens) || tokens < 1) throw new Error(`prepareCorpus: tokens must be a positive integer, got ${tokens}`);
  if (!existsSync(source)) {
    const e = new Error(`prepareCorpus: ${source} is missing.\n${WHERE_TO_GET}`);
    e.code = 'ENOCORPUS';
    throw e;
  }
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, corpusName(tokens));
  const sidecar = `${file}.json`;

  const cached = await readSidecar(file, sidecar);
  if (cached && cached.tokens === tokens) return { file, ...cached, cached: true };

  const tmp = `${file}.${process.pid}.tmp`;
  const hash = createHash('sha256');
  const out = createWriteStream(tmp);
  let written = 0, lines = 0, bytes = 0;
  let carry = '';                  // an unfinished token at the end of a chunk
  let line = [];                   // the tokens of the output line being filled

  // latin1 in and out: bytes are copied as they are (the corpus is ASCII; nothing is re-encoded)
  const write = async (s) => {
    const buf = Buffer.from(s, 'latin1');
    hash.update(buf);
    bytes += buf.length;
    if (!out.write(buf)) await once(out, 'drain');
  };
  const flushLine = async () => {
    if (line.length === 0) return;
    await write(line.join(' ') + '\n');
    lines++;
    line = [];
  };
  const take = async (tok) => {
    line.push(tok);
    written++;
    if (line.length === TOKENS_PER_LINE) await flushLine();
  };

  const gunzip = createGunzip();
  const input = createReadStream(source).pipe(gunzip);
  try {
    outer: for await (const chunk of input) {
      const text = carry + chunk.toString('latin1'); // the corpus is a-z, digits, spaces and newlines
      const parts = text.split(/[ \n\t\r]+/);
      carry = /[ \n\t\r]$/.test(text) ? '' : parts.pop();
      for (const tok of parts) {
        if (!tok) continue;
        await take(tok);
        if (written === tokens) break outer;
      }
    }
    if (written < tokens && carry) await take(carry);
    if (written < tokens) throw new Error(`prepareCorpus: ${source} has only ${written} tokens, ${tokens} asked`);
    await flushLine();
    out.end();
    await once(out, 'finish');
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true });
    throw e;
  } finally {
    input.destroy(); // after an early break, stop reading the rest of the .gz
  }
  const meta = { tokens: written, lines, bytes, sha256: hash.digest('hex'), source: path.basename(source), tokensPerLine: TOKENS_PER_LINE };
  await rename(tmp, file);
  const tmpMeta = `${sidecar}.${process.pid}.tmp`;
  await writeFile(tmpMeta, JSON.stringify(meta, null, 2) + '\n');
  await rename(tmpMeta, sidecar);
  return { file, ...meta, cached: false };
}

/** The sidecar, if it matches the file beside it (same size); the hash is trusted, not recomputed. */
async function readSidecar(file, sidecar) {
  try {
    const meta = JSON.parse(await readFile(sidecar, 'utf8'));
    const st = await stat(file);
    if (typeof meta.tokens !== 'number' || meta.bytes !== st.size) return undefined;
    return meta;
  } catch {
    return undefined;
  }
}

/** Recomputes the sha256 of a prepared file (for a check; prepareCorpus trusts the sidecar). */
export async function sha256File(file) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 10_000_000);
  try {
    const t0 = performance.now();
    const r = await prepareCorpus({ tokens: n });
    console.log(JSON.stringify({ ...r, ms: Math.round(performance.now() - t0) }));
  } catch (e) {
    if (e.code === 'ENOCORPUS') { console.log(e.message); process.exit(0); }
    throw e;
  }
}
