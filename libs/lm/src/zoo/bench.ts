import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRng, writeFileAtomic } from '@saetrace/engine';
import { engineGemm, numpyGemmGflops } from '@saetrace/engine/bench';
import { LlamaModel } from '../llama/model.ts';
import { initLlamaWeights } from '../llama/weights.ts';
import { FAMILY_PROFILES, flopParams } from './family.ts';
import { memberConfig, trainFlopsPerToken, trainMember } from './train.ts';

export interface LmBenchRow {
  readonly size: string;
  readonly forwardTokensPerSecond: number;
  readonly trainTokensPerSecond: number;
  readonly trainGflops: number;
  /** Training model FLOP/s over the GEMM reference's (target >= 0.35). */
  readonly utilisation: number;
}

/** `saetrace bench lm`: forward and training throughput per default-family size, utilisation against GEMM measured in the same run. */
export async function lmBench(options: { threads: number; quick: boolean; reportDir?: string }): Promise<{
  name: 'lm';
  json: { threads: number; reference: string; referenceGflops: number; rows: LmBenchRow[] };
  report: string;
  targetsMet: boolean;
}> {
  const p = FAMILY_PROFILES.default;
  const ref = numpyGemmGflops([[4096, 512, 4096]], options.threads, 5);
  const refG =
    'gflops' in ref ? (ref.gflops[0] as number) : (await engineGemm(4096, 512, 4096, options.threads, 5)).gflops;
  const reference =
    'gflops' in ref
      ? `numpy ${ref.version} sgemm [4096x512]x[512x4096]`
      : `engine GEMM (numpy missing: ${ref.missing})`;
  const rows: LmBenchRow[] = [];
  const T = p.seqLen - 1;
  for (const m of p.members) {
    const c = memberConfig(p, m, p.vocabSize);
    const model = new LlamaModel(c, initLlamaWeights(c, runRng(0).stream(m.size)), null, m.size, {
      threads: options.threads,
    });
    const B = 8;
    const tokens = Int32Array.from({ length: B * T }, (_, i) => 3 + ((i * 7919) % (p.vocabSize - 3)));
    await model.logitsWithDelta(tokens, B, T, 0, null);
    const reps = options.quick ? 2 : 5;
    const f0 = performance.now();
    for (let r = 0; r < reps; r++) await model.logitsWithDelta(tokens, B, T, 0, null);
    const forward = (reps * B * T) / ((performance.now() - f0) / 1000);
    await model.release();
    const count = 64;
    const windows = Int32Array.from({ length: count * p.seqLen }, (_, i) => 3 + ((i * 104729) % (p.vocabSize - 3)));
    const times: number[] = [];
    const out = mkdtempSync(join(tmpdir(), 'lm-bench-'));
    const steps = options.quick ? 5 : 10;
    await trainMember({
      profile: { ...p, checkpoints: 2 },
      member: { ...m, steps },
      data: { windows, count, seqLen: p.seqLen, documents: count, bilingualDocuments: 0, key: 'bench' },
      vocabSize: p.vocabSize,
      outDir: out,
      threads: options.threads,
      onProgress: () => times.push(performance.now()),
    });
    rmSync(out, { recursive: true, force: true });
    // Steady state: skip the first two steps (graph optimisation, first allocations).
    const dt = ((times.at(-1) as number) - (times[1] as number)) / (times.length - 2) / 1000;
    const train = (p.batch * T) / dt;
    const gflops = (train * trainFlopsPerToken(p, m, p.vocabSize)) / 1e9;
    rows.push({
      size: m.size,
      forwardTokensPerSecond: forward,
      trainTokensPerSecond: train,
      trainGflops: gflops,
      utilisation: gflops / refG,
    });
  }
  const targetsMet = rows.every((r) => r.utilisation >= 0.35);
  const md = [
    '# LM benchmark: the default family',
    '',
    `Threads: ${options.threads}. Reference: ${reference} at ${refG.toFixed(1)} GFLOP/s, measured in the same run.`,
    `Training FLOPs per token: 6 x (matrix parameters + LM head) + 6 x layers x T x d (attention), T = ${T}; batch ${p.batch} windows.`,
    'Utilisation = training model FLOP/s / reference GEMM FLOP/s (target >= 0.35). Forward: batch 8, logits for every position.',
    '',
    '| size | params (matrix + head) | forward tokens/s | training tokens/s | training GFLOP/s | utilisation |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const m = p.members.find((x) => x.size === r.size)!;
      return `| ${r.size} | ${(flopParams(m, p.vocabSize) / 1e6).toFixed(2)}M | ${r.forwardTokensPerSecond.toFixed(0)} | ${r.trainTokensPerSecond.toFixed(0)} | ${r.trainGflops.toFixed(1)} | ${(r.utilisation * 100).toFixed(0)}% |`;
    }),
    '',
    `Targets met (every size): ${targetsMet ? 'yes' : 'no'}.`,
    '',
  ].join('\n');
  const report = join(options.reportDir ?? 'reports/bench', 'lm.md');
  await writeFileAtomic(report, md);
  return { name: 'lm', json: { threads: options.threads, reference, referenceGflops: refG, rows }, report, targetsMet };
}
