// wasm-nlp: NLP kernels on WebAssembly SIMD, with a pure-JS twin for every one.
export { init } from './runtime';
export type { InitOptions, Runtime, RuntimeFeatures, RuntimeTensor } from './runtime';
export type {
  Kernels, Operand, TensorLike, MatmulOptions, SoftmaxOptions, LayerNormOptions, GeluOptions, OutOptions,
} from './kernels/types';
export { jsKernels } from './kernels/js/index';
export { Arena, WASM32_LIMIT_BYTES } from './wasm/arena';
export { Tensor, type DType } from './wasm/tensor';
export type { Features } from './wasm/features';
export type { BuildName } from './wasm/builds';
export { Word2Vec, type SaveFormat, type LoadOptions, type ResumeOptions } from './word2vec/word2vec';
export type { TrainOptions, ProgressEvent } from './word2vec/options';
export { WordVectors, type Neighbour, type MostSimilarOptions, type AnalogyOptions } from './word2vec/vectors';
export { evaluateAnalogies, evaluateSimilarity } from './word2vec/evaluate';
export { Vocab, countPairs, countTrainingExamples } from './word2vec/vocab';
export { sentences, type CorpusSource } from './io/corpus';
export { parseWord2Vec, formatWord2Vec, detectWord2VecFormat } from './io/word2vec-format';
export { FormatError } from './io/errors';
export { loadModel, type LoadModelOptions } from './transformer/load';
export type { ModelSource } from './transformer/files';
export { TextEncoderModel, type EmbedOptions, type Classification } from './transformer/text-encoder';
export { TextSeq2SeqModel } from './transformer/text-seq2seq';
export { configFromHuggingFace, type TransformerConfig } from './transformer/config';
export { countParameters } from './transformer/count-parameters';
export { parseSafetensors, writeSafetensors } from './io/safetensors';
