import { join } from 'node:path';
import { Graph } from '../graph/graph.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { runRng } from '../rng/rng.ts';
import { Session } from '../runtime/session.ts';
import { numpyGemmGflops } from './numpy-reference.ts';
import { timeIt, type Timing } from './timing.ts';

export const GEMM_SHAPES: readonly (readonly [number, number, number])[] = [
  [4096, 512, 4096],
  [2048, 256, 1024],
];
/** The target: the engine at >= 60% of the reference's GFLOP/s. */
export const ENGINE_TARGET_RATIO = 0.6;

export interface GemmRow {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly engineGflops: number;
  readonly engineTiming: Timing;
  readonly referenceGflops: number | null;
  readonly ratio: number | null;
}

/** GFLOP/s of one [m,k]x[k,n] MatMul through the engine (both operands fed per run, as training does). */
export async function engineGemm(
  m: number,
  k: number,
  n: number,
  threads: number,
  iters: number,
): Promise<{ gflops: number; timing: Timing }> {
  const g = new Graph('gemm');
  const a = g.input('a', 'float32', [m, k]);
  const b = g.input('b', 'float32', [k, n]);
  g.output(g.op1('MatMul', [a, b]), 'c');
  const s = await Session.create(g, { threads });
  const rng = runRng(0).stream('bench-gemm');
  const feeds = {
    a: { dtype: 'float32' as const, shape: [m, k], data: rng.normalArray(m * k) },
    b: { dtype: 'float32' as const, shape: [k, n], data: rng.normalArray(k * n) },
  };
  const timing = await timeIt(() => s.run(feeds), { warmup: 5, iters });
  await s.release();
  return { gflops: (2 * m * k * n) / timing.medianMs / 1e6, timing };
}

export interface EngineBenchResult {
  readonly name: 'engine';
  readonly json: { threads: number; reference: string; rows: GemmRow[]; targetRatio: number };
  readonly report: string;
  readonly targetsMet: boolean;
}

/** `saetrace bench engine`: engine GEMM beside numpy's in the same run; writes reports/bench/engine.md. */
export async function engineBench(options: {
  threads: number;
  quick: boolean;
  reportDir?: string;
}): Promise<EngineBenchResult> {
  const iters = options.quick ? 3 : 20;
  const ref = numpyGemmGflops(GEMM_SHAPES, options.threads, iters);
  const rows: GemmRow[] = [];
  for (const [m, k, n] of GEMM_SHAPES) {
    const e = await engineGemm(m, k, n, options.threads, iters);
    const refG = 'gflops' in ref ? (ref.gflops[rows.length] ?? null) : null;
    rows.push({
      m,
      k,
      n,
      engineGflops: e.gflops,
      engineTiming: e.timing,
      referenceGflops: refG,
      ratio: refG ? e.gflops / refG : null,
    });
  }
  const reference = 'gflops' in ref ? `numpy ${ref.version} (OpenBLAS sgemm) via python3` : `missing: ${ref.missing}`;
  const targetsMet = rows.every((r) => r.ratio !== null && r.ratio >= ENGINE_TARGET_RATIO);
  const fmt = (x: number | null, d = 1) => (x === null ? 'missing' : x.toFixed(d));
  const md = [
    '# Engine benchmark: fp32 GEMM',
    '',
    `Threads: ${options.threads}. Reference: ${reference}, measured in the same run. Median of ${iters} runs after 5 warm-ups (the reference gets the same).`,
    `Target: engine >= ${ENGINE_TARGET_RATIO * 100}% of the reference. Floor: 2*m*k*n FLOPs per product; both operands are fed each run, as in training.`,
    '',
    '| shape | engine GFLOP/s | reference GFLOP/s | ratio | engine median ms | rel. MAD |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| [${r.m}x${r.k}]x[${r.k}x${r.n}] | ${fmt(r.engineGflops)} | ${fmt(r.referenceGflops)} | ${fmt(r.ratio, 2)} | ${r.engineTiming.medianMs.toFixed(2)} | ${(r.engineTiming.relMad * 100).toFixed(1)}% |`,
    ),
    '',
    `Targets met: ${targetsMet ? 'yes' : 'no'}. Measured ${new Date().toISOString().slice(0, 10)} on ${process.platform}/${process.arch}, Node ${process.version}.`,
    '',
  ].join('\n');
  const report = join(options.reportDir ?? 'reports/bench', 'engine.md');
  await writeFileAtomic(report, md);
  return {
    name: 'engine',
    json: { threads: options.threads, reference, rows, targetRatio: ENGINE_TARGET_RATIO },
    report,
    targetsMet,
  };
}
