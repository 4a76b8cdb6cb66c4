// The benchmarks of @saetrace/lm, apart from its public index so the library's API is its computation
// (`npm run bench`, tools/cli/src/bench/registry.ts, imports them as @saetrace/lm/bench).
export { lmBench, type LmBenchRow } from './zoo/bench.ts';
