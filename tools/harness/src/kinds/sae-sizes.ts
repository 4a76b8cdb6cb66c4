import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ActivationStore, extractActivations } from '@saetrace/activations';
import { fields, isArray, isObject, readJsonRecord, writeJsonAtomic, type Progress } from '@saetrace/engine';
import { FAMILY_PROFILES, LlamaModel, midSite, readFamilyManifest } from '@saetrace/lm';
import {
  chooseRate,
  PAPER_LR_GRID,
  resolveStepKernel,
  SAE_INIT,
  SAETRACE_VERSION,
  searchLearningRate,
  type LrSearchRow,
  type SaeConfig,
} from '@saetrace/sae';
import { existsSync } from 'node:fs';
import { resolveCheckpoints } from '../family.ts';
import type { ExperimentSpec, ProfileSpec } from '../spec.ts';
import { profileSaeConfig } from './sae-recipe.ts';

export interface SizeResult {
  readonly size: string;
  readonly layer: number;
  readonly d: number;
  readonly rows: readonly LrSearchRow[];
  readonly bestLr: number;
  /** Seconds to train the SAE at the chosen rate, and the activations it trained on / held in memory at once. */
  readonly seconds: number;
  readonly activationsTrained: number;
  readonly activationsBuffered: number;
}

export interface SaeSizesResult {
  readonly sizes: readonly SizeResult[];
  readonly grid: readonly number[];
}

/**
 * Table 2, Table 3 and Figure 11: for every size of the family, at the last checkpoint and layer floor(L/2),
 * SAEs trained at each rate of the paper's grid; the rate with the lowest validation MSE is chosen, and its
 * training time and the activations it used are recorded.
 */
export async function saeSizes(
  spec: ExperimentSpec,
  p: ProfileSpec,
  options: { log: (s: string) => void; progress?: Progress },
): Promise<SaeSizesResult> {
  const { sizes } = await resolveCheckpoints(p, spec.pair, {
    threads: p.threads,
    log: options.log,
    progress: options.progress,
  });
  const corpusDir = join('data/corpus', spec.pair);
  const out: SizeResult[] = [];
  const shardsInMemory = 4;
  for (const size of sizes) {
    const { checkpoints } = await resolveCheckpoints({ ...p, size }, spec.pair, { threads: p.threads });
    const last = checkpoints.at(-1) as (typeof checkpoints)[number];
    const model = await LlamaModel.load(last.dir, { threads: p.threads });
    const layer = midSite(model.numLayers);
    const train = await extractActivations({
      model,
      layers: [layer],
      corpusDir,
      split: 'train',
      langs: spec.languages,
      tokensPerLang: p.activations.trainTokensPerLang,
      seed: p.seed,
      cacheDir: '.cache/activations',
    });
    const evalSet = await extractActivations({
      model,
      layers: [layer],
      corpusDir,
      split: 'eval',
      langs: spec.languages,
      tokensPerLang: p.activations.evalTokensPerLang,
      seed: p.seed,
      cacheDir: '.cache/activations',
    });
    await model.release();
    // Read several times (epochs, rates, metric passes): each shard is read and checksummed once.
    const trainStore = await ActivationStore.open(train.stores.get(layer) as string, { retainShards: true });
    const evalStore = await ActivationStore.open(evalSet.stores.get(layer) as string, { retainShards: true });
    const cfg = profileSaeConfig(p, trainStore.d);
    const steps = Math.floor(trainStore.rows / cfg.batchSize) * p.sae.epochs;
    const batches = () =>
      (async function* () {
        for (let e = 0; e < p.sae.epochs; e++)
          for await (const b of trainStore.batches({
            batchRows: cfg.batchSize,
            seed: `${p.seed}/epoch-${e}`,
            dropLast: true,
            shardsInMemory,
          }))
            yield b.x;
      })();
    const validation = () =>
      (async function* () {
        for await (const b of evalStore.batches({ batchRows: 4096 })) yield b.x;
      })();
    const kernel = resolveStepKernel('auto', 'sparse', { threads: p.threads });
    const cacheFile = lrSearchCacheFile({
      train: trainStore.manifest.key,
      eval: evalStore.manifest.key,
      cfg,
      epochs: p.sae.epochs,
      steps,
      grid: PAPER_LR_GRID,
      shardsInMemory,
      kernel,
    });
    let rows: LrSearchRow[];
    let best: LrSearchRow;
    const cached = readLrSearch(cacheFile);
    if (cached) ({ rows, best } = cached);
    else {
      ({ rows, best } = await searchLearningRate({
        config: cfg,
        batches,
        steps,
        validation,
        grid: PAPER_LR_GRID,
        session: { threads: p.threads },
      }));
      await writeJsonAtomic(cacheFile, { rows: rows.map(finiteRow), best: finiteRow(best) });
    }
    // Rates within 1% of the lowest MSE are tied; the smallest is reported (see chooseRate).
    best = chooseRate(rows, LR_TIE_RTOL);
    const shardRows = Math.max(...trainStore.manifest.shards.map((s) => s.rows));
    out.push({
      size,
      layer,
      d: trainStore.d,
      rows,
      bestLr: best.lr,
      seconds: best.seconds,
      activationsTrained: steps * cfg.batchSize,
      activationsBuffered: Math.min(trainStore.rows, shardRows * shardsInMemory),
    });
    options.log(`${size}: best lr ${best.lr} (validation MSE ${best.mse.toFixed(4)}), ${best.seconds.toFixed(1)} s`);
  }
  return { sizes: out, grid: PAPER_LR_GRID };
}

