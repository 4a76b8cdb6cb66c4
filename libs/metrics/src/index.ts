export type { TokenBatch, TokenBatches, FeatureEncoder, TopKCodes } from './types.ts';
export { featureMaxima, collectOccurrences, type Occurrences, type ExampleRef } from './passes.ts';
export { entropy, semanticEntropy, clusterTokens, monosemanticity, type ClusterRule } from './entropy.ts';
export { featureStats, summarise, type FeatureStat, type FeatureClass, type FeatureOptions, type SaeSummary } from './features.ts';
