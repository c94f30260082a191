// The files a user names on the command line: checked before use so that a typo gives one
// clear line ("corpus nope.txt does not exist"), not an ENOENT stack. Corpora may be gzipped.
import { readFile, stat } from 'node:fs/promises';
import type { CorpusSource } from '../io/corpus';

/** Fails unless `path` is an existing file; `what` names it in the message ('corpus', 'vectors'). */
export async function requireFile(path: string, what: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new Error(`${what} ${path} does not exist`);
  if (!s.isFile()) throw new Error(`${what} ${path} is not a file`);
}

/** Fails unless `path` is an existing folder. */
export async function requireFolder(path: string, what: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new Error(`${what} ${path} does not exist`);
  if (!s.isDirectory()) throw new Error(`${what} ${path} is not a folder`);
}

export async function readTextFile(path: string, what: string): Promise<string> {
  await requireFile(path, what);
  return readFile(path, 'utf8');
}

/**
 * A corpus for Word2Vec.train: the file, plain or gzipped (the corpus reader gunzips it), or
 * standard input for '-' (the process's, or `stdin` when given).
 */
export async function corpusFile(path: string, stdin?: ReadableStream<Uint8Array>): Promise<CorpusSource> {
  if (path === '-') return stdin ?? { path: '-' };
  await requireFile(path, 'corpus');
  return { path };
}
