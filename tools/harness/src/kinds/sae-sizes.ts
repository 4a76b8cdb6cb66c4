import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ActivationStore } from '@saetrace/activations';
import { fields, isObject, readJsonRecord, withFileLock, writeJsonAtomic, type Progress } from '@saetrace/engine';
import { FAMILY_PROFILES, midSite, readFamilyManifest, readLlamaConfig } from '@saetrace/lm';
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
import { extractCheckpoint } from './checkpoint-stages.ts';
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

/** The stores one size's search reads: the last checkpoint's mid layer, train and eval. */
export interface SizeStores {
  readonly size: string;
  readonly layer: number;
  readonly train: ActivationStore;
  readonly eval: ActivationStore;
}

// Batches held at once when training (each shard read and checksummed once).
const SHARDS_IN_MEMORY = 4;

/** The last checkpoint of a size and its mid layer (floor(L/2), SPEC section 2), as the search reads them. */
export async function sizeCheckpoint(
  spec: ExperimentSpec,
  p: ProfileSpec,
  size: string,
): Promise<{ dir: string; layer: number }> {
  const { checkpoints } = await resolveCheckpoints({ ...p, size }, spec.pair, { threads: p.threads });
  const last = checkpoints.at(-1) as (typeof checkpoints)[number];
  return { dir: last.dir, layer: midSite((await readLlamaConfig(last.dir)).numLayers) };
}

/** One size's stores, extracted when missing (kinds/checkpoint-stages.ts, under its lock). */
export async function sizeStores(
  spec: ExperimentSpec,
  p: ProfileSpec,
  size: string,
  progress?: Progress,
): Promise<SizeStores> {
  const { dir, layer } = await sizeCheckpoint(spec, p, size);
  const { train, eval: evalSet } = await extractCheckpoint(spec, p, dir, [layer], progress);
  // Read several times (epochs, rates, metric passes): each shard is read and checksummed once.
  const open = (r: typeof train) => ActivationStore.open(r.stores.get(layer) as string, { retainShards: true });
  return { size, layer, train: await open(train), eval: await open(evalSet) };
}

/** The steps an SAE of this profile takes on a train store of `rows` rows. */
const stepsOn = (p: ProfileSpec, cfg: SaeConfig, rows: number) => Math.floor(rows / cfg.batchSize) * p.sae.epochs;

/**
 * The cache file of one rate's SAE of one size, from the stores' keys and row count (known once extracted). Table 2,
 * Table 3 and Figure 11 ask for the same SAEs per size, so the first of them trains them and the others read the
 * rows. The key holds everything that changes a row: both stores (model, layer, corpus, budget, seed), the recipe
 * with its rate and init, steps, batch buffering and the step kernel (the native and graph steps agree to rounding,
 * not bytes). Timings are part of a row: Table 3 reports the seconds of the run that trained it.
 */
export function rateCacheFile(
  p: ProfileSpec,
  stores: { readonly trainKey: string; readonly evalKey: string; readonly d: number; readonly rows: number },
  lr: number,
): { key: string; file: string } {
  const cfg = { ...profileSaeConfig(p, stores.d), lr };
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        train: stores.trainKey,
        eval: stores.evalKey,
        cfg,
        epochs: p.sae.epochs,
        steps: stepsOn(p, cfg, stores.rows),
        shardsInMemory: SHARDS_IN_MEMORY,
        kernel: resolveStepKernel('auto', 'sparse', { threads: p.threads }),
        init: SAE_INIT,
        v: SAETRACE_VERSION,
      }),
    )
    .digest('hex')
    .slice(0, 24);
  return { key, file: join(LR_SEARCH_DIR, `${key}.json`) };
}

export const LR_SEARCH_DIR = '.cache/lr-search';

