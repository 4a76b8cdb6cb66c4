import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureStat } from '@saetrace/metrics';
import type { SaeRecord } from '@saetrace/sae';

/** One cached SAE with its cached measurements (tools/harness/src/kinds/feature-dynamics.ts writes both). */
export interface CachedSae {
  /** The cache key (directory name under .cache/sae). */
  readonly key: string;
  readonly dir: string;
  readonly record: SaeRecord;
  readonly size: string;
  readonly step: number;
  readonly layer: number;
  /** The SAE recipe as a short label; SAEs of one recipe and size form the lineage chains. */
  readonly recipe: string;
  readonly measuredFile: string;
  /** The held-out activation store the measurements were made on. */
  readonly evalStoreDir: string;
}

export interface Measured {
  readonly stats: FeatureStat[];
  readonly fvu: number;
  readonly l0: number;
}

/** JSON has no NaN or Infinity; the harness writes them as this prefix and the number's name. */
const NON_FINITE = '__number:';

export function readMeasured(file: string): Measured {
  try {
    return JSON.parse(readFileSync(file, 'utf8'), (_k, v: unknown) =>
      typeof v === 'string' && v.startsWith(NON_FINITE) ? Number(v.slice(NON_FINITE.length)) : v,
    ) as Measured;
  } catch (e) {
    throw new Error(`${file}: unreadable cached measurements (${(e as Error).message})`);
  }
}

/** Size and step from a zoo checkpoint directory (.cache/zoo/<pair>/<zoo>/<size>/step-000123); null for others. */
export function parseCheckpointDir(dir: string): { zoo: string; size: string; step: number } | null {
  const m = /zoo\/[^/]+\/([^/]+)\/([^/]+)\/step-0*(\d+)\/?$/.exec(dir.replace(/\\/g, '/'));
  return m ? { zoo: m[1] as string, size: m[2] as string, step: Number(m[3]) } : null;
}

export function recipeOf(r: SaeRecord): string {
  const c = r.config;
  return `n${c.n}-k${c.k}-lr${c.lr}-b${c.batchSize}-w${c.warmupSteps}-s${c.seed}-t${r.training?.tokens ?? '?'}`;
}

const newest = (files: string[]) => files.map((f) => ({ f, t: statSync(f).mtimeMs })).sort((a, b) => b.t - a.t)[0]?.f;

/**
 * Every SAE under cacheDir/sae trained on a zoo checkpoint of the pair and zoo profile that has cached
 * measurements. The eval store is the activation store whose key starts with the metrics-<key> directory's
 * name (saveFeatureMetrics writes it beside the measurements); the newest measurement file wins when several exist.
 */
export function scanCache(cacheDir: string, pair: string, zoo: string): CachedSae[] {
  const saeRoot = join(cacheDir, 'sae');
  const actRoot = join(cacheDir, 'activations');
  if (!existsSync(saeRoot))
    throw new Error(
      `${saeRoot}: no cached SAEs (run a feature-dynamics spec first, e.g. npx saetrace run ${pair}/figure5 --profile ${zoo})`,
    );
  const stores = existsSync(actRoot)
    ? readdirSync(actRoot).filter((d) => existsSync(join(actRoot, d, 'manifest.json')))
    : [];
  const storeKey = new Map<string, string>();
  const out: CachedSae[] = [];
  for (const key of readdirSync(saeRoot).sort()) {
    const dir = join(saeRoot, key);
    const cfgFile = join(dir, 'cfg.json');
    if (!existsSync(cfgFile) || !existsSync(join(dir, 'sae.safetensors'))) continue;
    let record: SaeRecord;
    try {
      record = JSON.parse(readFileSync(cfgFile, 'utf8')) as SaeRecord;
    } catch (e) {
      throw new Error(`${cfgFile}: ${(e as Error).message}`);
    }
    if (record.model !== pair) continue;
    const ck = parseCheckpointDir(record.checkpoint);
    if (!ck || ck.zoo !== zoo) continue;
    const files = readdirSync(dir);
    const measuredFile = newest(files.filter((f) => /^measured-.*\.json$/.test(f)).map((f) => join(dir, f)));
    const metricsDir = newest(files.filter((f) => /^metrics-[0-9a-f]+$/.test(f)).map((f) => join(dir, f)));
    if (!measuredFile || !metricsDir) continue;
    const prefix = metricsDir.slice(metricsDir.lastIndexOf('metrics-') + 'metrics-'.length);
    let evalStoreDir: string | undefined;
    for (const s of stores) {
      let k = storeKey.get(s);
      if (k === undefined) {
        k = (JSON.parse(readFileSync(join(actRoot, s, 'manifest.json'), 'utf8')) as { key: string }).key;
        storeKey.set(s, k);
      }
      if (k.startsWith(prefix)) {
        evalStoreDir = join(actRoot, s);
        break;
      }
    }
    if (!evalStoreDir)
      throw new Error(
        `${metricsDir}: no activation store under ${actRoot} has a key starting ${prefix} (the measurements' evaluation store is gone)`,
      );
    out.push({
      key,
      dir,
      record,
      size: ck.size,
      step: ck.step,
      layer: record.layer,
      recipe: recipeOf(record),
      measuredFile,
      evalStoreDir,
    });
  }
  return out.sort(
    (a, b) => a.size.localeCompare(b.size) || a.recipe.localeCompare(b.recipe) || a.layer - b.layer || a.step - b.step,
  );
}
