import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, Session, warmupConstant, writeSafetensors, type HostTensor, type SessionOptions, type TensorData } from '@saetrace/engine';
import type { SaeConfig } from './config.ts';
import { initSae, roundToBf16, type SaeParams } from './init.ts';
import { SaeEncoder } from './encoder.ts';
import { evaluateSae, type SaeEval } from './evaluate.ts';
import { buildSaeStep, SAE_PARAMS, saeParamShapes, type StepVariant } from './step-graph.ts';

/** Batches of unit-normalised activations [rows*d]; the trainer takes exactly batchSize rows per step. */
export type ActivationBatches = AsyncIterable<Float32Array>;

export interface TrainLog { readonly step: number; readonly loss: number; readonly fvu: number; readonly auxLoss?: number }

/** Held-out metrics at a training step (MSE, FVU, L0, dead fraction on the validation set). */
export interface ValidationLog extends SaeEval { readonly step: number }

/** A validation set, re-read from the start at every evaluation. */
export interface Validation { readonly batches: () => AsyncIterable<Float32Array> | Iterable<Float32Array>; readonly every: number }

export interface SaeTrainResult {
  readonly params: SaeParams;
  readonly steps: number;
  readonly tokens: number;
  readonly log: readonly TrainLog[];
  /** Latents that never fired in the last `deadAfterTokens` training tokens, as a fraction of n. */
  readonly deadFraction: number;
  /** Training wall time, validation excluded. */
  readonly seconds: number;
  readonly resumedFrom: number;
  /** Validation metrics every `validation.every` steps and after the last step. */
  readonly validation: readonly ValidationLog[];
}

/** A non-finite input or loss; names the batch or step so the bad data can be found. */
export class SaeTrainingError extends Error {
  override readonly name = 'SaeTrainingError';
}

function checkFinite(x: Float32Array, d: number, where: string): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!Number.isFinite(v)) throw new SaeTrainingError(`${where}: value ${v} at element ${i} (row ${Math.floor(i / d)})`);
  }
}

/**
 * Trains a TopK SAE (SPEC section 3) over `steps` batches: b_dec from the first batch's geometric median,
 * Adam with linear warm-up then constant, decoder renormalised every step, one onnxruntime run per step.
 * With `checkpointDir`, the state is saved every `checkpointEvery` steps and an interrupted run resumes.
 * A non-finite loss stops training and keeps the last good checkpoint.
 */
