// wasm-nlp: NLP kernels on WebAssembly SIMD, with a pure-JS twin for every one.
export { init } from './runtime';
export type { InitOptions, Runtime, RuntimeBuffer, RuntimeFeatures, RuntimeTensor, TypedArrayOf } from './runtime';
export type {
  Kernels, Operand, TensorLike, MatmulOptions, SoftmaxOptions, LayerNormOptions, GeluOptions, OutOptions,
  Activation, AddLayerNormOptions, AttentionOptions, PackOptions, PackedMatrix, PackedDtype,
  QuantizedWeights, QuantizedRows, QuantizeRowsOptions, RmsNormOptions, RotaryOptions,
  Word2VecJob, Word2VecJobResult, Word2VecModelArrays, Resident,
} from './kernels/types';
export { jsKernels } from './kernels/js/index';
export { Arena, WASM32_LIMIT_BYTES } from './wasm/arena';
export { Tensor, type DType } from './wasm/tensor';
export type { Features } from './wasm/features';
export type { BuildName } from './wasm/builds';
export { Word2Vec, type SaveFormat, type SaveOptions, type LoadOptions, type ResumeOptions, type ResumeInfo, type ContinueOptions } from './word2vec/word2vec';
export type { TrainOptions, ProgressEvent } from './word2vec/options';
export {
  WordVectors, type Neighbour, type MostSimilarOptions, type MostSimilarQuery, type AnalogyOptions, type WordVectorsOptions,
  type WordKey, type WeightedKey, type MeanVectorOptions, type WordListOptions, type CentralityOptions,
} from './word2vec/vectors';
export {
  evaluateAnalogies, evaluateSimilarity,
  type AnalogyResult, type SectionAccuracy, type Accuracy, type SimilarityResult, type EvaluateAnalogiesOptions, type EvaluateSimilarityOptions,
} from './word2vec/evaluate';
export {
  Vocab, countPairs, countTrainingExamples,
  type HuffmanTree, type AliasTable, type VocabStats, type VocabBuildOptions,
} from './word2vec/vocab';
export { sentences, type CorpusSource, type SentencesOptions, type CorpusFingerprint } from './io/corpus';
export {
  parseWord2Vec, formatWord2Vec, detectWord2VecFormat,
  type Word2VecFormat, type Word2VecData, type ParseWord2VecOptions,
} from './io/word2vec-format';
export {
  parseFastTextBin, formatFastTextBin, isFastTextBin, FASTTEXT_MAGIC,
  type FastTextBin, type FastTextArgs, type FastTextLoss, type FastTextModelName,
} from './io/fasttext-bin';
export { FormatError } from './io/errors';
export { loadModel, type LoadModelOptions, type TextModel, type ModelKind } from './transformer/load';
export type { ModelSource } from './transformer/files';
export { TextEncoderModel, type EmbedOptions, type EmbedStreamOptions, type ClassifyOptions, type BatchOptions, type Classification, type TruncationOptions } from './transformer/text-encoder';
export type { EncoderModel, EncoderOutput, EncoderInput } from './transformer/encoder';
export type { Seq2SeqModel, Encoded } from './transformer/seq2seq';
export type { GenerateOptions, SearchResult, StepDecoder } from './transformer/generation';
export { TextSeq2SeqModel, type TranslateOptions } from './transformer/text-seq2seq';
export { DecoderOnlyModel } from './transformer/decoder-only';
export { loadCustomDecoder, type CustomDecoderOptions } from './transformer/custom-decoder';
export type { WeightSource, WeightDtype } from './transformer/weights';
export { quantizeCheckpoint, type QuantizeCheckpointOptions, type QuantizeCheckpointResult } from './transformer/quantize-checkpoint';
export { validateConfig, maxTokens, type TransformerConfig, type Family, type HeadKind, type Activation as TransformerActivation } from './transformer/config';
export { configFromHuggingFace } from './transformer/families/index';
export { countParameters, type ParameterCount, type CountOptions } from './transformer/count-parameters';
export { parseSafetensors, writeSafetensors, type SafetensorsFile, type ByteSource, type WritableTensor, type TensorInfo, type TensorOptions } from './io/safetensors';
export {
  pipeline, type Task, type Pipelines, type PipelineOptions, type FeatureExtractionOutput, type TextPair,
  type FeatureExtractionPipeline, type FeatureExtractionOptions, type TextClassificationPipeline, type TextClassificationOptions,
  type TokenClassificationPipeline, type TokenClassificationOptions, type QuestionAnsweringPipeline, type QuestionAnsweringOptions,
  type FillMaskPipeline, type FillMaskOptions, type TranslationPipeline, type ZeroShotClassificationPipeline, type ZeroShotClassificationOptions,
  type TextGenerationPipeline, type Text2TextGenerationPipeline,
} from './pipeline/pipeline';
export type { TextGenerationPipelineOptions, GeneratedText, GeneratedChat } from './pipeline/text-generation';
export type { LabelScore } from './pipeline/text-classification';
export type { TokenEntity, EntityGroup, AggregationStrategy } from './pipeline/token-classification';
export type { QuestionAnswer } from './pipeline/question-answering';
export type { FillMaskPrediction } from './pipeline/fill-mask';
export type { ZeroShotResult } from './pipeline/zero-shot';
export { encode as encodeWithOffsets, encodeWindows, type Encoding, type Offset } from './tokenizer/index';
export { POOLINGS, type Pooling } from './transformer/pooling';
export type { SentenceEmbedding } from './transformer/sentence-transformers';
export { loadTokenizer, type LoadTokenizerOptions } from './tokenizer/load';
export { TextTokenizer, type DecodeOptions } from './tokenizer/text-tokenizer';
export type { HubOptions, LoadProgressEvent, DownloadProgressEvent, TensorsProgressEvent } from './hub/options';
export { cosSim, CorpusIndex, semanticSearch, type Vector, type CorpusIndexOptions, type SemanticSearchOptions, type Hit } from './search/index';
export { TextGenerationModel, type TextGenerationOptions, type TextGenerationDefaults, type GenerationResult, type ChatOptions } from './transformer/text-generation';
export { renderChat, ChatTemplate, type ChatMessage, type RenderChatOptions, type ChatSpecialTokens } from './transformer/chat-template';
export type { RopeScaling, RotaryConfig } from './transformer/config';
