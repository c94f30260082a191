// A config-driven decoder-only, pre-LN transformer against torch.nn: the fixture
// (tools/make_prenorm_fixture.py) runs torch.nn.TransformerEncoderLayer(norm_first=True,
// gelu) with a causal mask, the independent implementation the issue asks to cross-check with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { init, type Runtime } from '../../src/index';
import { parseSafetensors } from '../../src/io/safetensors';
import type { TransformerConfig } from '../../src/transformer/config';
import { loadCustomDecoder } from '../../src/transformer/models/custom';

const DIR = join(__dirname, '..', 'fixtures', 'custom-prenorm');
const fixture = JSON.parse(readFileSync(join(DIR, 'fixture.json'), 'utf8'));
type T = { shape: number[]; data: number[] };
const maxDiff = (got: Float32Array, want: T) => got.reduce((m, x, i) => Math.max(m, Math.abs(x - want.data[i]!)), 0);

let rt: Runtime;
beforeAll(async () => {
  rt = await init();
});

test('pre-LN layers with a causal mask, the final norm and the tied LM head agree with torch.nn to 1e-5', () => {
  const config = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8')) as TransformerConfig;
  const st = parseSafetensors(new Uint8Array(readFileSync(join(DIR, 'model.safetensors'))));
  const model = loadCustomDecoder(rt, config, (n) => st.tensor(n, { checkFinite: true }), (n) => st.has(n));
  const out = model.forward(fixture.input_ids, true);
  out.hiddenStates!.forEach((h, i) => expect(maxDiff(h, fixture.hidden_states[i]), `hidden state ${i}`).toBeLessThan(1e-5));
  expect(maxDiff(out.lastHiddenState, fixture.last_hidden_state)).toBeLessThan(1e-5);
  const rows = fixture.input_ids.length * fixture.input_ids[0].length;
  expect(maxDiff(model.logits(out.lastHiddenState, rows), fixture.logits)).toBeLessThan(1e-4);
  // Causality: a later token never changes an earlier position's state.
  const prefix = model.forward(fixture.input_ids.map((r: number[]) => r.slice(0, 5)));
  const d = config.dModel, T = fixture.input_ids[0].length;
  for (let t = 0; t < 5; t++) for (let j = 0; j < d; j++) expect(Math.abs(prefix.lastHiddenState[t * d + j]! - out.lastHiddenState[t * d + j]!)).toBeLessThan(1e-5);
  expect(T).toBeGreaterThan(5);
  model.dispose();
});
