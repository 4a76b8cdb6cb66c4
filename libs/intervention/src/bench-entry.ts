// The benchmarks of @saetrace/intervention, apart from its public index so the library's API is its computation
// (`npm run bench`, tools/cli/src/bench/registry.ts, imports them as @saetrace/intervention/bench).
export { largestMemberSetup, type InterventionBenchSetup } from './bench-setup.ts';
export { interventionBench, type InterventionBenchRow } from './bench.ts';
