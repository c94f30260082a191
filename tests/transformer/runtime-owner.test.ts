// loadModel without a runtime makes one for the model, and the model's dispose() ends it (its
// workers too); a runtime the caller passes stays the caller's.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { init } from '../../src/index';
import { loadModel } from '../../src/transformer/load';
import type { TextEncoderModel } from '../../src/transformer/text-encoder';

const BERT = join(__dirname, '..', 'fixtures', 'bert');

test('a model disposes the runtime loadModel made for it, not one it was given', async () => {
  const own = await loadModel(BERT, { threads: 2 }) as TextEncoderModel;
  expect(own.embed('the cat').length).toBe(1);
  own.dispose();
  // A product big enough to be split over the workers reaches the ended pool.
  const big = () => own.model.runtime.kernels.matmul(new Float32Array(64 * 128), new Float32Array(128 * 256), { m: 64, k: 128, n: 256 });
  expect(big).toThrow('worker pool: used after dispose()');

  const rt = await init({ threads: 2 });
  const lent = await loadModel(BERT, { runtime: rt }) as TextEncoderModel;
  const expected = lent.embed('the cat');
  lent.dispose();
  const again = await loadModel(BERT, { runtime: rt }) as TextEncoderModel;
  expect(again.embed('the cat')).toEqual(expected);
  again.dispose();
  rt.dispose();
});