export async function trainSae(options: {
  readonly config: SaeConfig; readonly batches: ActivationBatches; readonly steps: number;
  readonly variant?: StepVariant; readonly session?: SessionOptions; readonly checkpointDir?: string; readonly checkpointEvery?: number;
  readonly sourceName?: string; readonly onStep?: (log: TrainLog) => void; readonly validation?: Validation;
}): Promise<SaeTrainResult> {
  const c = options.config;
  const { d, n, k, batchSize: B } = c;
  const session = await Session.create(buildSaeStep({ d, n, k, batch: B, variant: options.variant ?? 'sparse', mode: 'train', ...(c.auxK.coef > 0 ? { auxK: c.auxK.k } : {}) }), options.session);
  const shapes = saeParamShapes(d, n);
  let params: SaeParams | null = null;
  let m = {} as SaeParams;
  let v = {} as SaeParams;
  const sinceFired = new Float64Array(n);
  let step = 0;
  let resumedFrom = 0;
  const log: TrainLog[] = [];
  const ckpt = options.checkpointDir;
  // One safetensors file holds parameters, both Adam moments, the dead-latent counters and (in its metadata)
  // the step and log, so a checkpoint is written atomically as a whole and can never mix two steps.
  const ckptFile = ckpt ? join(ckpt, 'checkpoint.safetensors') : null;
  if (ckptFile && existsSync(ckptFile)) {
    const { tensors, metadata } = await readSafetensors(ckptFile);
    const get = (key: string): Float32Array => {
      const t = tensors.get(key);
      if (!t) throw new SaeTrainingError(`${ckptFile}: tensor '${key}' is missing`);
      return t.data as Float32Array;
    };
    params = {} as SaeParams;
    for (const name of SAE_PARAMS) { params[name] = get(name); m[name] = get(`m.${name}`); v[name] = get(`v.${name}`); }
    sinceFired.set(get('since'));
    step = Number(metadata.step); resumedFrom = step;
    log.push(...(JSON.parse(metadata.log ?? '[]') as TrainLog[]));
  }
  let savedStep = resumedFrom;
  const save = async () => {
    if (!ckptFile || !params) return;
    const t: Record<string, TensorData> = { since: { dtype: 'float32', shape: [n], data: Float32Array.from(sinceFired) } };
    for (const name of SAE_PARAMS) {
      t[name] = { dtype: 'float32', shape: shapes[name], data: params[name] };
      t[`m.${name}`] = { dtype: 'float32', shape: shapes[name], data: m[name] };
      t[`v.${name}`] = { dtype: 'float32', shape: shapes[name], data: v[name] };
    }
    await writeSafetensors(ckptFile, t, { step: String(step), log: JSON.stringify(log) });
    savedStep = step;
  };
  const validation: ValidationLog[] = [];
  const validate = async (p: SaeParams) => {
    const val = options.validation;
    if (!val || validation.at(-1)?.step === step) return;
    const v0 = performance.now();
    const enc = await SaeEncoder.create(p, d, n, k, options.session);
    try {
      validation.push({ step, ...(await evaluateSae(enc, val.batches())) });
    } finally {
      await enc.release();
      validationMs += performance.now() - v0;
    }
  };
  let validationMs = 0;
  const t0 = performance.now();
  let batchIndex = 0;
  for await (const x of options.batches) {
    if (step >= options.steps) break;
    batchIndex++;
    // A resumed run skips the batches it already trained on, so it sees the same data in the same order.
    if (batchIndex <= resumedFrom) continue;
    if (x.length !== B * d) throw new SaeTrainingError(`${options.sourceName ?? 'activations'}: batch ${batchIndex} has ${x.length / d} rows, expected ${B}`);
    checkFinite(x, d, `${options.sourceName ?? 'activations'}: batch ${batchIndex}`);
    if (!params) {
      params = initSae(d, n, c.seed, x, B);
      for (const name of SAE_PARAMS) { m[name] = new Float32Array(params[name].length); v[name] = new Float32Array(params[name].length); }
    }
    const feeds: Record<string, HostTensor> = {
      x: { dtype: 'float32', shape: [B, d], data: x },
      lr: { dtype: 'float32', shape: [], data: Float32Array.of(warmupConstant(step + 1, c.lr, c.warmupSteps)) },
      t: { dtype: 'float32', shape: [], data: Float32Array.of(step + 1) },
    };
    if (c.auxK.coef > 0) {
      // Dead: no firing within the last deadAfterTokens tokens (none are dead before that many are seen).
      feeds.dead = { dtype: 'float32', shape: [n], data: Float32Array.from(sinceFired, (t) => (t >= c.auxK.deadAfterTokens ? 1 : 0)) };
      feeds.aux_coef = { dtype: 'float32', shape: [], data: Float32Array.of(c.auxK.coef) };
    }
    for (const name of SAE_PARAMS) {
      feeds[name] = { dtype: 'float32', shape: shapes[name], data: params[name] };
      feeds[`m_${name}`] = { dtype: 'float32', shape: shapes[name], data: m[name] };
      feeds[`v_${name}`] = { dtype: 'float32', shape: shapes[name], data: v[name] };
    }
    const out = await session.run(feeds);
    const loss = (out.loss?.data as Float32Array)[0] as number;
    const fvu = (out.fvu?.data as Float32Array)[0] as number;
    if (!Number.isFinite(loss)) {
      await session.release();
      throw new SaeTrainingError(`loss is ${loss} at step ${step + 1}; training stopped${ckpt ? (savedStep > 0 ? `, the last good checkpoint (step ${savedStep}) is kept in ${ckptFile}` : ', before any checkpoint was written') : ''}`);
    }
    const next = {} as SaeParams;
    for (const name of SAE_PARAMS) {
      next[name] = out[`new_${name}`]?.data as Float32Array;
      m[name] = out[`new_m_${name}`]?.data as Float32Array;
      v[name] = out[`new_v_${name}`]?.data as Float32Array;
      if (c.precision === 'bf16') roundToBf16(next[name]);
    }
    params = next;
    const idx = out.idx?.data as BigInt64Array;
    for (let j = 0; j < n; j++) sinceFired[j] = (sinceFired[j] as number) + B;
    for (let i = 0; i < idx.length; i++) sinceFired[Number(idx[i])] = 0;
    step++;
    const entry: TrainLog = out.aux_loss ? { step, loss, fvu, auxLoss: (out.aux_loss.data as Float32Array)[0] as number } : { step, loss, fvu };
    log.push(entry);
    options.onStep?.(entry);
    if (ckpt && options.checkpointEvery && step % options.checkpointEvery === 0) await save();
    if (options.validation && step % options.validation.every === 0) await validate(params);
  }
  await session.release();
  if (!params) throw new SaeTrainingError(`${options.sourceName ?? 'activations'}: no batch of ${B} rows to train on`);
  await save();
  await validate(params);
  let dead = 0;
  for (let j = 0; j < n; j++) if ((sinceFired[j] as number) >= Math.min(c.auxK.deadAfterTokens, step * B)) dead++;
  return { params, steps: step, tokens: step * B, log, deadFraction: dead / n, seconds: (performance.now() - t0 - validationMs) / 1000, resumedFrom, validation };
}
