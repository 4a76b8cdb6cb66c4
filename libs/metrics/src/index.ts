export type { TokenBatch, TokenBatches, FeatureEncoder, TopKCodes } from './types.ts';
export { featureMaxima, collectOccurrences, type Occurrences, type ExampleRef } from './passes.ts';
export { PairCounts, rowOf, type TokenRows } from './counts.ts';
export { entropy, semanticEntropy, clusterTokens, monosemanticity, type ClusterRule } from './entropy.ts';
export {
  featureStats,
  summarise,
  classLabel,
  type FeatureStat,
  type FeatureClass,
  type FeatureOptions,
  type SaeSummary,
} from './features.ts';
export { chrfStats, chrfFromStats, sentenceChrf, corpusChrf, type ChrfOptions } from './chrf.ts';
export {
  bleuStats,
  bleuFromStats,
  sentenceBleu,
  corpusBleu,
  tokenize13a,
  type BleuOptions,
  type BleuTokenizer,
  type BleuSmoothing,
} from './bleu.ts';
export {
  classifyByPeakTokens,
  classifyExampleDir,
  peakLanguage,
  peakPosition,
  readExampleFile,
  type Detector,
  type ExampleSequence,
  type TokenLanguage,
} from './examples.ts';
export { saveFeatureMetrics, readFeatureColumns, type FeatureColumns } from './save.ts';
export { describeFeature, type Decode, type FeatureDescription } from './describe.ts';
export {
  minCostAssignment,
  maxSimilarityMatching,
  cosineMatrix,
  featureLineage,
  type Lineage,
  type LineageLink,
  type LineageCounts,
} from './lineage.ts';
export { quantile, randomPairCosines, resolveCosineCut, shareAbove, type CosineCut } from './cosine-cut.ts';
export { tokenScriptShares, type TokenScriptShares } from './script-shares.ts';
