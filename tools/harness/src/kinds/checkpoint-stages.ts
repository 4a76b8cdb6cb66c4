// The per-checkpoint stages of the feature-dynamics kind, each callable alone: extraction (both splits, every layer
// from one forward pass) and one layer's SAE. `saetrace run` calls them in turn (analyseCheckpoint), and
// `saetrace job` calls one of them; the key functions here are what `saetrace plan` uses to name their outputs.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type ActivationStore,
  extractActivations,
  planStores,
  type ExtractResult,
  type StorePlanRequest,
} from '@saetrace/activations';
import { LlamaModel } from '@saetrace/lm';
import { noProgress, withFileLock, type Progress } from '@saetrace/engine';
import {
  loadSae,
  resolveStepKernel,
  SAE_INIT,
  saveSae,
  SAETRACE_VERSION,
  trainSae,
  type SaeConfig,
  type SaeParams,
} from '@saetrace/sae';
import { corpusDirOf } from '../family.ts';
import { extractStage } from '../progress-stages.ts';
import { pairScripts, tokenScriptTable } from '../scripts.ts';
import type { ExperimentSpec, ProfileSpec } from '../spec.ts';
import { profileSaeConfig } from './sae-recipe.ts';

export const ACTIVATIONS_DIR = '.cache/activations';
export const SAE_DIR = '.cache/sae';

export type Split = 'train' | 'eval';

/** A split's extraction request less the model: the fields that key its stores (planStores takes the same). */
export function storeRequest(
  spec: ExperimentSpec,
  p: ProfileSpec,
  layers: readonly number[],
  split: Split,
): Omit<StorePlanRequest, 'fingerprint' | 'dModel'> {
  return {
    layers,
    corpusDir: corpusDirOf(p, spec.pair),
    split,
    langs: spec.languages,
    tokensPerLang: split === 'train' ? p.activations.trainTokensPerLang : p.activations.evalTokensPerLang,
    seed: p.seed,
    cacheDir: ACTIVATIONS_DIR,
  };
}

export interface CheckpointStores {
  readonly train: ExtractResult;
  readonly eval: ExtractResult;
  /** The script of every token, for cross-script Mixed (null without a tokenizer). */
  readonly scripts: ReturnType<typeof tokenScriptTable> | null;
}

/** One checkpoint's train and eval stores for these layers, extracted when missing (the model loaded once). */
export async function extractCheckpoint(
  spec: ExperimentSpec,
  p: ProfileSpec,
  dir: string,
  layers: readonly number[],
  progress: Progress = noProgress,
): Promise<CheckpointStores> {
  const where = `${basename(dir)} layer${layers.length > 1 ? 's' : ''} ${layers.join(',')}`;
  const model = await LlamaModel.load(dir, { threads: p.threads });
  const extract = (split: Split) =>
    extractActivations({
      model,
      ...storeRequest(spec, p, layers, split),
      onProgress: extractStage(progress, `extract ${split} ${where}`),
    });
  // Under a lock keyed by every store it writes: two processes extracting one checkpoint (array tasks of two
  // sweeps on one cache) do it once; the second then finds the stores complete.
  const keys = await Promise.all(
    (['train', 'eval'] as const).map(async (split) =>
      (
        await planStores({
          ...storeRequest(spec, p, layers, split),
          fingerprint: model.fingerprint(),
          dModel: model.dModel,
        })
      ).map((s) => s.key),
    ),
  );
  const lock = createHash('sha256').update(keys.flat().sort().join('\n')).digest('hex').slice(0, 24);
  const [train, evalSet] = await withFileLock(join(ACTIVATIONS_DIR, `${lock}.lock`), async () => [
    await extract('train'),
    await extract('eval'),
  ]);
  const tok = model.tokenizer;
  const scripts = tok
    ? tokenScriptTable(
        model.vocabSize,
        tok.vocabSize,
        (id) => tok.decode([id]),
        pairScripts(spec.languages, spec.scripts, spec.files.pair),
      )
    : null;
  await model.release();
  return { train, eval: evalSet, scripts };
}

