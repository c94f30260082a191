// The files a user names on the command line: checked before use so that a typo gives one
// clear line ("corpus nope.txt does not exist"), not an ENOENT stack. Corpora may be gzipped.
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
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

/** A corpus file for Word2Vec.train: read as it is, or gunzipped as it streams if it is gzip. */
export async function corpusFile(path: string): Promise<CorpusSource> {
  await requireFile(path, 'corpus');
  const head = new Uint8Array(2);
  const file = await open(path);
  try {
    await file.read(head, 0, 2, 0);
  } finally {
    await file.close();
  }
  return head[0] === 0x1f && head[1] === 0x8b ? gzipText(path) : { path };
}

/**
 * Text pieces are handed to the corpus reader as items, and an item ends a sentence, so each
 * piece ends at a newline. A line longer than this many characters is the exception: it is cut
 * at whitespace and becomes several sentences (as the C tool cuts its long lines).
 */
const PIECE_CHARS = 1 << 20;

/**
 * The decompressed text of a gzip file, in pieces that end at line ends. Each iteration reads the
 * file again, so training can read the corpus as many times as it needs.
 */
function gzipText(path: string): AsyncIterable<string> {
  return {
    async *[Symbol.asyncIterator]() {
      const file = createReadStream(path);
      const gunzip = createGunzip({ chunkSize: 1 << 16 });
      file.on('error', (e) => gunzip.destroy(e));
      file.pipe(gunzip);
      const decoder = new TextDecoder('utf-8', { fatal: false });
      let carry = '';
      try {
        for await (const chunk of gunzip) {
          const text = carry + decoder.decode(chunk as Uint8Array, { stream: true });
          let cut = text.lastIndexOf('\n');
          if (cut < 0 && text.length > PIECE_CHARS) cut = text.search(/\s\S*$/);
          if (cut < 0) {
            carry = text;
            continue;
          }
          carry = text.slice(cut + 1);
          yield text.slice(0, cut + 1);
        }
      } catch (e) {
        const code = (e as { code?: string }).code ?? '';
        if (code.startsWith('Z_')) throw new Error(`corpus ${path}: the gzip data is corrupt or cut short (${(e as Error).message})`);
        throw e;
      } finally {
        file.destroy();
        gunzip.destroy();
      }
      carry += decoder.decode();
      if (carry.length > 0) yield carry;
    },
  };
}
