import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  parseJsonRecord,
  readJsonRecord,
  readSafetensors,
  removeStaleTemps,
  writeSafetensors,
  type TensorData,
} from '@saetrace/engine';
import type { LlamaConfig } from '../llama/config.ts';
import { llamaParamShapes } from '../llama/params.ts';

/**
 * A family member's training state: parameters, both Adam moments, the step, the losses so far and the
 * RNG state, in ONE safetensors file written by rename (as libs/sae/src/trainer.ts's checkpoint is), so a
 * kill at any instant leaves either the previous state or the new one, never a mix of two steps.
 */
export const STATE_FILE = 'state.safetensors';
export const STATE_FORMAT = 'saetrace-lm-train-state/1';
/** The four files of the earlier format: state.json written after the three tensor files. */
export const LEGACY_FILES = ['state.json', 'params.safetensors', 'm.safetensors', 'v.safetensors'] as const;

export interface MemberTrainState {
  readonly step: number;
  readonly params: Readonly<Record<string, Float32Array>>;
  readonly m: Readonly<Record<string, Float32Array>>;
  readonly v: Readonly<Record<string, Float32Array>>;
  readonly losses: readonly TrainLoss[];
  /** memberFingerprint of the definition trained under. */
  readonly fingerprint: string;
  /**
   * The RNG state: the seed of the window-order stream. The order of each epoch is a pure function of it
   * (train.ts), so with the step it fixes every batch still to come.
   */
  readonly rng: string;
}

export interface StateExpectation {
  readonly fingerprint: string;
  readonly rng: string;
  readonly size: string;
  readonly profile: string;
  readonly memberDir: string;
}

function table(c: LlamaConfig, prefix: string, t: Readonly<Record<string, Float32Array>>): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const [name, shape] of llamaParamShapes(c))
    out[`${prefix}${name}`] = { dtype: 'float32', shape, data: t[name] as Float32Array };
  return out;
}

/** Writes the state file atomically; then removes the earlier format's files, which it supersedes. */
export async function writeTrainState(stateDir: string, c: LlamaConfig, s: MemberTrainState): Promise<void> {
  await writeSafetensors(
    join(stateDir, STATE_FILE),
    { ...table(c, 'param.', s.params), ...table(c, 'm.', s.m), ...table(c, 'v.', s.v) },
    {
      format: STATE_FORMAT,
      step: String(s.step),
      fingerprint: s.fingerprint,
      rng: s.rng,
      losses: JSON.stringify(s.losses),
    },
  );
  for (const f of LEGACY_FILES) await rm(join(stateDir, f), { force: true });
}

function untable(
  c: LlamaConfig,
  file: string,
  tensors: ReadonlyMap<string, TensorData>,
  prefix: string,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, shape] of llamaParamShapes(c)) {
    const t = tensors.get(`${prefix}${name}`);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!t || t.dtype !== 'float32' || t.data.length !== n)
      throw new Error(
        `${file}: tensor '${prefix}${name}' is missing or not float32 [${shape.join(',')}]; move it away to train the member anew`,
      );
    out[name] = t.data as Float32Array;
  }
  return out;
}

function refuseOther(file: string, have: string | undefined, e: StateExpectation): Error {
  return new Error(
    `${file}: this training state is of another definition of member '${e.size}' of the ${e.profile} profile (fingerprint ${have ?? 'none'}, this code's ${e.fingerprint}); move ${e.memberDir} away to train it anew`,
  );
}

const LOSSES_FIX = 'move the train-state directory away to train the member anew';
/** One step's training loss; gradNorm (the global gradient norm before clipping) only when the profile clips. */
export interface TrainLoss {
  readonly step: number;
  readonly loss: number;
  readonly gradNorm?: number;
}

const isLosses = (v: unknown): string | null =>
  Array.isArray(v) &&
  v.every(
    (x) =>
      typeof x?.step === 'number' &&
      typeof x?.loss === 'number' &&
      (x.gradNorm === undefined || typeof x.gradNorm === 'number'),
  )
    ? null
    : 'not a list of { step, loss, gradNorm? }';

