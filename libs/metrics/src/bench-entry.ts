// The benchmarks of @saetrace/metrics, apart from its public index so the library's API is its computation
// (`npm run bench`, tools/cli/src/bench/registry.ts, imports them as @saetrace/metrics/bench).
export { metricsBench } from './bench.ts';
