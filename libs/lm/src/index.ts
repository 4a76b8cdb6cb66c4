export * from './tokenizer/index.ts';
export {
  parseLlamaConfig,
  readLlamaConfig,
  toHfConfig,
  ConfigError,
  SUPPORTED_MODEL_TYPES,
  SUPPORTED_ROPE_TYPES,
  type LlamaConfig,
  type RopeScaling,
} from './llama/config.ts';
export { llamaParamShapes, isBiasParam, isNormParam } from './llama/params.ts';
export { siteCount, midSite, allSites, checkSite } from './llama/sites.ts';
export {
  llamaForward,
  rotaryTables,
  ropeInverseFrequencies,
  BATCH,
  type ForwardOptions,
  type ForwardResult,
} from './llama/forward.ts';
export {
  initLlamaWeights,
  readLlamaWeights,
  saveLlamaCheckpoint,
  type LlamaWeights,
  type SaveCheckpointOptions,
} from './llama/weights.ts';
export {
  LlamaModel,
  modelFingerprint,
  loadTapModel,
  type LlamaModelOptions,
  type GenerateBatchOptions,
  type GenerationDelta,
  type DecodeInjector,
  type DecodeTapper,
} from './llama/model.ts';
export * from './zoo/family.ts';
export * from './zoo/corpus.ts';
export * from './zoo/packing.ts';
export * from './zoo/tokens.ts';
export * from './zoo/train.ts';
export * from './zoo/eval.ts';
export * from './zoo/family-run.ts';
export * from './zoo/ngram.ts';
export * from './zoo/baseline.ts';
