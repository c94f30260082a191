// The fuzz target of the SentencePiece model reader: model files (Unigram with the nmt_nfkc
// character map and added pieces, BPE with byte fallback, the identity normalizer) mutated byte
// by byte, then read by loadTokenizer as a folder's spiece.model. A loaded tokenizer must
// encode and decode text, with ids inside its vocabulary.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/load';
import { mutateBytes } from './mutate';
import { SanityFailure, type Files, type Loaded, type Target } from './targets';

const DIR = join(__dirname, '..', 'fixtures', 'sentencepiece');
const TEXTS = ['Hello, world 42 é!', 'ＡＢＣ 東京 😀 a<sep>b', '  two  spaces\tand a tab ', ''];

export function sentencePieceTarget(): Target {
  const seeds: Files[] = ['identity.model', 'unigram.model', 'bpe.model', join('marian', 'target.spm')]
    .map((name) => ({ 'spiece.model': new Uint8Array(readFileSync(join(DIR, name))) }));
  return {
    name: 'sentencepiece',
    seeds,
    mutate: (rng, seed) => ({ 'spiece.model': mutateBytes(rng, seed['spiece.model']!) }),
    load: async (files): Promise<Loaded> => {
      const tok = await loadTokenizer({ files: { 'spiece.model': files['spiece.model']! } });
      return {
        check: () => {
          const size = tok.vocabSize;
          for (const text of TEXTS) {
            const enc = tok.encode(text);
            for (const id of enc.ids) if (!(Number.isSafeInteger(id) && id >= 0 && id < size)) throw new SanityFailure(`id ${id} outside the ${size} pieces`);
            if (enc.offsets.some(([s, e]) => !(s >= 0 && s <= e && e <= text.length))) throw new SanityFailure(`offsets out of the text: ${JSON.stringify(enc.offsets)}`);
            if (typeof tok.decode(enc.ids) !== 'string') throw new SanityFailure('decode: not a string');
          }
        },
        dispose: () => {},
      };
    },
  };
}
