export * from './graph/types.ts';
export { Graph, type OpOptions } from './graph/graph.ts';
export { ShapeError } from './graph/shape-error.ts';
export { broadcastShapes, constInts, inferShapes, knownShapeOps } from './graph/shape-rules.ts';
export { toOnnx, OPSET, onnxElemType } from './graph/to-onnx.ts';
export { Session, ProviderUnavailableError, availableProviders, defaultThreads, type SessionOptions, type Provider, type HostTensor } from './runtime/session.ts';
export { writeFileAtomic, writeFileAtomicSync, writeJsonAtomic } from './io/atomic.ts';
export { Rng, runRng } from './rng/rng.ts';
