import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crossEntropy, runRng, TrainStep, warmupCosine, type ParamSpec, type Rng, type Value } from '@saetrace/engine';
import { parseLlamaConfig, type LlamaConfig } from '../llama/config.ts';
import { llamaForward } from '../llama/forward.ts';
import { isBiasParam, isNormParam, llamaParamShapes } from '../llama/params.ts';
import { initLlamaWeights, saveLlamaCheckpoint, type LlamaWeights } from '../llama/weights.ts';
import { flopParams, logSpacedSteps, memberFingerprint, type FamilyMember, type FamilyProfile } from './family.ts';
import type { TrainingTokens } from './tokens.ts';
import { readTrainState, writeTrainState, type TrainLoss } from './train-state.ts';

export interface MemberCheckpoint {
  readonly step: number;
  readonly tokens: number;
  readonly dir: string;
}
export interface MemberResult {
  readonly size: string;
  /** memberFingerprint of the definition it was trained under. */
  readonly fingerprint: string;
  readonly config: LlamaConfig;
  readonly checkpoints: readonly MemberCheckpoint[];
  readonly losses: readonly TrainLoss[];
  readonly trainSeconds: number;
  readonly tokensPerSecond: number;
  /** Model FLOPs (6 * N * tokens, attention included) per second. */
  readonly flopsPerSecond: number;
  readonly resumedFrom: number;
}

export function memberConfig(profile: FamilyProfile, m: FamilyMember, vocabSize: number): LlamaConfig {
  return parseLlamaConfig({
    model_type: 'llama',
    hidden_size: m.hiddenSize,
    intermediate_size: m.intermediateSize,
    num_hidden_layers: m.layers,
    num_attention_heads: m.heads,
    num_key_value_heads: m.kvHeads,
    vocab_size: vocabSize,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    max_position_embeddings: Math.max(profile.seqLen, 128),
    bos_token_id: 1,
    eos_token_id: 2,
  });
}

/** A member's weights before its first step: what trainMember starts from, a pure function of seed and config. */
export function memberInitWeights(profile: FamilyProfile, m: FamilyMember, c: LlamaConfig): LlamaWeights {
  return initLlamaWeights(c, runRng(profile.seed).stream(`zoo/${m.size}`).stream('init'));
}

/**
 * The member at step 0 (random init) as a Hugging Face checkpoint in `dir`: the baseline of what training
 * added, measured with the same architecture and tokenizer. Written into a temporary sibling and renamed, so
 * `dir` is whole or absent; an existing `dir` is kept (its content is fixed by the seed and config).
 */
export async function saveInitCheckpoint(
  dir: string,
  profile: FamilyProfile,
  m: FamilyMember,
  vocabSize: number,
  tokenizerDir?: string,
): Promise<void> {
  if (existsSync(join(dir, 'config.json'))) return;
  const c = memberConfig(profile, m, vocabSize);
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await saveLlamaCheckpoint(tmp, c, memberInitWeights(profile, m, c), {
    tokenizerDir,
    info: { step: 0, tokens: 0, loss: null, size: m.size, seed: profile.seed },
  });
  try {
    await rename(tmp, dir);
  } catch (e) {
    // Another process renamed its copy first: the same bytes, so keep it.
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'config.json'))) throw e;
  }
}

/** Training FLOPs per token: 6 x (matrix parameters + LM head) plus the attention score and value products. */
/** The order of the training windows in one epoch: a pure function of the member's order stream and epoch. */
function windowPermutation(order: Rng, count: number, epoch: number): number[] {
  return order.stream(`epoch-${epoch}`).shuffle(Array.from({ length: count }, (_, i) => i));
}

/** Indices of the training windows a member sees, in order (steps x batch of them; the n-gram baselines train on exactly these). */
export function windowsSeen(profile: FamilyProfile, m: FamilyMember, count: number): number[] {
  const order = runRng(profile.seed).stream(`zoo/${m.size}`).stream('order');
  const out: number[] = [];
  let epoch = -1;
  let permutation: number[] = [];
  for (let flat = 0; flat < m.steps * profile.batch; flat++) {
    const e = Math.floor(flat / count);
    if (e !== epoch) {
      epoch = e;
      permutation = windowPermutation(order, count, e);
    }
    out.push(permutation[flat % count] as number);
  }
  return out;
}

export function trainFlopsPerToken(profile: FamilyProfile, m: FamilyMember, vocab: number): number {
  return 6 * flopParams(m, vocab) + 6 * m.layers * profile.seqLen * m.hiddenSize;
}

function toTensors(c: LlamaConfig, table: Readonly<Record<string, Float32Array>>): LlamaWeights {
  const out: LlamaWeights = {};
  for (const [name, shape] of llamaParamShapes(c))
    out[name] = { dtype: 'float32', shape, data: table[name] as Float32Array };
  return out;
}

/**
 * Trains one family member with AdamW (warm-up then cosine) on packed windows, saving Hugging Face
 * checkpoints at log-spaced steps. Resumable: with every checkpoint the whole training state is written as
 * one file (train-state.ts), so a run killed at any instant continues from the last one and ends with the
 * same bytes as an uninterrupted run (train-faults.test.ts kills it at every point between two writes).
 */
