import os from 'node:os';
import { join } from 'node:path';
import { runRng, Session, writeFileAtomic, type HostTensor } from '@saetrace/engine';
import { engineGemm, timeIt, type Timing } from '@saetrace/engine/bench';
import { buildSaeStep, SAE_PARAMS, saeParamShapes, type StepVariant } from './step-graph.ts';
import { FusedSaeStep } from './fused-step.ts';
import type { SaeParams } from './init.ts';
import { nativeStepAvailable } from './native-kernel.ts';

export interface SaeBenchRow {
  readonly B: number;
  readonly d: number;
  readonly n: number;
  readonly k: number;
  readonly gemmMs: number;
  /** The sparse step as one onnxruntime graph. */
  readonly sparseMs: number;
  /** The fused step (onnxruntime encoder + native kernel); null where the kernel is not built. */
  readonly fusedMs: number | null;
  readonly denseMs: number;
  /** The step the trainer runs ('native' when built, else 'onnx'). */
  readonly kernel: 'native' | 'onnx';
  /** The trainer's step over the dense encoder product (target <= 2). */
  readonly stepOverGemm: number;
  /** Dense-decoder step over the trainer's step (target >= 3). */
  readonly speedupOverDense: number;
  readonly sparse: Timing;
  readonly fused: Timing | null;
  readonly dense: Timing;
}

/** The same unit-norm batch and starting parameters for every variant of one shape. */
function benchProblem(
  B: number,
  d: number,
  n: number,
): { x: Float32Array; params: SaeParams; m: SaeParams; v: SaeParams } {
  const rng = runRng(0).stream(`sae-bench-${d}-${n}`);
  const shapes = saeParamShapes(d, n);
  const x = rng.normalArray(B * d);
  for (let r = 0; r < B; r++) {
    let q = 0;
    for (let i = 0; i < d; i++) q += (x[r * d + i] as number) ** 2;
    for (let i = 0; i < d; i++) x[r * d + i] = (x[r * d + i] as number) / Math.sqrt(q);
  }
  const params = {} as SaeParams;
  const m = {} as SaeParams;
  const v = {} as SaeParams;
  for (const p of SAE_PARAMS) {
    const size = shapes[p].reduce((a, b) => a * b, 1);
    params[p] = rng.normalArray(size, p.startsWith('W') ? 1 / Math.sqrt(d) : 0.01);
    m[p] = new Float32Array(size);
    v[p] = new Float32Array(size);
  }
  return { x, params, m, v };
}

async function stepTiming(
  B: number,
  d: number,
  n: number,
  k: number,
  variant: StepVariant,
  threads: number,
  iters: number,
): Promise<Timing> {
  const s = await Session.create(buildSaeStep({ d, n, k, batch: B, variant, mode: 'train' }), { threads });
  const { x, params, m, v } = benchProblem(B, d, n);
  const shapes = saeParamShapes(d, n);
  const feeds: Record<string, HostTensor> = {
    x: { dtype: 'float32', shape: [B, d], data: x },
    lr: { dtype: 'float32', shape: [], data: Float32Array.of(1e-3) },
    t: { dtype: 'float32', shape: [], data: Float32Array.of(1) },
  };
  for (const p of SAE_PARAMS) {
    feeds[p] = { dtype: 'float32', shape: shapes[p], data: params[p] };
    feeds[`m_${p}`] = { dtype: 'float32', shape: shapes[p], data: m[p] };
    feeds[`v_${p}`] = { dtype: 'float32', shape: shapes[p], data: v[p] };
  }
  const t = await timeIt(() => s.run(feeds), { warmup: 2, iters });
  await s.release();
  return t;
}

/** The fused step updates in place, so every timed run starts from the state the previous one left (as in training). */
async function fusedTiming(
  B: number,
  d: number,
  n: number,
  k: number,
  threads: number,
  iters: number,
): Promise<Timing> {
  const s = await FusedSaeStep.create({ d, n, k, batch: B }, { threads });
  const { x, params, m, v } = benchProblem(B, d, n);
  let t = 0;
  const timing = await timeIt(() => s.run(x, params, m, v, 1e-3, ++t), { warmup: 2, iters });
  await s.release();
  return timing;
}

