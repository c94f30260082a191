// A model folder on disk is read tensor by tensor through a ByteSource (a file handle), not as
// whole files: the same tensors and hidden states as from bytes in memory, the handles closed
// after the load (also a failed one), and a file that shrinks mid-load named with the byte.
import { readdirSync, readFileSync, copyFileSync, mkdtempSync, openSync, closeSync, readSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { FormatError } from '../../src/io/errors';
import { parseSafetensors, type ByteSource } from '../../src/io/safetensors';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';

const BERT = join(__dirname, '..', 'fixtures', 'bert');
const openFiles = () => readdirSync('/proc/self/fd').length;

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});
afterAll(() => rt.dispose());

describe('loading from disk tensor by tensor', () => {
  test('a ByteSource over a file handle gives the tensors the bytes give, reading only what is asked', () => {
    const path = join(BERT, 'model-f16.safetensors');
    const fd = openSync(path, 'r');
    let read = 0;
    const source: ByteSource = {
      length: fstatSync(fd).size,
      read(offset, length) {
        read += length;
        const b = new Uint8Array(length);
        readSync(fd, b, 0, length, offset);
        return b;
      },
    };
    try {
      const streamed = parseSafetensors(source);
      const whole = parseSafetensors(new Uint8Array(readFileSync(path)));
      expect(read).toBe(8 + streamed.dataOffset);   // the length, then the header: no tensor yet
      const name = 'bert.encoder.layer.0.attention.self.query.weight';
      expect(streamed.tensor(name)).toEqual(whole.tensor(name));
      expect(read).toBe(8 + streamed.dataOffset + streamed.info(name).byteLength);
    } finally {
      closeSync(fd);
    }
  });

  test('a folder gives the hidden states of the same files in memory, and its files are closed after', async () => {
    const before = openFiles();
    const fromDisk = await loadModel(BERT, { runtime: rt }) as TextEncoderModel;
    expect(openFiles()).toBe(before);
    const files = Object.fromEntries(readdirSync(BERT).map((f) => [f, new Uint8Array(readFileSync(join(BERT, f)))]));
    const fromMemory = await loadModel({ files }, { runtime: rt }) as TextEncoderModel;
    expect(fromDisk.embed(['the cat sat', 'a dog'])).toEqual(fromMemory.embed(['the cat sat', 'a dog']));
    fromDisk.dispose();
    fromMemory.dispose();
  });

  test('a failed load closes its files too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-streamed-'));
    for (const f of readdirSync(BERT)) copyFileSync(join(BERT, f), join(dir, f));
    const config = JSON.parse(readFileSync(join(BERT, 'config.json'), 'utf8'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, hidden_size: config.hidden_size * 2, intermediate_size: config.intermediate_size }));
    const before = openFiles();
    await expect(loadModel(dir, { runtime: rt })).rejects.toThrow(FormatError);
    expect(openFiles()).toBe(before);
  });
});
