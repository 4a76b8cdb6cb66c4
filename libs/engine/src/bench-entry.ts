// The benchmarks of @saetrace/engine, apart from its public index so the library's API is its computation
// (`npm run bench`, tools/cli/src/bench/registry.ts, imports them as @saetrace/engine/bench).
export {
  engineBench,
  engineGemm,
  GEMM_SHAPES,
  ENGINE_TARGET_RATIO,
  type EngineBenchResult,
  type GemmRow,
} from './bench/engine-bench.ts';
export { timeIt, type Timing } from './bench/timing.ts';
export { numpyGemmGflops } from './bench/numpy-reference.ts';
