// The corpus sample the npm package ships for `npx wasm-nlp demo` (data/corpus-sample.txt.gz):
// every 8th line of data/corpus-pd4m.txt.gz (1,000 tokens a line, public domain; see
// data/README.md), so that every source of the full corpus is in it, gzipped at level 9 to stay
// under 1 MB. Running it again gives the same lines (and, with the same zlib, the same bytes).
//   node tools/make-demo-sample.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const EVERY = 8;
const LIMIT = 1_000_000;
const data = join(dirname(fileURLToPath(import.meta.url)), '..', 'data');
const lines = gunzipSync(readFileSync(join(data, 'corpus-pd4m.txt.gz'))).toString('utf8').split('\n').filter((l) => l.length > 0);
const kept = lines.filter((_, i) => i % EVERY === 0);
const text = kept.join('\n') + '\n';
const gz = gzipSync(text, { level: 9 });
if (gz.length > LIMIT) throw new Error(`the sample is ${gz.length} bytes gzipped, over ${LIMIT}: keep fewer lines`);
writeFileSync(join(data, 'corpus-sample.txt.gz'), gz);
const tokens = kept.reduce((n, l) => n + l.split(' ').filter(Boolean).length, 0);
console.log(`data/corpus-sample.txt.gz: ${kept.length} of ${lines.length} lines, ${tokens} tokens, ${gz.length} bytes`);
