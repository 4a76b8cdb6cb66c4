export * from './graph/types.ts';
export { Graph, type OpOptions } from './graph/graph.ts';
export { ShapeError } from './graph/shape-error.ts';
export { broadcastShapes, constInts } from './graph/ops/shape-util.ts';
export {
  differentiableOps,
  inferShapes,
  isOpType,
  knownOps,
  type OpAttrs,
  type OpType,
} from './graph/ops/index.ts';
export type { ElemTypeCode, FloatAttr, GradRule, OpNode } from './graph/ops/op-def.ts';
export { toOnnx, OPSET, onnxElemType } from './graph/to-onnx.ts';
export {
  Session,
  ProviderUnavailableError,
  availableProviders,
  defaultThreads,
  ortLogSeverity,
  type SessionOptions,
  type Provider,
  type HostTensor,
} from './runtime/session.ts';
export {
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
  tempName,
  tempOwner,
  pidAlive,
  removeStaleTemps,
} from './io/atomic.ts';
export { withFileLock } from './io/lock.ts';
export {
  RecordError,
  readJsonRecord,
  readJsonRecordAsync,
  parseJsonRecord,
  fields,
  isNumber,
  isString,
  isArray,
  isObject,
  DELETE_CACHE,
  type RecordCheck,
} from './io/records.ts';
export { Rng, runRng } from './rng/rng.ts';
export * from './safetensors/index.ts';
export { gradients, type GradientOptions } from './autodiff/gradients.ts';
export { gradCheck, type GradCheckInput, type GradCheckResult } from './autodiff/grad-check.ts';
export * as nn from './ops/nn.ts';
export { crossEntropy, rmsNorm, silu } from './ops/nn.ts';
export { adamUpdate, ADAM_DEFAULTS, type AdamConfig, type AdamUpdate } from './optim/adam.ts';
export { warmupConstant, warmupCosine } from './optim/schedule.ts';
export { TrainStep, type ParamSpec, type DataInput, type LossBuilder, type TrainState } from './train/train-step.ts';
export { noProgress, type Progress, type ProgressStage, type StageOptions } from './progress.ts';