/** One rate's row of one size's search: read from its cache file, else trained (under a lock) and written. */
export async function sizeRate(p: ProfileSpec, st: SizeStores, lr: number): Promise<LrSearchRow> {
  const { file, key } = rateCacheFile(
    p,
    { trainKey: st.train.manifest.key, evalKey: st.eval.manifest.key, d: st.train.d, rows: st.train.rows },
    lr,
  );
  const cached = () => readRow(file);
  return (
    cached() ??
    (await withFileLock(join(LR_SEARCH_DIR, `${key}.lock`), async () => {
      const again = cached();
      if (again) return again;
      const cfg = profileSaeConfig(p, st.train.d);
      const batches = () =>
        (async function* () {
          for (let e = 0; e < p.sae.epochs; e++)
            for await (const b of st.train.batches({
              batchRows: cfg.batchSize,
              seed: `${p.seed}/epoch-${e}`,
              dropLast: true,
              shardsInMemory: SHARDS_IN_MEMORY,
            }))
              yield b.x;
        })();
      const validation = () =>
        (async function* () {
          for await (const b of st.eval.batches({ batchRows: 4096 })) yield b.x;
        })();
      const { rows } = await searchLearningRate({
        config: cfg,
        batches,
        steps: stepsOn(p, cfg, st.train.rows),
        validation,
        grid: [lr],
        session: { threads: p.threads },
      });
      const row = rows[0] as LrSearchRow;
      await writeJsonAtomic(file, { row: finiteRow(row) });
      return row;
    }))
  );
}

/**
 * Table 2, Table 3 and Figure 11: for every size of the family, at the last checkpoint and layer floor(L/2),
 * SAEs trained at each rate of the paper's grid (one cache entry per rate: `saetrace plan` makes each a job); the
 * rate with the lowest validation MSE is chosen, and its training time and the activations it used are recorded.
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
  const out: SizeResult[] = [];
  for (const size of sizes) {
    const st = await sizeStores(spec, p, size, options.progress);
    const rows: LrSearchRow[] = [];
    for (const lr of PAPER_LR_GRID) rows.push(await sizeRate(p, st, lr));
    // Rates within 1% of the lowest MSE are tied; the smallest is reported (see chooseRate).
    const best = chooseRate(rows, LR_TIE_RTOL);
    const cfg = profileSaeConfig(p, st.train.d);
    const shardRows = Math.max(...st.train.manifest.shards.map((s) => s.rows));
    out.push({
      size,
      layer: st.layer,
      d: st.train.d,
      rows,
      bestLr: best.lr,
      seconds: best.seconds,
      activationsTrained: stepsOn(p, cfg, st.train.rows) * cfg.batchSize,
      activationsBuffered: Math.min(st.train.rows, shardRows * SHARDS_IN_MEMORY),
    });
    options.log(`${size}: best lr ${best.lr} (validation MSE ${best.mse.toFixed(4)}), ${best.seconds.toFixed(1)} s`);
  }
  return { sizes: out, grid: PAPER_LR_GRID };
}

/** Validation MSEs within this relative distance of the lowest are a tie (Table 2 picks the smallest rate). */
const LR_TIE_RTOL = 0.01;

// JSON has no Infinity: a diverged rate (MSE Infinity) is stored as null and read back as Infinity.
function finiteRow(r: LrSearchRow): Record<string, number | null> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

/** A rate's cached row, or null when it is not cached. */
export function readRow(file: string): LrSearchRow | null {
  if (!existsSync(file)) return null;
  const j = readJsonRecord<{ row: Record<string, number | null> }>(
    file,
    'delete it to train that rate again (learning-rate search cache)',
    fields({ row: isObject }),
  );
  return Object.fromEntries(Object.entries(j.row).map(([k, v]) => [k, v ?? Infinity])) as unknown as LrSearchRow;
}

/** Sizes of a zoo profile in order (for reports). */
export function zooSizes(pair: string, profile: 'smoke' | 'default'): string[] {
  const f = join('.cache/zoo', pair, profile, 'family.json');
  return existsSync(f)
    ? readFamilyManifest(f).members.map((m) => m.size)
    : FAMILY_PROFILES[profile].members.map((m) => m.size);
}
