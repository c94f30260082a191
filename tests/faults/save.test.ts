// A save that fails part-way leaves the previous file byte-identical and no temporary file
// behind, in every format: on a full disk (a small tmpfs, mounted here if we are allowed to)
// and when a write or the flush to disk throws (node:fs/promises wrapped below).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { init, Word2Vec } from '../../src/index';

// Which step of the next atomic write throws: none, the write (after half the bytes), or the fsync.
const fault = vi.hoisted(() => ({ at: 'none' as 'none' | 'write' | 'sync' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (...args) => {
    const file = await fs.open(...args);
    const writeFile = file.writeFile.bind(file), sync = file.sync.bind(file);
    file.writeFile = async (data) => {
      if (fault.at !== 'write') return writeFile(data);
      await writeFile((data as Uint8Array).subarray(0, (data as Uint8Array).length >> 1));
      throw Object.assign(new Error('EIO: i/o error, write (injected)'), { code: 'EIO' });
    };
    file.sync = async () => {
      if (fault.at === 'sync') throw Object.assign(new Error('EIO: i/o error, fsync (injected)'), { code: 'EIO' });
      return sync();
    };
    return file;
  };
  return { ...fs, default: { ...fs, open }, open };
});

const FORMATS = ['text', 'binary', 'checkpoint'] as const;
const words = ['the', 'king', 'queen', 'man', 'woman', 'rules', 'sees', 'castle', 'river', 'city', 'and'];
const corpus = Array.from({ length: 400 }, (_, i) => Array.from({ length: 12 }, (_, j) => words[(i * 7 + j * j) % words.length]).join(' ')).join('\n');
let before: Word2Vec, after: Word2Vec, dir: string;

beforeAll(async () => {
  const runtime = await init({ simd: 'baseline' });
  // Two models whose files differ in every format; dim 1000 makes each file tens of KiB.
  const options = { dim: 1000, minCount: 1, epochs: 1, runtime };
  before = await Word2Vec.train(corpus, { ...options, seed: 1 });
  after = await Word2Vec.train(corpus, { ...options, seed: 2 });
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-save-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a write that throws', () => {
  for (const format of FORMATS) {
    for (const at of ['write', 'sync'] as const) {
      test(`${format}, failing at the ${at}: the old file stays, no temporary file is left`, async () => {
        const folder = join(dir, `${format}-${at}`);
        mkdirSync(folder);
        const path = join(folder, 'model');
        await before.save(path, { format });
        const old = readFileSync(path);
        fault.at = at;
        try {
          await expect(after.save(path, { format })).rejects.toThrow(`EIO: i/o error, ${at === 'write' ? 'write' : 'fsync'} (injected)`);
        } finally {
          fault.at = 'none';
        }
        expect(readFileSync(path).equals(old)).toBe(true);
        expect(readdirSync(folder)).toEqual(['model']);
        // Without the fault the same save replaces the file: the check above could fail.
        await after.save(path, { format });
        expect(readFileSync(path).equals(Buffer.from(after.toBytes(format)))).toBe(true);
        expect(readFileSync(path).equals(old)).toBe(false);
      });
    }
  }
});

/** Mounts a 1 MiB tmpfs at `at`; false (and why, on the console) where this process may not. */
function mountTmpfs(at: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', at], { stdio: 'pipe' });
    return true;
  } catch (e) {
    console.warn(`save.test.ts: full-disk tests skipped: cannot mount a tmpfs (${String((e as Error).message).split('\n')[0]}); they need root with CAP_SYS_ADMIN`);
    return false;
  }
}

describe('a full disk', () => {
  const disk = mkdtempSync(join(tmpdir(), 'wasm-nlp-disk-'));
  const mounted = mountTmpfs(disk);
  afterAll(() => {
    if (mounted) execFileSync('umount', [disk]);
    rmSync(disk, { recursive: true, force: true });
  });

  for (const format of FORMATS) {
    test.skipIf(!mounted)(`${format}: ENOSPC mid-write; the old file stays, no temporary file is left`, async () => {
      const path = join(disk, `model.${format}`), filler = join(disk, 'filler');
      try {
        await before.save(path, { format });
        const old = readFileSync(path);
        // Fill the disk but for one 4 KiB page, far less than the new file needs.
        const { bavail, bsize } = statfsSync(disk);
        writeFileSync(filler, new Uint8Array(Number(bavail) * Number(bsize) - 4096));
        expect(after.toBytes(format).length).toBeGreaterThan(4 * 4096);
        await expect(after.save(path, { format })).rejects.toThrow(/ENOSPC/);
        expect(readFileSync(path).equals(old)).toBe(true);
        expect(readdirSync(disk).sort()).toEqual(['filler', `model.${format}`]);
        rmSync(filler);
        await after.save(path, { format });
        expect(readFileSync(path).equals(Buffer.from(after.toBytes(format)))).toBe(true);
      } finally {
        rmSync(filler, { force: true });
        rmSync(path, { force: true });
      }
    });
  }
});
