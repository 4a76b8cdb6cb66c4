// The cost of one plan job: FLOPs and bytes from the model of tools/harness/src/dry-run.ts (the same per-job
// functions its stages multiply), seconds from throughput measured by earlier runs (stage-calibrate.ts), peak
// memory estimated from the buffers the code holds, GPU seconds from FLOPs on each dry-run GPU class.
import type { FamilyManifest, FamilyProfile, LlamaConfig } from '@saetrace/lm';
import { flopParams, trainFlopsPerToken } from '@saetrace/lm';
import { type Device, extractWork, GPU_CLASSES, llamaParams, metricsWork, saeWork, storeRows } from './dry-run.ts';
import type { ProfileSpec } from './spec.ts';

export interface JobCost {
  readonly flops: number;
  /** Seconds of one task at the calibration's threads on the calibration's CPU (`Rates`). */
  readonly cpuSeconds: number;
  /** Estimated peak resident bytes: the buffers the code holds (see the functions below), not a measurement. */
  readonly peakBytes: number;
  /** Seconds on each GPU class from FLOPs alone (dry-run.ts GPU_CLASSES: data-sheet peak x assumed utilisation). */
  readonly gpuSeconds?: Readonly<Record<string, number>>;
}

/** The measured stage whose throughput times a job (family jobs carry their own measured seconds). */
export type RateKind = 'extract' | 'sae' | 'metrics';

export interface StageRate {
  readonly flopsPerSecond: number;
  /** Where it was measured: a provenance file, or the fallback's source. */
  readonly source: string;
}

/** Throughput per stage kind on one CPU at one thread count. */
export interface Rates {
  readonly cpu: string;
  readonly threads: number;
  readonly stages: Readonly<Record<RateKind, StageRate>>;
}

/** What a job computes, known from shapes alone. `seconds` is set where it was measured (a trained family). */
export interface JobWorkEstimate {
  readonly rate: RateKind;
  readonly flops: number;
  readonly peakBytes: number;
  readonly seconds?: number;
}

/** The shapes a feature-dynamics job's cost depends on. */
export interface CostShape {
  readonly p: ProfileSpec;
  readonly config: LlamaConfig;
  readonly langs: number;
}

const F32 = 4;
const F16 = 2;
// libs/activations/src/extract.ts: 32 windows per forward batch (batchDocs), 65 positions (BOS + 64), and a shard
// of at most 64 MiB of float16 per layer, buffered as float32 until it is written.
const EXTRACT_BATCH_DOCS = 32;
const SEQ = 65;
const SHARD_BYTES_F16 = 64 * 2 ** 20;
// The metric passes read the eval store 4096 rows at a time (kinds/feature-dynamics.ts analyseCheckpoint).
const METRIC_BATCH_ROWS = 4096;

/**
 * An extract job's peak: the model's float32 weights, one forward batch's working set (every stored layer's
 * output, the MLP's three ffn-wide products, one head's attention scores at a time is the minimum; all heads are
 * counted), and a float32 shard buffer per stored layer, as extract.ts holds them.
 */
export function extractPeakBytes(s: CostShape, layers: number): number {
  const c = s.config;
  const d = c.hiddenSize;
  const rows = storeRows(s.p, s.langs);
  const shardRows = Math.min(rows.train, Math.floor(SHARD_BYTES_F16 / (64 * d * F16)) * 64);
  const positions = EXTRACT_BATCH_DOCS * SEQ;
  const forward = positions * (d * (layers + 2) + 3 * c.intermediateSize) + EXTRACT_BATCH_DOCS * c.numHeads * SEQ * SEQ;
  return F32 * llamaParams(c) + F32 * forward + layers * shardRows * d * (F32 + F16);
}

/** SAE parameters: encoder and decoder (d x n each) and their biases. */
function saeParams(d: number, n: number): number {
  return 2 * d * n + n + d;
}

/**
 * An SAE job's peak: parameters, gradients and both Adam moments in float32, one batch's input and dense
 * pre-activations with their gradients, and the train store, which it keeps in memory once read (float16;
 * ActivationStore retainShards, kinds/feature-dynamics.ts analyseCheckpoint).
 */
