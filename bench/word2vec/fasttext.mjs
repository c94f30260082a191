// The fastText side of the word2vec benchmark: Debian's /usr/bin/fasttext (0.9.2) as a plain
// skip-gram word2vec (-minn 0 -maxn 0: no subword n-grams, so no buckets either).
//
// Settings match gensim's run: dim 100, window 5, 5 negatives, minCount 5, sample 1e-3, and
// -lr 0.025. fastText's skipgram default lr is 0.05; 0.025 is word2vec's (and gensim's) alpha,
// so both peers start from the same learning rate and decay it linearly to 0.
//
// Timing. fastText reads the whole file to build its dictionary, trains, then writes .bin and
// .vec; only the training is timed, as for gensim (vocabulary excluded). The span runs from its
// "Number of labels" line (dictionary done, training about to start) to its final "Progress:
// 100.0%" line (printed after the worker threads are joined), both stamped as they arrive on
// stderr. rawWordsPerSecond = corpus words x epochs / that span, the words/s.
// fastText's own figure (words/sec/thread, from its start of training to the end) counts only
// in-vocabulary tokens plus one end-of-line token per line, and it keeps reading until that
// count reaches epochs x all tokens, so it trains slightly more than `epochs` passes (by the
// out-of-vocabulary share); it is reported as ownWordsPerSecondPerThread.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FASTTEXT = '/usr/bin/fasttext';
export const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));
export const GENSIM_SCRIPT = path.join(here, 'gensim_train.py');

/** fastText's Debian version, or undefined when it is not installed. */
export function fastTextVersion() {
  if (!existsSync(FASTTEXT)) return undefined;
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'fasttext'], { encoding: 'utf8' }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The corpus's token count: from prepare.mjs's sidecar when there is one, else counted. */
export async function corpusWords(corpus) {
  try {
    const meta = JSON.parse(await readFile(`${corpus}.json`, 'utf8'));
    if (Number.isInteger(meta.tokens)) return meta.tokens;
  } catch { /* no sidecar */ }
  const { createReadStream } = await import('node:fs');
  let n = 0, inWord = false;
  for await (const chunk of createReadStream(corpus)) {
    for (let i = 0; i < chunk.length; i++) {
      const sp = chunk[i] === 32 || chunk[i] === 10 || chunk[i] === 9 || chunk[i] === 13;
      if (!sp && !inWord) n++;
      inWord = !sp;
    }
  }
  return n;
}

/**
 * Trains with fastText and returns
 * { peer: 'fasttext', version, threads, epochs, seconds, wallSeconds, corpusWords,
 *   rawWordsPerSecond, ownWordsPerSecondPerThread, vocabSize, loss, lr,
 *   accuracy?, semantic?, syntactic?, evaluated?, questions?, sections? }.
 * With `questions`, the .vec output is scored by gensim (gensim_train.py --evaluate-vectors).
 * `command` and `trainArgs` replace the skip-gram and its settings (the subword benchmark's
 * fastText defaults); `score(outputPrefix)` scores <prefix>.vec/.bin before they are deleted and
 * its fields join the result.
 */
export async function runFastText({ corpus, threads = 1, epochs = 1, questions, words, tmpDir, log = () => {}, command = 'skipgram', trainArgs, score }) {
  if (!existsSync(FASTTEXT)) throw new Error(`${FASTTEXT} is not installed (apt-get install fasttext)`);
  const nWords = words ?? (await corpusWords(corpus));
  const dir = await mkdtemp(path.join(tmpDir ?? os.tmpdir(), 'fasttext-'));
  const out = path.join(dir, 'model');
  const lr = 0.025;
  const settings = trainArgs ?? ['-dim', '100', '-ws', '5', '-neg', '5', '-loss', 'ns',
    '-minCount', '5', '-t', '1e-3', '-minn', '0', '-maxn', '0', '-lr', String(lr)];
  const args = [command, '-input', corpus, '-output', out, ...settings, '-epoch', String(epochs), '-thread', String(threads), '-verbose', '2'];
  try {
    const t0 = performance.now();
    const { stderr, tStart, tEnd, code } = await new Promise((resolve, reject) => {
      const child = spawn(FASTTEXT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '', tStart, tEnd;
      child.stdout.on('data', (d) => { err += d; });
      child.stderr.on('data', (d) => {
        const now = performance.now();
        err += d;
        if (tStart === undefined && /Number of labels/.test(err)) tStart = now;
        if (tEnd === undefined && /Progress: 100\.0%[^\r\n]*\n/.test(err)) tEnd = now;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ stderr: err, tStart, tEnd, code }));
    });
    const wallSeconds = (performance.now() - t0) / 1e3;
    if (code !== 0) throw new Error(`fasttext exited with ${code}: ${stderr.slice(-500)}`);
    if (tStart === undefined || tEnd === undefined) throw new Error(`could not find fastText's progress lines in its output: ${stderr.slice(-500)}`);
    const seconds = (tEnd - tStart) / 1e3;
    const last = (re) => { const m = [...stderr.matchAll(re)].pop(); return m ? Number(m[1]) : undefined; };
    const result = {
      peer: 'fasttext',
      version: fastTextVersion(),
      threads,
      epochs,
      seconds,
      wallSeconds,
      corpusWords: nWords,
      rawWordsPerSecond: (nWords * epochs) / seconds,
      ownWordsPerSecondPerThread: last(/words\/sec\/thread:\s*(\d+)/g),
      vocabSize: last(/Number of words:\s*(\d+)/g),
      loss: last(/avg\.loss:\s*([\d.]+)/g),
      lr,
    };
    if (score) Object.assign(result, await score(out));
    if (questions) {
      log(`  scoring fastText's vectors with gensim (${epochs} epochs, ${threads} threads)`);
      const json = execFileSync(PYTHON, [GENSIM_SCRIPT, '--evaluate-vectors', `${out}.vec`, '--eval', questions, '--peer', 'fasttext'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
      const q = JSON.parse(json.trim().split('\n').pop());
      for (const k of ['accuracy', 'semantic', 'syntactic', 'questions', 'evaluated', 'restrictVocab', 'sections', 'evaluatedWith']) result[k] = q[k];
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