export async function trainMember(options: {
  readonly profile: FamilyProfile;
  readonly member: FamilyMember;
  readonly data: TrainingTokens;
  readonly vocabSize: number;
  readonly outDir: string;
  readonly tokenizerDir?: string;
  readonly threads?: number;
  readonly onProgress?: (step: number, loss: number) => void;
  /** Stop after this many steps in this call (to test resumption). */
  readonly stopAfter?: number;
  /**
   * Fault injection for tests: called at every point where a kill could fall between two writes (after each
   * step, after each file of a checkpoint, after the state file); throwing there stands for the kill.
   */
  readonly faultPoint?: (label: string) => void;
}): Promise<MemberResult> {
  const { profile, member: m, data } = options;
  const c = memberConfig(profile, m, options.vocabSize);
  const T = profile.seqLen - 1;
  const B = profile.batch;
  const rng = runRng(profile.seed).stream(`zoo/${m.size}`);
  const init = memberInitWeights(profile, m, c);
  const specs: ParamSpec[] = [...llamaParamShapes(c)].map(([name, shape]) => ({
    name,
    shape,
    init: init[name]?.data as Float32Array,
    decay: !isNormParam(name) && !isBiasParam(name) && !name.includes('embed'),
  }));
  const ts = await TrainStep.create({
    params: specs,
    data: [
      { name: 'tokens', dtype: 'int64', shape: [B, T] },
      { name: 'targets', dtype: 'int64', shape: [B * T] },
    ],
    build: (g, p, d) => {
      const r = llamaForward(g, c, p, d.tokens as Value, { seqLen: T });
      return {
        loss: crossEntropy(g, g.op1('Reshape', [r.logits as Value, g.ints([B * T, c.vocabSize])]), d.targets as Value),
      };
    },
    adam: {
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: profile.weightDecay,
      ...(profile.gradClip !== undefined && { maxGradNorm: profile.gradClip }),
    },
    session: { threads: options.threads },
  });
  const memberDir = join(options.outDir, m.size);
  const stateDir = join(memberDir, 'train-state');
  const ckptSteps = new Set(logSpacedSteps(m.steps, profile.checkpoints));
  const losses: TrainLoss[] = [];
  let resumedFrom = 0;
  const fingerprint = memberFingerprint(profile, m);
  const order = rng.stream('order');
  const ckptDir = (step: number) => join(memberDir, `step-${String(step).padStart(6, '0')}`);
  const fault = options.faultPoint ?? (() => {});
  const st = await readTrainState(
    stateDir,
    c,
    { fingerprint, rng: order.seed, size: m.size, profile: profile.name, memberDir },
    ckptDir,
  ).catch(async (e: unknown) => {
    await ts.release();
    throw e;
  });
  if (st) {
    ts.restore(st);
    losses.push(...st.losses);
    resumedFrom = st.step;
  }
  // The window order is a pure function of (seed, epoch), so a resumed run sees the same batches.
  const perm = (epoch: number) => windowPermutation(order, data.count, epoch);
  let epoch = -1;
  let permutation: number[] = [];
  const tokens = new BigInt64Array(B * T);
  const targets = new BigInt64Array(B * T);
  const t0 = performance.now();
  let stepsRun = 0;
  // Released also when a step or a write throws (an injected fault in tests), so nothing leaks.
  try {
    for (let step = ts.step + 1; step <= m.steps; step++) {
      for (let b = 0; b < B; b++) {
        const flat = (step - 1) * B + b;
        const e = Math.floor(flat / data.count);
        if (e !== epoch) {
          epoch = e;
          permutation = perm(e);
        }
        const w = permutation[flat % data.count] as number;
        for (let t = 0; t < T; t++) {
          tokens[b * T + t] = BigInt(data.windows[w * data.seqLen + t] as number);
          targets[b * T + t] = BigInt(data.windows[w * data.seqLen + t + 1] as number);
        }
      }
      const lr = warmupCosine(step, m.peakLr, profile.warmupSteps, m.steps);
      const { loss, gradNorm } = await ts.run(
        {
          tokens: { dtype: 'int64', shape: [B, T], data: tokens },
          targets: { dtype: 'int64', shape: [B * T], data: targets },
        },
        lr,
      );
      losses.push(gradNorm === undefined ? { step, loss } : { step, loss, gradNorm });
      stepsRun++;
      options.onProgress?.(step, loss);
      fault(`step ${step}`);
      if (ckptSteps.has(step)) {
        const s = ts.state();
        // The checkpoint first, the state last: a kill in between resumes from the previous state and writes
        // this checkpoint again, with the same bytes.
        await saveLlamaCheckpoint(ckptDir(step), c, toTensors(c, s.params), {
          tokenizerDir: options.tokenizerDir,
          info: { step, tokens: step * B * T, loss, size: m.size, seed: profile.seed },
          onWrite: (f) => fault(`step ${step} checkpoint ${f}`),
        });
        await writeTrainState(stateDir, c, { ...s, losses, fingerprint, rng: order.seed });
        fault(`step ${step} state`);
      }
      if (options.stopAfter !== undefined && stepsRun >= options.stopAfter) break;
    }
  } finally {
    await ts.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  const tokensRun = stepsRun * B * T;
  const checkpoints = [...ckptSteps]
    .sort((a, b) => a - b)
    .filter((s) => s <= ts.step)
    .map((step) => ({ step, tokens: step * B * T, dir: join(memberDir, `step-${String(step).padStart(6, '0')}`) }));
  return {
    size: m.size,
    fingerprint,
    config: c,
    checkpoints,
    losses,
    trainSeconds: seconds,
    resumedFrom,
    tokensPerSecond: seconds > 0 ? tokensRun / seconds : 0,
    flopsPerSecond: seconds > 0 ? (tokensRun * trainFlopsPerToken(profile, m, options.vocabSize)) / seconds : 0,
  };
}
