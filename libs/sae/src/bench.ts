import { join } from 'node:path';
import { engineGemm, runRng, Session, timeIt, writeFileAtomic, type HostTensor, type Timing } from '@saetrace/engine';
import { buildSaeStep, SAE_PARAMS, saeParamShapes, type StepVariant } from './step-graph.ts';

export interface SaeBenchRow {
  readonly B: number; readonly d: number; readonly n: number; readonly k: number;
  readonly gemmMs: number; readonly sparseMs: number; readonly denseMs: number;
  /** Full sparse step over the dense encoder product (target <= 2). */
  readonly stepOverGemm: number;
  /** Dense-decoder step over the sparse step (target >= 3). */
  readonly speedupOverDense: number;
  readonly sparse: Timing; readonly dense: Timing;
}

async function stepTiming(B: number, d: number, n: number, k: number, variant: StepVariant, threads: number, iters: number): Promise<Timing> {
  const s = await Session.create(buildSaeStep({ d, n, k, batch: B, variant, mode: 'train' }), { threads });
  const rng = runRng(0).stream(`sae-bench-${d}-${n}`);
  const shapes = saeParamShapes(d, n);
  const x = rng.normalArray(B * d);
  for (let r = 0; r < B; r++) {
    let q = 0; for (let i = 0; i < d; i++) q += (x[r * d + i] as number) ** 2;
    for (let i = 0; i < d; i++) x[r * d + i] = (x[r * d + i] as number) / Math.sqrt(q);
  }
  const feeds: Record<string, HostTensor> = { x: { dtype: 'float32', shape: [B, d], data: x }, lr: { dtype: 'float32', shape: [], data: Float32Array.of(1e-3) }, t: { dtype: 'float32', shape: [], data: Float32Array.of(1) } };
  for (const p of SAE_PARAMS) {
    const size = shapes[p].reduce((a, b) => a * b, 1);
    feeds[p] = { dtype: 'float32', shape: shapes[p], data: rng.normalArray(size, p.startsWith('W') ? 1 / Math.sqrt(d) : 0.01) };
    feeds[`m_${p}`] = { dtype: 'float32', shape: shapes[p], data: new Float32Array(size) };
    feeds[`v_${p}`] = { dtype: 'float32', shape: shapes[p], data: new Float32Array(size) };
  }
  const t = await timeIt(() => s.run(feeds), { warmup: 2, iters });
  await s.release();
  return t;
}

/** `saetrace bench sae`: one full training step (sparse and dense-decoder) beside the dense encoder GEMM, same run. */
export async function saeBench(options: { threads: number; quick: boolean; reportDir?: string }): Promise<{ name: 'sae'; json: { threads: number; rows: SaeBenchRow[] }; report: string; targetsMet: boolean }> {
  const iters = options.quick ? 3 : 8;
  const shapes: [number, number, number, number][] = [[4096, 512, 4096, 32], [4096, 128, 4096, 8]];
  const rows: SaeBenchRow[] = [];
  for (const [B, d, n, k] of shapes) {
    const gemm = await engineGemm(B, d, n, options.threads, iters);
    const sparse = await stepTiming(B, d, n, k, 'sparse', options.threads, iters);
    const dense = await stepTiming(B, d, n, k, 'dense', options.threads, iters);
    rows.push({ B, d, n, k, gemmMs: gemm.timing.medianMs, sparseMs: sparse.medianMs, denseMs: dense.medianMs, stepOverGemm: sparse.medianMs / gemm.timing.medianMs, speedupOverDense: dense.medianMs / sparse.medianMs, sparse, dense });
  }
  const targetsMet = rows.every((r) => r.stepOverGemm <= 2 && r.speedupOverDense >= 3);
  const md = [
    '# SAE benchmark: one TopK SAE training step', '',
    `Threads: ${options.threads}. Median of ${iters} runs after 2 warm-ups, all measured in the same process.`,
    'A step is forward, backward, Adam on all four parameters and decoder renormalisation, in one onnxruntime run.', '',
    '## Floor and expectation',
    '- The dense encoder product (x - b_dec) W_enc^T is 2*B*d*n FLOPs (17.2 GFLOP at B=4096, d=512, n=4096) and cannot be avoided.',
    '- The sparse step adds, per token, k gathered decoder rows (B*k*d floats: 268 MB at B=4096, d=512, k=32), two outer-product',
    '  tensors of B*k*d entries (the decoder and encoder weight gradients) and their scatter-adds into [n, d]: about 1 GB of memory',
    '  traffic that does almost no arithmetic (4*B*k*d = 268 MFLOP), plus Adam over 2*n*d+n+d parameters (about 14 elementwise',
    '  passes over 16.8 MB) and the copies of parameters and both moments in and out of the run (about 200 MB).',
    '- The b_dec gradient needs the sum over tokens of the encoder input gradient; it is (d loss/d b_enc) W_enc, one matvec, so the',
    '  encoder rows are never gathered.',
    '- The dense-decoder reference adds four more dense [B x n x d] products (decoder, its input gradient, both weight gradients).',
    '- Expectation on this 2-core machine (assuming about 10 GB/s of effective memory bandwidth, not measured here): the sparse step costs the',
    '  GEMM plus 100-200 ms of memory-bound work at d=512 (1.7-2.4x the GEMM), and less at d=128, k=8 where B*k*d is 16x',
    '  smaller; the dense step about 4-5x the GEMM. At d=512, k=32 the 3x target against the dense step is therefore at the edge of',
    '  what memory traffic allows here; at d=128, k=8 both targets should hold.', '',
    '| B | d | n | k | encoder GEMM ms | sparse step ms | dense-decoder step ms | step / GEMM (target <= 2) | dense / sparse (target >= 3) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.B} | ${r.d} | ${r.n} | ${r.k} | ${r.gemmMs.toFixed(1)} | ${r.sparseMs.toFixed(1)} | ${r.denseMs.toFixed(1)} | ${r.stepOverGemm.toFixed(2)} | ${r.speedupOverDense.toFixed(2)} |`),
    '', `Targets met: ${targetsMet ? 'yes' : 'no'}.`, '',
  ].join('\n');
  const report = join(options.reportDir ?? 'reports/bench', 'sae.md');
  await writeFileAtomic(report, md);
  return { name: 'sae', json: { threads: options.threads, rows }, report, targetsMet };
}
