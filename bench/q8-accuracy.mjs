// q8 against f32 on the benchmark models (random weights in the real shapes; make them with
// /usr/bin/python3 tools/make_bench_models.py): the worst cosine, over tokens, between the
// hidden states of loadModel(dir) and loadModel(dir, { dtype: 'q8' }) — BERT-base and
// MiniLM-L6 last hidden states at sequence 128, Marian-base's encoder output and the decoder's
// logits of one greedy step (20 source tokens).
//
//   npm run build && node bench/q8-accuracy.mjs
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../dist/index.js';
import { rowCosines } from './numbers.mjs';

const MODELS = 'bench/.models';
if (!existsSync(join(MODELS, 'bert-base', 'reference.json'))) {
  console.log(`q8 accuracy skipped: ${MODELS} is missing; make it with /usr/bin/python3 tools/make_bench_models.py`);
  process.exit(0);
}

const results = {};
for (const name of ['bert-base', 'minilm-l6']) {
  const dir = join(MODELS, name);
  const ids = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')).input_ids;
  const out = {};
  for (const dtype of ['f32', 'q8']) {
    const model = await loadModel(dir, { dtype });
    out[dtype] = model.model.forward({ inputIds: ids }).lastHiddenState;
    model.dispose();
  }
  results[name] = rowCosines(out.f32, out.q8, out.f32.length / ids.flat().length);
}
{
  const dir = join(MODELS, 'marian-base');
  const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
  const src = ref.input_ids ?? ref.encoder_input_ids, mask = ref.attention_mask ?? src.map((r) => r.map(() => 1));
  const out = {};
  for (const dtype of ['f32', 'q8']) {
    const model = await loadModel(dir, { dtype });
    const enc = model.model.encode(src, mask);
    const dec = [[model.model.config.decoderStartTokenId ?? 0]];
    out[dtype] = { enc: enc.hidden.data.slice(), logits: model.model.logits(model.model.decode(dec, enc).hidden, 1) };
    enc.free();
    model.dispose();
  }
  results['marian-base encoder'] = rowCosines(out.f32.enc, out.q8.enc, 512);
  results['marian-base logits'] = rowCosines(out.f32.logits, out.q8.logits, out.f32.logits.length);
}
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(22)} worst token cosine ${v.worst.toFixed(6)}  mean ${v.mean.toFixed(6)}`);
