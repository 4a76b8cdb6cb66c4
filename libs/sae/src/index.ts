export { saeConfig, SAE_ADAM, type SaeConfig } from './config.ts';
export { geometricMedian, sumOfDistances } from './geometric-median.ts';
export { initSae, roundToBf16, SAE_INIT, type SaeParams } from './init.ts';
export {
  buildSaeStep,
  saeParamShapes,
  SAE_PARAMS,
  type SaeParamName,
  type StepVariant,
  type SaeGraphOptions,
} from './step-graph.ts';
export {
  trainSae,
  resolveStepKernel,
  SaeTrainingError,
  type StepKernel,
  type ActivationBatches,
  type SaeTrainResult,
  type TrainLog,
  type Validation,
  type ValidationLog,
} from './trainer.ts';
export { searchLearningRate, chooseRate, PAPER_LR_GRID, type LrSearchRow } from './lr-search.ts';
export { SaeEncoder, type TopKCodes } from './encoder.ts';
export { decodeMasked } from './decode.ts';
export { evaluateSae, type SaeEval } from './evaluate.ts';
export { saveSae, loadSae, SAETRACE_VERSION, type SaeRecord } from './io.ts';
export { FusedSaeStep, type FusedStepOptions, type FusedStepResult } from './fused-step.ts';
export { nativeSparseStep, nativeStepAvailable, type NativeStepInput, type NativeStepResult } from './native-kernel.ts';
export {
  exportSae,
  importSae,
  detectSaeFormat,
  writeSaeFormat,
  isSaeFormat,
  FORMAT_TARGET,
  SAE_FORMATS,
  SaeFormatError,
  transformerLensHook,
  sparsifyHookpoint,
  layerFromHook,
  type SaeFormat,
  type PortableSae,
  type SaeOrigin,
  type ImportOptions,
} from './interop/index.ts';
