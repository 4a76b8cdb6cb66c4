import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseJsonRecord,
  scalarOutput,
  readSafetensors,
  Session,
  warmupConstant,
  writeSafetensors,
  type HostTensor,
  type SessionOptions,
  type TensorData,
} from '@saetrace/engine';
import type { SaeConfig } from './config.ts';
import { initSae, roundToBf16, type SaeParams } from './init.ts';
import { SaeEncoder } from './encoder.ts';
import { evaluateSae, type SaeEval } from './evaluate.ts';
import { buildSaeStep, SAE_PARAMS, saeParamShapes, type StepVariant } from './step-graph.ts';
import { FusedSaeStep } from './fused-step.ts';
import { nativeStepAvailable } from './native-kernel.ts';

/**
 * Which implementation runs a step: 'native' (onnxruntime encoder + the fused C kernel, CPU only), 'onnx'
 * (the whole step as one onnxruntime graph: any provider, and the reference), or 'auto' (native when built
 * and the provider is the CPU, else onnx).
 */
export type StepKernel = 'auto' | 'native' | 'onnx';

/** The kernel 'auto' resolves to for these options. */
export function resolveStepKernel(
  kernel: StepKernel,
  variant: StepVariant,
  session: SessionOptions = {},
): 'native' | 'onnx' {
  const cpu = (session.provider ?? 'cpu') === 'cpu';
  if (kernel === 'native') {
    if (variant !== 'sparse')
      throw new RangeError(`trainSae: kernel 'native' implements the sparse step only (variant '${variant}')`);
    if (!cpu) throw new RangeError(`trainSae: kernel 'native' runs on the CPU, not provider '${session.provider}'`);
    if (!nativeStepAvailable())
      throw new RangeError(
        "trainSae: kernel 'native' is not built here; run `npm run build:native`, or use kernel 'onnx'",
      );
    return 'native';
  }
  return kernel === 'auto' && variant === 'sparse' && cpu && nativeStepAvailable() ? 'native' : 'onnx';
}

/** Batches of unit-normalised activations [rows*d]; the trainer takes exactly batchSize rows per step. */
export type ActivationBatches = AsyncIterable<Float32Array>;

export interface TrainLog {
  readonly step: number;
  readonly loss: number;
  readonly fvu: number;
  readonly auxLoss?: number;
}

/** Held-out metrics at a training step (MSE, FVU, L0, dead fraction on the validation set). */
export interface ValidationLog extends SaeEval {
  readonly step: number;
}

/** A validation set, re-read from the start at every evaluation. */
export interface Validation {
  readonly batches: () => AsyncIterable<Float32Array> | Iterable<Float32Array>;
  readonly every: number;
}

export interface SaeTrainResult {
  readonly params: SaeParams;
  readonly steps: number;
  readonly tokens: number;
  readonly log: readonly TrainLog[];
  /** Latents that never fired in the last `deadAfterTokens` training tokens, as a fraction of n. */
  readonly deadFraction: number;
  /** Training wall time, validation excluded. */
  readonly seconds: number;
  /** The step implementation that ran. */
  readonly kernel: 'native' | 'onnx';
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
    if (!Number.isFinite(v))
      throw new SaeTrainingError(`${where}: value ${v} at element ${i} (row ${Math.floor(i / d)})`);
  }
}

/**
 * Trains a TopK SAE (../shared/SPEC.md section 3) over `steps` batches: b_dec from the first batch's geometric median,
 * Adam with linear warm-up then constant, decoder renormalised every step, one onnxruntime run per step.
 * With `checkpointDir`, the state is saved every `checkpointEvery` steps and an interrupted run resumes.
 * A non-finite loss stops training and keeps the last good checkpoint.
 */