/** Validation MSEs within this relative distance of the lowest are a tie (Table 2 picks the smallest rate). */
const LR_TIE_RTOL = 0.01;

/**
 * The cache file of one size's learning-rate search. Table 2, Table 3 and Figure 11 ask for the same 6 SAEs
 * per size, so the first of them trains them and the others read its rows. The key holds everything that
 * changes a row: both stores (model, layer, corpus, budget, seed), the recipe and init, steps, grid, batch buffering
 * and the step kernel (the native and graph steps agree to rounding, not bytes). Timings are part of a row:
 * Table 3 reports the seconds of the run that trained it.
 */
function lrSearchCacheFile(inputs: {
  train: string;
  eval: string;
  cfg: SaeConfig;
  epochs: number;
  steps: number;
  grid: readonly number[];
  shardsInMemory: number;
  kernel: string;
}): string {
  const key = createHash('sha256')
    .update(JSON.stringify({ ...inputs, init: SAE_INIT, v: SAETRACE_VERSION }))
    .digest('hex')
    .slice(0, 24);
  return join('.cache/lr-search', `${key}.json`);
}

// JSON has no Infinity: a diverged rate (MSE Infinity) is stored as null and read back as Infinity.
function finiteRow(r: LrSearchRow): Record<string, number | null> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

function readLrSearch(file: string): { rows: LrSearchRow[]; best: LrSearchRow } | null {
  if (!existsSync(file)) return null;
  const back = (r: Record<string, number | null>): LrSearchRow =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? Infinity])) as unknown as LrSearchRow;
  const j = readJsonRecord<{ rows: Record<string, number | null>[]; best: Record<string, number | null> }>(
    file,
    'delete it to search again (learning-rate search cache)',
    fields({ rows: isArray, best: isObject }),
  );
  return { rows: j.rows.map(back), best: back(j.best) };
}

/** Sizes of a zoo profile in order (for reports). */
export function zooSizes(pair: string, profile: 'smoke' | 'default'): string[] {
  const f = join('.cache/zoo', pair, profile, 'family.json');
  return existsSync(f)
    ? readFamilyManifest(f).members.map((m) => m.size)
    : FAMILY_PROFILES[profile].members.map((m) => m.size);
}
