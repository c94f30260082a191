// A user's Vite app: imports the package by name, as installed from its tarball, and computes
// with it. tests/browser/vite-consumer.test.ts reads window.result and checks it against Node.
import { init, jsKernels, Word2Vec } from 'wasm-nlp';
import { corpus, matmulCase, word2vecOptions } from './inputs.js';

async function run() {
  const threaded = await init({ threads: 2 });
  const { a, b, shape } = matmulCase();
  const product = threaded.kernels.matmul(a, b, shape);
  const twin = jsKernels.matmul(a, b, shape);
  let maxDiff = 0;
  for (let i = 0; i < twin.length; i++) maxDiff = Math.max(maxDiff, Math.abs(product[i] - twin[i]));

  // One thread, plain SIMD and a seed: the vectors Node trains, to the bit.
  const model = await Word2Vec.train(corpus(), { ...word2vecOptions, runtime: await init({ simd: 'baseline' }) });
  return {
    features: threaded.features,
    matmulMaxDiff: maxDiff,
    vocab: model.vocab,
    vectorBits: Array.from(new Uint32Array(model.vectors.buffer, model.vectors.byteOffset, model.vectors.length)),
  };
}

run().then((result) => {
  window.result = result;
  document.getElementById('out').textContent = `threads: ${result.features.threads}, build: ${result.features.build}, ` +
    `matmul vs JS twin: ${result.matmulMaxDiff.toExponential(2)}, vocabulary: ${result.vocab.length} words`;
}, (error) => {
  window.result = { error: String(error && error.stack || error) };
});
