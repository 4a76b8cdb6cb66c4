export * from './tokenizer/index.ts';
export { parseLlamaConfig, readLlamaConfig, toHfConfig, ConfigError, SUPPORTED_MODEL_TYPES, type LlamaConfig } from './llama/config.ts';
export { llamaParamShapes, isNormParam } from './llama/params.ts';
export { llamaForward, rotaryTables, BATCH, type ForwardOptions, type ForwardResult } from './llama/forward.ts';
export { initLlamaWeights, readLlamaWeights, saveLlamaCheckpoint, type LlamaWeights } from './llama/weights.ts';
export { LlamaModel, loadTapModel } from './llama/model.ts';
export * from './zoo/family.ts';
export * from './zoo/corpus.ts';
export * from './zoo/packing.ts';