/** `saetrace bench sae`: one full training step (sparse and dense-decoder) beside the dense encoder GEMM, same run. */
export async function saeBench(options: {
  threads: number;
  quick: boolean;
  reportDir?: string;
}): Promise<{ name: 'sae'; json: { threads: number; rows: SaeBenchRow[] }; report: string; targetsMet: boolean }> {
  const iters = options.quick ? 3 : 8;
  const shapes: [number, number, number, number][] = [
    [4096, 512, 4096, 32],
    [4096, 128, 4096, 8],
  ];
  const rows: SaeBenchRow[] = [];
  for (const [B, d, n, k] of shapes) {
    const gemm = await engineGemm(B, d, n, options.threads, iters);
    const sparse = await stepTiming(B, d, n, k, 'sparse', options.threads, iters);
    const fused = nativeStepAvailable() ? await fusedTiming(B, d, n, k, options.threads, iters) : null;
    const dense = await stepTiming(B, d, n, k, 'dense', options.threads, iters);
    const used = fused ?? sparse;
    rows.push({
      B,
      d,
      n,
      k,
      gemmMs: gemm.timing.medianMs,
      sparseMs: sparse.medianMs,
      fusedMs: fused?.medianMs ?? null,
      denseMs: dense.medianMs,
      kernel: fused ? 'native' : 'onnx',
      stepOverGemm: used.medianMs / gemm.timing.medianMs,
      speedupOverDense: dense.medianMs / used.medianMs,
      sparse,
      fused,
      dense,
    });
  }
  const targetsMet = rows.every((r) => r.stepOverGemm <= 2 && r.speedupOverDense >= 3);
  const md = [
    '# SAE benchmark: one TopK SAE training step',
    '',
    `Threads: ${options.threads}. Median of ${iters} runs after 2 warm-ups, all measured in the same process. Load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}.`,
    'A step is forward, backward, Adam on all four parameters and decoder renormalisation. Three implementations of the same maths:',
    'the sparse step as one onnxruntime graph (Gather / ScatterND through the k active rows), the fused step (onnxruntime runs the',
    'encoder product and TopK, the native kernel `libs/sae/native/sae_step.c` the rest), and the dense-decoder reference graph.',
    'The targets apply to the step the trainer runs: the fused one where the kernel is built (`npm ci` builds it), else the graph.',
    '',
    '## Floor and expectation',
    '- The dense encoder product (x - b_dec) W_enc^T is 2*B*d*n FLOPs (17.2 GFLOP at B=4096, d=512, n=4096) and cannot be avoided;',
    '  TopK then reads its [B, n] output once (67 MB).',
    '- Everything else touches k rows per token: the decoder (B*k*d multiply-adds), the decoder-input gradient (B*k*d), and the',
    '  two weight gradients (2*B*k*d): 4*B*k*d = 268M multiply-adds at d=512, k=32, under 2 ms of arithmetic on two AVX cores.',
    '  Its floor is memory: each (token, latent) pair reads one decoder row and, in the backward pass, two token rows (the',
    '  upstream gradient and x - b_dec): 3*B*k*d*4 bytes = 805 MB at d=512, mostly from L2/L3 since the [n, d] and [B, d]',
    '  matrices are 8 MB each. Adam and the renormalisation pass over 2*n*d parameters with both moments: about 100 MB.',
    '- The graph version materialises [B, k, d] tensors for that work (the gathered rows, two outer products and their',
    '  ScatterND reads): about 1.6 GB through DRAM. The fused kernel sorts the (token, slot) entries by latent (counting sort,',
    "  stable) and sums each latent's row gradients in an L1-resident accumulator, then updates that row with Adam in place,",
    '  so no [B, k, d] or [n, d] gradient is ever stored; every reduction runs over fixed chunks, so the bytes do not depend on',
    '  the thread count.',
    '- The dense-decoder reference adds four more dense [B x n x d] products (decoder, its input gradient, both weight gradients).',
    '- Expectation: the fused step costs the encoder product plus TopK plus 40-60 ms at d=512 (about 1.5x the GEMM) and',
    '  little more than the GEMM at d=128, k=8; the dense step 4-5x the GEMM, so 3x over the dense step should hold at both sizes.',
    '',
    "| B | d | n | k | encoder GEMM ms | sparse graph step ms | fused step ms | dense-decoder step ms | trainer's step | step / GEMM (target <= 2) | dense / step (target >= 3) |",
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.B} | ${r.d} | ${r.n} | ${r.k} | ${r.gemmMs.toFixed(1)} | ${r.sparseMs.toFixed(1)} | ${r.fusedMs === null ? 'not built' : r.fusedMs.toFixed(1)} | ${r.denseMs.toFixed(1)} | ${r.kernel} | ${r.stepOverGemm.toFixed(2)} | ${r.speedupOverDense.toFixed(2)} |`,
    ),
    '',
    `Targets met: ${targetsMet ? 'yes' : 'no'}.`,
    '',
  ].join('\n');
  const report = join(options.reportDir ?? 'reports/bench', 'sae.md');
  await writeFileAtomic(report, md);
  return { name: 'sae', json: { threads: options.threads, rows }, report, targetsMet };
}
