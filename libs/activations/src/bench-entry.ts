// The benchmarks of @saetrace/activations, apart from its public index so the library's API is its computation
// (`npm run bench`, tools/cli/src/bench/registry.ts, imports them as @saetrace/activations/bench).
export { activationsBench, type ActivationsBenchResult, type ActivationsBenchRow } from './bench/activations-bench.ts';
