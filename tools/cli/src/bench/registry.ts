// Benchmarks reachable through `saetrace bench <name>`: one entry per lib, added as each lands.
import { activationsBench } from '@saetrace/activations/bench';
import { engineBench } from '@saetrace/engine/bench';
import { lmBench } from '@saetrace/lm/bench';
import { SaeEncoder, initSae } from '@saetrace/sae';
import { saeBench } from '@saetrace/sae/bench';
import { metricsBench } from '@saetrace/metrics/bench';
import { interventionBench } from '@saetrace/intervention/bench';
import { checkpointBench } from './checkpoint.ts';

/** What every benchmark returns: a JSON-able record and the markdown it wrote under reports/bench/. */
export interface BenchOutcome {
  readonly name: string;
  readonly json: Readonly<Record<string, unknown>>;
  /** Path of the markdown report written, relative to the repo root. */
  readonly report: string;
  /** True when every target the issue sets was met in this run. */
  readonly targetsMet: boolean;
}

export interface BenchEntry {
  readonly summary: string;
  run(options: { readonly threads: number; readonly quick: boolean }): Promise<BenchOutcome>;
}

export const benches: Readonly<Record<string, BenchEntry>> = {
  engine: {
    summary: 'GEMM GFLOP/s through onnxruntime vs numpy (OpenBLAS) in the same run',
    run: (o) => engineBench(o),
  },
  lm: {
    summary: 'forward and training tokens/s per default-family size, utilisation against GEMM',
    run: (o) => lmBench(o),
  },
  sae: {
    summary: 'one TopK SAE training step vs the dense encoder GEMM and vs a dense-decoder step',
    run: (o) => saeBench(o),
  },
  metrics: {
    summary: 'both feature-analysis passes over 1M tokens (n=4096, d=128) with a real TopK encoder',
    run: async (o) => {
      const d = 128,
        n = 4096,
        k = 32;
      const enc = await SaeEncoder.create(initSae(d, n, 0, new Float32Array(d).fill(0), 1), d, n, k, {
        threads: o.threads,
      });
      try {
        return await metricsBench({
          encoder: enc,
          tokens: o.quick ? 131072 : 1_000_000,
          vocab: 8192,
          quick: o.quick,
          threads: o.threads,
        });
      } finally {
        await enc.release();
      }
    },
  },
  intervention: {
    summary: 'perplexity, shared codes and batched decoding of the intervention vs the ways they replaced',
    run: (o) => interventionBench(o),
  },
  checkpoint: {
    summary:
      'an LLM-jp-3-1.8b-shaped random checkpoint (bf16 shards): load time, all-site taps tokens/s, peak RSS vs f32 weights',
    run: (o) => checkpointBench(o),
  },
  activations: {
    summary: 'activation store throughput (extract, shuffled read; model cost excluded)',
    run: (o) => activationsBench(o),
  },
};