export function saePeakBytes(s: CostShape): number {
  const d = s.config.hiddenSize;
  const { n, batchSize } = s.p.sae;
  return 4 * F32 * saeParams(d, n) + 2 * F32 * batchSize * (d + n) + storeRows(s.p, s.langs).train * d * F16;
}

/** A report job's peak: one SAE at a time, its eval store kept in memory, a 4096-row batch of its features. */
export function reportPeakBytes(s: CostShape): number {
  const d = s.config.hiddenSize;
  const { n } = s.p.sae;
  return F32 * saeParams(d, n) + storeRows(s.p, s.langs).eval * d * F16 + F32 * METRIC_BATCH_ROWS * (d + n);
}

export function extractJob(s: CostShape, layers: number): JobWorkEstimate {
  return {
    rate: 'extract',
    flops: extractWork(s.p, s.config, layers, s.langs).flops,
    peakBytes: extractPeakBytes(s, layers),
  };
}

export function saeJob(s: CostShape): JobWorkEstimate {
  return { rate: 'sae', flops: saeWork(s.p, s.config.hiddenSize, s.langs).flops, peakBytes: saePeakBytes(s) };
}

/** The report job measures each of its SAEs (three passes over the eval store), one after another. */
export function reportJob(s: CostShape, saes: number): JobWorkEstimate {
  return {
    rate: 'metrics',
    flops: saes * metricsWork(s.p, s.config.hiddenSize, s.langs).flops,
    peakBytes: reportPeakBytes(s),
  };
}

/**
 * The family job trains the profile's whole family, one member after another. A trained family's manifest holds
 * each member's measured training seconds and FLOP/s; without one, FLOPs are libs/lm's trainFlopsPerToken
 * (6 x params per token plus attention) over its steps x batch x seqLen tokens, timed at the extraction rate.
 * Peak: the largest member's weights, gradients and Adam moments (float32) and its batch's activations.
 */
export function familyJob(profile: FamilyProfile, manifest: FamilyManifest | null): JobWorkEstimate {
  const tokens = profile.batch * profile.seqLen;
  const peak = Math.max(
    ...profile.members.map((m) => {
      const params = flopParams(m, profile.vocabSize) + m.hiddenSize * profile.vocabSize;
      const perToken = m.layers * (12 * m.hiddenSize + 3 * m.intermediateSize + m.heads * profile.seqLen);
      return 4 * F32 * params + F32 * tokens * (perToken + 2 * profile.vocabSize);
    }),
  );
  if (manifest) {
    const seconds = manifest.members.reduce((a, m) => a + m.trainSeconds, 0);
    const flops = manifest.members.reduce((a, m) => a + m.trainSeconds * m.flopsPerSecond, 0);
    return { rate: 'extract', flops, peakBytes: peak, seconds };
  }
  const flops = profile.members.reduce(
    (a, m) => a + trainFlopsPerToken(profile, m, profile.vocabSize) * m.steps * tokens,
    0,
  );
  return { rate: 'extract', flops, peakBytes: peak };
}

/** GPU seconds of `flops` on each class: FLOPs over peak x utilisation (dry-run.ts). */
export function gpuSeconds(flops: number, gpus: readonly Device[] = GPU_CLASSES): Record<string, number> {
  return Object.fromEntries(gpus.map((g) => [g.name, flops / (g.peakFlops * g.utilisation)]));
}

/** A job's cost: measured seconds where the work was timed itself, else its FLOPs at the measured rate. */
export function costOf(w: JobWorkEstimate, rates: Rates, gpus: readonly Device[] = GPU_CLASSES): JobCost {
  const rate = rates.stages[w.rate].flopsPerSecond;
  if (!(rate > 0)) throw new RangeError(`no positive ${w.rate} rate (${rates.stages[w.rate].source})`);
  return {
    flops: w.flops,
    cpuSeconds: w.seconds ?? w.flops / rate,
    peakBytes: w.peakBytes,
    gpuSeconds: gpuSeconds(w.flops, gpus),
  };
}