export async function trainSae(options: {
  readonly config: SaeConfig;
  readonly batches: ActivationBatches;
  readonly steps: number;
  readonly variant?: StepVariant;
  readonly kernel?: StepKernel;
  readonly session?: SessionOptions;
  readonly checkpointDir?: string;
  readonly checkpointEvery?: number;
  readonly sourceName?: string;
  readonly onStep?: (log: TrainLog) => void;
  readonly validation?: Validation;
}): Promise<SaeTrainResult> {
  const c = options.config;
  const { d, n, k, batchSize: B } = c;
  const variant = options.variant ?? 'sparse';
  const kernel = resolveStepKernel(options.kernel ?? 'auto', variant, options.session);
  const auxOpt = c.auxK.coef > 0 ? { auxK: c.auxK.k } : {};
  const session =
    kernel === 'onnx'
      ? await Session.create(buildSaeStep({ d, n, k, batch: B, variant, mode: 'train', ...auxOpt }), options.session)
      : null;
  const fused =
    kernel === 'native' ? await FusedSaeStep.create({ d, n, k, batch: B, ...auxOpt }, options.session) : null;
  const releaseStep = async () => {
    await session?.release();
    await fused?.release();
  };
  const shapes = saeParamShapes(d, n);
  let params: SaeParams | null = null;
  const m = {} as SaeParams;
  const v = {} as SaeParams;
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
    for (const name of SAE_PARAMS) {
      params[name] = get(name);
      m[name] = get(`m.${name}`);
      v[name] = get(`v.${name}`);
    }
    sinceFired.set(get('since'));
    step = Number(metadata.step);
    resumedFrom = step;
    log.push(
      ...parseJsonRecord<TrainLog[]>(
        metadata.log ?? '[]',
        `${ckptFile} (metadata 'log')`,
        `delete ${ckptFile} to train the SAE anew`,
        (v) => (Array.isArray(v) ? null : 'not a list'),
      ),
    );
  }
  let savedStep = resumedFrom;
  const save = async () => {
    if (!ckptFile || !params) return;
    const t: Record<string, TensorData> = {
      since: { dtype: 'float32', shape: [n], data: Float32Array.from(sinceFired) },
    };
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
  /** One step as a single onnxruntime graph; the new parameters and moments replace the old when the loss is finite. */
  const onnxStep = async (s: Session, x: Float32Array, lr: number, t: number, dead: Float32Array | null) => {
    const feeds: Record<string, HostTensor> = {
      x: { dtype: 'float32', shape: [B, d], data: x },
      lr: { dtype: 'float32', shape: [], data: Float32Array.of(lr) },
      t: { dtype: 'float32', shape: [], data: Float32Array.of(t) },
    };
    if (dead) {
      feeds.dead = { dtype: 'float32', shape: [n], data: dead };
      feeds.aux_coef = { dtype: 'float32', shape: [], data: Float32Array.of(c.auxK.coef) };
    }
    const cur = params as SaeParams;
    for (const name of SAE_PARAMS) {
      feeds[name] = { dtype: 'float32', shape: shapes[name], data: cur[name] };
      feeds[`m_${name}`] = { dtype: 'float32', shape: shapes[name], data: m[name] };
      feeds[`v_${name}`] = { dtype: 'float32', shape: shapes[name], data: v[name] };
    }
    const out = await s.run(feeds);
    const loss = scalarOutput(out, 'loss', 'SAE step');
    const updated = Number.isFinite(loss);
    if (updated) {
      const next = {} as SaeParams;
      for (const name of SAE_PARAMS) {
        next[name] = out[`new_${name}`]?.data as Float32Array;
        m[name] = out[`new_m_${name}`]?.data as Float32Array;
        v[name] = out[`new_v_${name}`]?.data as Float32Array;
        if (c.precision === 'bf16') roundToBf16(next[name]);
      }
      params = next;
    }
    return {
      loss,
      fvu: scalarOutput(out, 'fvu', 'SAE step'),
      updated,
      idx: out.idx?.data as BigInt64Array,
      ...(out.aux_loss ? { auxLoss: (out.aux_loss.data as Float32Array)[0] as number } : {}),
    };
  };
  let validationMs = 0;
  const t0 = performance.now();
  let batchIndex = 0;
  for await (const x of options.batches) {
    if (step >= options.steps) break;
    batchIndex++;
    // A resumed run skips the batches it already trained on, so it sees the same data in the same order.
    if (batchIndex <= resumedFrom) continue;
    if (x.length !== B * d)
      throw new SaeTrainingError(
        `${options.sourceName ?? 'activations'}: batch ${batchIndex} has ${x.length / d} rows, expected ${B}`,
      );
    checkFinite(x, d, `${options.sourceName ?? 'activations'}: batch ${batchIndex}`);
    if (!params) {
      params = initSae(d, n, c.seed, x, B);
      for (const name of SAE_PARAMS) {
        m[name] = new Float32Array(params[name].length);
        v[name] = new Float32Array(params[name].length);
      }
    }
    const lr = warmupConstant(step + 1, c.lr, c.warmupSteps);
    // Dead: no firing within the last deadAfterTokens tokens (none are dead before that many are seen).
    const dead = c.auxK.coef > 0 ? Float32Array.from(sinceFired, (t) => (t >= c.auxK.deadAfterTokens ? 1 : 0)) : null;
    const r = fused
      ? // In place: a non-finite loss returns before anything is written, so params stay the last good ones.
        await fused.run(x, params, m, v, lr, step + 1, dead ? { dead, coef: c.auxK.coef } : undefined)
      : await onnxStep(session as Session, x, lr, step + 1, dead);
    const { loss, fvu, auxLoss, idx } = r;
    if (fused && r.updated && c.precision === 'bf16') for (const name of SAE_PARAMS) roundToBf16(params[name]);
    if (!r.updated) {
      await releaseStep();
      throw new SaeTrainingError(
        `loss is ${loss}${auxLoss !== undefined && !Number.isFinite(auxLoss) ? ` (AuxK loss ${auxLoss})` : ''} at step ${step + 1}; training stopped${ckpt ? (savedStep > 0 ? `, the last good checkpoint (step ${savedStep}) is kept in ${ckptFile}` : ', before any checkpoint was written') : ''}`,
      );
    }
    for (let j = 0; j < n; j++) sinceFired[j] = (sinceFired[j] as number) + B;
    for (let i = 0; i < idx.length; i++) sinceFired[Number(idx[i])] = 0;
    step++;
    const entry: TrainLog = auxLoss !== undefined ? { step, loss, fvu, auxLoss } : { step, loss, fvu };
    log.push(entry);
    options.onStep?.(entry);
    if (ckpt && options.checkpointEvery && step % options.checkpointEvery === 0) await save();
    if (options.validation && step % options.validation.every === 0) await validate(params);
  }
  await releaseStep();
  if (!params) throw new SaeTrainingError(`${options.sourceName ?? 'activations'}: no batch of ${B} rows to train on`);
  await save();
  await validate(params);
  let dead = 0;
  for (let j = 0; j < n; j++) if ((sinceFired[j] as number) >= Math.min(c.auxK.deadAfterTokens, step * B)) dead++;
  return {
    params,
    steps: step,
    tokens: step * B,
    log,
    deadFraction: dead / n,
    kernel,
    seconds: (performance.now() - t0 - validationMs) / 1000,
    resumedFrom,
    validation,
  };
}