/**
 * Reads the training state in `stateDir`, or null when there is none. Of the earlier four-file format, whose
 * writes a kill could leave mixed (the tensor files of a later step under state.json of an earlier one),
 * a state is taken only when provably whole: its params.safetensors equals the weights of the checkpoint of
 * state.json's step (the tensor files were written params first, so unchanged params mean unchanged moments).
 */
export async function readTrainState(
  stateDir: string,
  c: LlamaConfig,
  e: StateExpectation,
  checkpointDir: (step: number) => string,
): Promise<MemberTrainState | null> {
  // Half-written state files of a killed run (their process is gone) are never read; clear them away.
  await removeStaleTemps(stateDir);
  const file = join(stateDir, STATE_FILE);
  if (existsSync(file)) {
    const { tensors, metadata } = await readSafetensors(file);
    if (metadata.format !== STATE_FORMAT)
      throw new Error(
        `${file}: format '${metadata.format ?? 'none'}' is not ${STATE_FORMAT}; move it away to train the member anew`,
      );
    if (metadata.fingerprint !== e.fingerprint) throw refuseOther(file, metadata.fingerprint, e);
    if (metadata.rng !== e.rng)
      throw new Error(
        `${file}: RNG state ${metadata.rng} is not this member's window-order stream (${e.rng}); move ${e.memberDir} away to train it anew`,
      );
    const step = Number(metadata.step);
    if (!Number.isInteger(step) || step < 0)
      throw new Error(`${file}: step '${metadata.step}' is not a step number; ${LOSSES_FIX}`);
    const losses = parseJsonRecord<TrainLoss[]>(
      metadata.losses ?? '',
      `${file} (metadata 'losses')`,
      LOSSES_FIX,
      isLosses,
    );
    return {
      step,
      params: untable(c, file, tensors, 'param.'),
      m: untable(c, file, tensors, 'm.'),
      v: untable(c, file, tensors, 'v.'),
      losses,
      fingerprint: e.fingerprint,
      rng: e.rng,
    };
  }
  const legacy = join(stateDir, 'state.json');
  if (!existsSync(legacy)) return null;
  const st = readJsonRecord<{ step: number; losses: TrainLoss[]; fingerprint?: string }>(legacy, LOSSES_FIX, (v) =>
    typeof (v as { step?: unknown })?.step === 'number'
      ? isLosses((v as { losses?: unknown }).losses)
      : "no numeric 'step'",
  );
  if (st.fingerprint !== e.fingerprint) throw refuseOther(legacy, st.fingerprint, e);
  const read = async (f: string) =>
    Object.fromEntries(
      [...(await readSafetensors(join(stateDir, f))).tensors].map(([k, t]) => [k, t.data as Float32Array]),
    );
  const params = await read('params.safetensors');
  const ckpt = join(checkpointDir(st.step), 'model.safetensors');
  const saved = existsSync(ckpt) ? (await readSafetensors(ckpt)).tensors : null;
  const whole =
    saved !== null &&
    [...llamaParamShapes(c).keys()].every((name) => {
      const a = params[name];
      const b = saved.get(name)?.data as Float32Array | undefined;
      return (
        a !== undefined &&
        b !== undefined &&
        a.length === b.length &&
        Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
      );
    });
  if (!whole)
    throw new Error(
      `${legacy}: a training state in the earlier four-file format whose params.safetensors is not the weights of its step ${st.step} (${ckpt}): a kill during its writes mixed two steps, so it cannot be resumed to the same weights; move ${stateDir} away and the member trains anew from step 0`,
    );
  return {
    step: st.step,
    params,
    m: await read('m.safetensors'),
    v: await read('v.safetensors'),
    losses: st.losses,
    fingerprint: e.fingerprint,
    rng: e.rng,
  };
}
