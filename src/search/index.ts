// Similarity search over embeddings: cosSim (util.cos_sim) and semanticSearch
// (util.semantic_search) with a reusable CorpusIndex.
export { cosSim, type Vector } from './cos-sim';
export { CorpusIndex, semanticSearch, type CorpusIndexOptions, type SemanticSearchOptions, type Hit } from './semantic-search';
