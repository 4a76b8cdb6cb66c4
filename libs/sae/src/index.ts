export { saeConfig, SAE_ADAM, type SaeConfig } from './config.ts';
export { geometricMedian, sumOfDistances } from './geometric-median.ts';
export { initSae, roundToBf16, type SaeParams } from './init.ts';
export { buildSaeStep, saeParamShapes, SAE_PARAMS, type SaeParamName, type StepVariant, type SaeGraphOptions } from './step-graph.ts';
export { trainSae, SaeTrainingError, type ActivationBatches, type SaeTrainResult, type TrainLog } from './trainer.ts';
export { SaeEncoder, type TopKCodes } from './encoder.ts';
export { evaluateSae, type SaeEval } from './evaluate.ts';
export { saveSae, loadSae, SAETRACE_VERSION, type SaeRecord } from './io.ts';
export { saeBench, type SaeBenchRow } from './bench.ts';
