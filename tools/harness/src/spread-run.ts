// Making spread runs and their summary (spread.ts holds the pure parts): used by `saetrace spread` and by
// `saetrace run --seeds N`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  fields,
  isArray,
  isNumber,
  isObject,
  readJsonRecord,
  writeFileAtomic,
  writeJsonAtomic,
} from '@saetrace/engine';
import { toleranceFor } from './golden.ts';
import { runExperiment } from './run.ts';
import { profileFamily, profileOf, type ExperimentSpec, type ProfileName } from './spec.ts';
import {
  cpuModel,
  readSpreadRun,
  readSpreadRuns,
  runFamily,
  runFileName,
  scratchDir,
  spreadDir,
  spreadMarkdown,
  spreadSummaryPath,
  summariseSpread,
  variantName,
  variantProfile,
  type SpreadRun,
  type SpreadSummary,
  type Variant,
} from './spread.ts';

interface StoredResults {
  readonly version: number;
  readonly metrics: Record<string, number>;
  readonly findings?: readonly { id: string; holds: boolean | null }[];
  readonly seed: number;
  readonly resolved: { family: object; threads?: number };
}

function readResults(path: string): StoredResults {
  return readJsonRecord<StoredResults>(
    path,
    'run the spec again',
    fields({
      version: isNumber,
      metrics: isObject,
      seed: isNumber,
      resolved: isObject,
      findings: (x) => x === undefined || isArray(x),
    }),
  );
}

function asRun(r: StoredResults, variant: Variant, cpu: string, threads: number | null): SpreadRun {
  const fam = r.resolved.family as { seed?: number; zoo?: string };
  return {
    variant: variantName(variant),
    version: r.version,
    source: variant.source,
    ...(typeof fam.zoo === 'string' && { family: fam.zoo }),
    cpu,
    threads,
    seed: r.seed,
    familySeed: typeof fam.seed === 'number' ? fam.seed : null,
    metrics: r.metrics,
    findings: Object.fromEntries((r.findings ?? []).map((f) => [f.id, f.holds])),
  };
}

/**
 * Stores a results.json made elsewhere (its provenance.json beside it) as that machine's base run. Results of
 * another spec version are refused unless `carry` says why their metrics still hold under this one.
 */
export async function importRun(
  spec: ExperimentSpec,
  profile: ProfileName,
  file: string,
  carry?: string,
): Promise<string> {
  const prov = file.replace(/\.results\.json$/, '.provenance.json');
  if (!existsSync(prov)) throw new Error(`${file}: no ${prov} beside it (its CPU and threads)`);
  const p = readJsonRecord<{ machine: { cpus: string }; threads: number | null }>(
    prov,
    'it is written by every run',
    fields({ machine: isObject }),
  );
  const results = readResults(file);
  let run = asRun(results, { source: 'base' }, p.machine.cpus.trim(), p.threads ?? null);
  if (results.version !== spec.version) {
    if (!carry)
      throw new Error(
        `${file}: results of spec version ${results.version}, but ${spec.files.experiment} is at version ${spec.version}; run the spec again there, or pass --carry "<why its metrics are unchanged>"`,
      );
    run = { ...run, version: spec.version, carried: { from: results.version, why: carry } };
  }
  const out = join(spreadDir(spec.pair, spec.id, profile), runFileName(run.cpu, run.variant));
  await writeJsonAtomic(out, run);
  return out;
}

/**
 * Runs one variant of a spec in its scratch directory and stores it; a run already stored for this CPU and
 * variant at the spec's version is kept (null returned), so a sweep resumes; one of another version is replaced.
 */
export async function runVariant(
  name: string,
  spec: ExperimentSpec,
  profile: ProfileName,
  v: Variant,
  log: (s: string) => void,
): Promise<string | null> {
  const cpu = cpuModel();
  const out = join(spreadDir(spec.pair, spec.id, profile), runFileName(cpu, variantName(v)));
  if (existsSync(out)) {
    const have = readSpreadRun(out);
    if (have.version === spec.version && runFamily(have, profile) === profileFamily(profileOf(spec, profile)))
      return null;
  }
  const repo = process.cwd();
  const scratch = scratchDir(repo, spec.pair, profile, variantName(v));
  process.chdir(scratch);
  let results: StoredResults;
  try {
    const outcome = await runExperiment(name, profile, { override: (p) => variantProfile(p, v), log });
    results = readResults(outcome.resultsPath);
  } finally {
    process.chdir(repo);
  }
  const threads = variantProfile(profileOf(spec, profile), v).threads ?? null;
  await writeJsonAtomic(out, asRun(results, v, cpu, threads));
  return out;
}

/** Rewrites reports/spread/<pair>/<id>.<profile>.{json,md} from every stored run (null when there is none). */
export async function writeSpreadSummary(spec: ExperimentSpec, profile: ProfileName): Promise<SpreadSummary | null> {
  const all = readSpreadRuns(spreadDir(spec.pair, spec.id, profile));
  // Runs of another spec version, or of another family, measure another pipeline: listed, not counted.
  const family = profileFamily(profileOf(spec, profile));
  const current = (r: (typeof all)[number]) => r.version === spec.version && runFamily(r, profile) === family;
  const files = all.filter(current);
  if (!files.length) return null;
  const summary = {
    ...summariseSpread(spec.pair, spec.id, profile, files, (m) => toleranceFor(m, spec.golden) !== null),
    version: spec.version,
    ...(family !== null && { family }),
    stale: all
      .filter((r) => !current(r))
      .map((r) => ({ file: r.file, version: r.version, ...(r.family !== undefined && { family: r.family }) })),
  };
  const path = spreadSummaryPath(spec.pair, spec.id, profile);
  await writeJsonAtomic(path, summary);
  await writeFileAtomic(path.replace(/\.json$/, '.md'), spreadMarkdown(summary, spec.title));
  return summary;
}
