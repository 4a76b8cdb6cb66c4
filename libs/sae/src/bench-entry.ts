// The benchmarks of @saetrace/sae, apart from its public index so the library's API is its computation
// (`npm run bench`, tools/cli/src/bench/registry.ts, imports them as @saetrace/sae/bench).
export { saeBench, type SaeBenchRow } from './bench.ts';