export interface SaeSlot {
  readonly cfg: SaeConfig;
  readonly key: string;
  readonly dir: string;
}

/** The SAE a profile trains on a train store (its key and width): config, cache key and directory. */
export function saeSlot(p: ProfileSpec, trainStoreKey: string, d: number): SaeSlot {
  const cfg = profileSaeConfig(p, d);
  // The step kernel is part of the key: native and graph steps agree only to fp32 rounding, not in bytes.
  const kernel = resolveStepKernel('auto', 'sparse', { threads: p.threads });
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        store: trainStoreKey,
        cfg,
        init: SAE_INIT,
        epochs: p.sae.epochs,
        v: SAETRACE_VERSION,
        ...(kernel === 'native' ? { kernel } : {}),
      }),
    )
    .digest('hex')
    .slice(0, 24);
  return { cfg, key, dir: join(SAE_DIR, key) };
}

/** Whether an SAE directory holds a saved SAE. */
export function saeSaved(dir: string): boolean {
  return existsSync(join(dir, 'cfg.json'));
}

/** Training steps of an SAE on a store of this many rows: whole batches, every epoch. */
export function saeSteps(p: ProfileSpec, rows: number): number {
  return Math.floor(rows / p.sae.batchSize) * p.sae.epochs;
}

async function* trainBatches(
  store: ActivationStore,
  batch: number,
  epochs: number,
  seed: number,
): AsyncGenerator<Float32Array> {
  for (let e = 0; e < epochs; e++)
    for await (const b of store.batches({
      batchRows: batch,
      seed: `${seed}/epoch-${e}`,
      dropLast: true,
      shardsInMemory: 4,
    }))
      yield b.x;
}

/** One layer's SAE of a checkpoint, trained on its train store unless saved; returns it and where it is. */
export async function checkpointSae(
  spec: ExperimentSpec,
  p: ProfileSpec,
  dir: string,
  layer: number,
  trainStore: ActivationStore,
  progress: Progress = noProgress,
): Promise<SaeSlot & { readonly params: SaeParams }> {
  const slot = saeSlot(p, trainStore.manifest.key, trainStore.d);
  const { cfg, key, dir: saeDir } = slot;
  const steps = saeSteps(p, trainStore.rows);
  const cached = async () => (saeSaved(saeDir) ? (await loadSae(saeDir)).params : null);
  // Under a lock keyed like the SAE: a second process (a Slurm array task sharing this SAE) waits for the first
  // and then loads what it saved, instead of training the same SAE beside it.
  const params: SaeParams =
    (await cached()) ??
    (await withFileLock(join(SAE_DIR, `${key}.lock`), async () => {
      const again = await cached();
      if (again) return again;
      const bar = progress.stage(`sae ${basename(dir)} layer ${layer}`, steps, 'steps', {
        tokensPerUnit: cfg.batchSize,
      });
      const r = await trainSae({
        config: cfg,
        batches: trainBatches(trainStore, cfg.batchSize, p.sae.epochs, p.seed),
        steps,
        session: { threads: p.threads },
        checkpointDir: join(saeDir, 'state'),
        checkpointEvery: 100,
        sourceName: trainStore.dir,
        onStep: (l) => bar.update(l.step, { fvu: l.fvu }),
      });
      bar.end(
        `${r.steps} steps, train FVU ${(r.log.at(-1)?.fvu ?? NaN).toFixed(3)}, dead ${(100 * r.deadFraction).toFixed(1)}%`,
      );
      await saveSae(saeDir, r.params, {
        config: cfg,
        normalisation: 'unit-l2',
        hookSite: 'resid_post',
        model: spec.pair,
        checkpoint: dir,
        layer,
        saetraceVersion: SAETRACE_VERSION,
        training: {
          steps: r.steps,
          tokens: r.tokens,
          seconds: r.seconds,
          deadFraction: r.deadFraction,
          kernel: r.kernel,
        },
      });
      return r.params;
    }));
  return { ...slot, params };
}
