// How much each result of a spec moves between honest runs, by source (issue "Reproducible on any machine"):
// the run seed (activation sampling, SAE init and batches), the family's training seed, the thread count and
// the CPU. Each run is one JSON file under reports/spread/<pair>/<id>.<profile>/, so runs made on other
// machines are added by committing their files; the summary (<id>.<profile>.json and .md beside that folder)
// is what golden tolerances are derived from (golden.ts, `spread` tolerances).
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { fields, isNumber, isObject, isString, readJsonRecord } from '@saetrace/engine';
import { FAMILY_PROFILES } from '@saetrace/lm';
import type { ProfileName, ProfileSpec } from './spec.ts';

export type SpreadSource = 'base' | 'run-seed' | 'family-seed' | 'seeds' | 'threads';

/** One way of re-running a spec: the spec as written, or with one setting changed. */
export interface Variant {
  readonly source: SpreadSource;
  /** The value of the changed setting (absent for base). */
  readonly value?: number;
}

/** 'base', 'seed=2', 'family-seed=1235', 'seeds=2' or 'threads=1'; null when the text is none of them. */
export function parseVariant(text: string): Variant | null {
  if (text === 'base') return { source: 'base' };
  const m = /^(seed|family-seed|seeds|threads)=(\d+)$/.exec(text);
  if (!m) return null;
  const value = Number(m[2]);
  if (m[1] === 'threads' && (value < 1 || value > 1024)) return null;
  return { source: m[1] === 'seed' ? 'run-seed' : (m[1] as SpreadSource), value };
}

export function variantName(v: Variant): string {
  if (v.source === 'base') return 'base';
  return `${v.source === 'run-seed' ? 'seed' : v.source}=${v.value}`;
}

/** The profile a variant runs: the spec's, with the one setting changed. */
export function variantProfile(p: ProfileSpec, v: Variant): ProfileSpec {
  if (v.source === 'run-seed') return { ...p, seed: v.value as number };
  if (v.source === 'threads') return { ...p, threads: v.value as number };
  if (v.source === 'seeds') {
    // Both seeds move together (run --seeds N): the family seed by as much from its own as the run seed.
    const seed = v.value as number;
    if (!('zoo' in p.family)) return { ...p, seed };
    const familySeed = FAMILY_PROFILES[p.family.zoo].seed + (seed - p.seed);
    return { ...p, seed, family: { ...p.family, seed: familySeed } };
  }
  if (v.source === 'family-seed') {
    if (!('zoo' in p.family))
      throw new Error('a family-seed variant needs a profile that trains its family (family: { zoo: ... })');
    return { ...p, family: { ...p.family, seed: v.value as number } };
  }
  return p;
}

/** The family a stored run used: its record, else the profile's own (runs stored before pairs changed family). */
export function runFamily(r: Pick<SpreadRun, 'family'>, profile: ProfileName): string | null {
  return r.family ?? (profile === 'paper' ? null : profile);
}

/** One stored run. */
export interface SpreadRun {
  readonly variant: string;
  /** The spec version the run was made under; a summary reads only runs of the spec's current version. */
  readonly version: number;
  /**
   * Set when an imported run of an older version is counted under the current one: someone checked that the
   * version change leaves its metrics as they were (a metric it lacks stays missing), and says why.
   */
  readonly carried?: { readonly from: number; readonly why: string };
  readonly source: SpreadSource;
  /**
   * The embedded family the run used (its definition's name, e.g. default-2); absent in runs stored before a
   * pair could change family, which used the profile's own (runFamily).
   */
  readonly family?: string;
  readonly cpu: string;
  readonly threads: number | null;
  readonly seed: number;
  readonly familySeed: number | null;
  readonly metrics: Readonly<Record<string, number>>;
  readonly findings: Readonly<Record<string, boolean | null>>;
}

export function spreadDir(pair: string, id: string, profile: ProfileName, root = 'reports/spread'): string {
  return join(root, pair, `${id}.${profile}`);
}

/** A file name for a run: the CPU model and the variant, in characters any file system takes. */
export function runFileName(cpu: string, variant: string): string {
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/\(r\)|\(tm\)/g, '')
      .replace(/[^a-z0-9=.]+/g, '-')
      .replace(/^-+|-+$/g, '');
  return `${slug(cpu)}.${slug(variant)}.json`;
}

export function readSpreadRun(path: string): SpreadRun {
  return readJsonRecord<SpreadRun>(
    path,
    'delete it and make the run again with `saetrace spread`',
    fields({
      variant: isString,
      version: isNumber,
      source: isString,
      cpu: isString,
      seed: isNumber,
      metrics: isObject,
      findings: isObject,
    }),
  );
}

/** Every run stored in a spread folder, with its file name, in name order. */
export function readSpreadRuns(dir: string): (SpreadRun & { readonly file: string })[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ ...readSpreadRun(join(dir, f)), file: f }));
}

/**
 * A scratch working directory for one variant: the repository's specs, data and packages linked in, the
 * family cache shared (a family is keyed by its seed, tools/harness/src/family.ts), every other cache and the
 * reports its own. A thread count does not enter the activation or SAE cache keys (the kernels are written to
 * give the same bytes on any count, libs/sae/native/sae_step.c), so a threads variant must not reuse them:
 * here it cannot.
 */
export function scratchDir(repo: string, pair: string, profile: ProfileName, variant: string): string {
  // One per pair, profile and variant, so the specs of one variant share caches as they do in the repository.
  const dir = resolve(repo, '.cache/spread', `${pair}.${profile}`, variant.replace(/[^a-z0-9=-]/gi, '_'));
  mkdirSync(join(dir, '.cache'), { recursive: true });
  mkdirSync(join(repo, '.cache/zoo'), { recursive: true });
  for (const [link, target] of [
    ['experiments', 'experiments'],
    ['data', 'data'],
    ['golden', 'golden'],
    ['package.json', 'package.json'],
    ['node_modules', 'node_modules'],
    ['.cache/zoo', '.cache/zoo'],
  ] as const)
    if (!existsSync(join(dir, link))) symlinkSync(resolve(repo, target), join(dir, link));
  return dir;
}

export function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() || 'unknown';
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
}

export interface MetricSpread {
  /** Every run's value, in run order (NaN where a run lacks the metric). */
  readonly values: readonly number[];
  /** sd over all runs: the run-to-run spread a golden tolerance is k times. */
  readonly sd: number;
  /** sd within each source: that source's runs with the base run of the same CPU. */
  readonly bySource: Readonly<Partial<Record<SpreadSource | 'cpu', number>>>;
}

export interface SpreadSummary {
  readonly pair: string;
  readonly id: string;
  readonly profile: ProfileName;
  readonly runs: readonly {
    readonly file: string;
    readonly variant: string;
    readonly cpu: string;
    readonly carried?: SpreadRun['carried'];
  }[];
  /** Degrees of freedom of the all-runs sd (runs - 1). */
  readonly df: number;
  /**
   * k for golden tolerances at a family-wise false-alarm rate of `alpha` over `compared` metrics, at the fewest
   * degrees of freedom among them (`df`: a metric some runs lack has its sd from fewer runs).
   */
  readonly k: { readonly alpha: number; readonly compared: number; readonly df: number; readonly value: number };
  /** The spec version every counted run was made under, and runs of other versions left out. */
  readonly version?: number;
  /** The embedded family every counted run used (absent: the profile's own, as in summaries written before). */
  readonly family?: string;
  readonly stale?: readonly { readonly file: string; readonly version: number; readonly family?: string }[];
  readonly metrics: Readonly<Record<string, MetricSpread>>;
  /** Per finding: in how many runs it held, of how many evaluated. */
  readonly findings: Readonly<Record<string, { readonly held: number; readonly of: number }>>;
}

/**
 * The tolerance multiplier for comparing one new run with one golden run when the run-to-run sd is estimated
 * from `df` degrees of freedom: their difference has sd sqrt(2) sigma, and a Student-t quantile at a
 * Bonferroni share of the family-wise false-alarm rate `alpha` over `compared` metrics covers the sd's own
 * estimation error. k = sqrt(2) t_df(1 - alpha / (2 compared)).
 */
export function toleranceK(df: number, alpha: number, compared: number): number {
  if (!(df >= 1)) return Number.POSITIVE_INFINITY;
  return Math.SQRT2 * tQuantile(1 - alpha / (2 * Math.max(1, compared)), df);
}

export function summariseSpread(
  pair: string,
  id: string,
  profile: ProfileName,
  runs: readonly (SpreadRun & { readonly file: string })[],
  /** The metrics a golden compares (those with a tolerance): the family over which false alarms are counted. */
  compared: (metric: string) => boolean = () => true,
  alpha = 0.05,
): SpreadSummary {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const base = (cpu: string) => runs.filter((r) => r.source === 'base' && r.cpu === cpu);
  const metrics: Record<string, MetricSpread> = {};
  for (const name of names) {
    const values = runs.map((r) => r.metrics[name] ?? Number.NaN);
    const finite = values.filter(Number.isFinite);
    const bySource: Partial<Record<SpreadSource | 'cpu', number>> = {};
    for (const source of ['run-seed', 'family-seed', 'seeds', 'threads'] as const) {
      const of = runs.filter((r) => r.source === source);
      if (!of.length) continue;
      const cpus = [...new Set(of.map((r) => r.cpu))];
      const xs = [...of, ...cpus.flatMap(base)].map((r) => r.metrics[name]).filter(Number.isFinite) as number[];
      bySource[source] = sampleSd(xs);
    }
    const bases = runs.filter((r) => r.source === 'base');
    if (new Set(bases.map((r) => r.cpu)).size > 1)
      bySource.cpu = sampleSd(bases.map((r) => r.metrics[name]).filter(Number.isFinite) as number[]);
    metrics[name] = { values, sd: sampleSd(finite), bySource };
  }
  const findingIds = [...new Set(runs.flatMap((r) => Object.keys(r.findings)))].sort();
  const findings: Record<string, { held: number; of: number }> = {};
  for (const f of findingIds) {
    const vs = runs.map((r) => r.findings[f]).filter((v): v is boolean => typeof v === 'boolean');
    findings[f] = { held: vs.filter(Boolean).length, of: vs.length };
  }
  const df = runs.length - 1;
  const comparedNames = names.filter(compared);
  const kDf = Math.min(
    df,
    ...comparedNames.map((n) => (metrics[n] as MetricSpread).values.filter(Number.isFinite).length - 1),
  );
  return {
    pair,
    id,
    profile,
    runs: runs.map((r) => ({
      file: r.file,
      variant: r.variant,
      cpu: r.cpu,
      ...(r.carried ? { carried: r.carried } : {}),
    })),
    df,
    k: { alpha, compared: comparedNames.length, df: kDf, value: toleranceK(kDf, alpha, comparedNames.length) },
    metrics,
    findings,
  };
}

/** A metric name with its checkpoint and layer replaced by '*', so metrics of one kind are summarised together. */
export function metricPattern(name: string): string {
  return name.replace(/^step-\d+@L\d+\//, '*/').replace(/^step-\d+@L\d+$/, '*');
}

const fmt = (x: number) => (Number.isFinite(x) ? (x === 0 ? '0' : x.toPrecision(3)) : '-');

function median(xs: readonly number[]): number {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function spreadMarkdown(s: SpreadSummary, title: string): string {
  const sources = ['run-seed', 'family-seed', 'seeds', 'threads', 'cpu'] as const;
  const present = sources.filter((src) => Object.values(s.metrics).some((m) => m.bySource[src] !== undefined));
  const patterns = new Map<string, MetricSpread[]>();
  for (const [name, m] of Object.entries(s.metrics)) {
    const p = metricPattern(name);
    patterns.set(p, [...(patterns.get(p) ?? []), m]);
  }
  const lines = [
    `# Spread: ${title} (${s.pair}, ${s.profile} profile)`,
    '',
    `Each run below is the spec re-run with one setting changed (\`saetrace spread ${s.pair}/${s.id} --profile ${s.profile}\`;`,
    "its file is in the folder beside this report). Per source, the sd is over that source's runs and the base run of",
    'the same CPU; "cpu" is the sd over the base runs of different CPUs; "all" is the sd over every run, the spread a',
    'golden tolerance is k times (`spread` tolerances in the spec, tools/harness/src/golden.ts).',
    '',
    '| run | CPU | variant |',
    '|---|---|---|',
    ...s.runs.map(
      (r) =>
        `| ${r.file} | ${r.cpu} | ${r.variant}${r.carried ? ` (made under spec version ${r.carried.from}, counted: ${r.carried.why})` : ''} |`,
    ),
    '',
    ...(s.stale?.length
      ? [
          `Left out, made under another spec version than ${s.version}: ${s.stale.map((r) => `${r.file} (version ${r.version})`).join(', ')}.`,
          '',
        ]
      : []),
    `k for a family-wise false-alarm rate of ${s.k.alpha} over the ${s.k.compared} metrics the golden compares, with the sd estimated on ${s.k.df}`,
    `degrees of freedom (the fewest among them): sqrt(2) t_${s.k.df}(1 - ${s.k.alpha}/(2 x ${s.k.compared})) = ${fmt(s.k.value)}.`,
    '',
    '## Findings',
    '',
    '| finding | held in |',
    '|---|---|',
    ...Object.entries(s.findings).map(
      ([f, v]) =>
        `| ${f} | ${v.held} of ${v.of} runs${v.held > 0 && v.held < v.of ? ' (unstable: not judged by the golden)' : ''} |`,
    ),
    '',
    '## sd by metric kind (median and largest over checkpoints and layers)',
    '',
    `| metric | count | ${present.map((p) => `${p} median | ${p} max`).join(' | ')} | all median | all max |`,
    `|---|---|${present.map(() => '---|---').join('|')}|---|---|`,
    ...[...patterns.entries()].map(([p, ms]) => {
      const cell = (src: (typeof sources)[number]) => {
        const xs = ms.map((m) => m.bySource[src] ?? Number.NaN);
        return `${fmt(median(xs))} | ${fmt(Math.max(...xs.filter(Number.isFinite)))}`;
      };
      const all = ms.map((m) => m.sd);
      return `| ${p} | ${ms.length} | ${present.map(cell).join(' | ')} | ${fmt(median(all))} | ${fmt(Math.max(...all))} |`;
    }),
    '',
    '## Every metric',
    '',
    '<details><summary>values per run and sd per source</summary>',
    '',
    `| metric | ${s.runs.map((_, i) => `run ${i + 1}`).join(' | ')} | ${present.join(' | ')} | all |`,
    `|---|${s.runs.map(() => '---').join('|')}|${present.map(() => '---').join('|')}|---|`,
    ...Object.entries(s.metrics).map(
      ([name, m]) =>
        `| ${name} | ${m.values.map(fmt).join(' | ')} | ${present.map((p) => fmt(m.bySource[p] ?? Number.NaN)).join(' | ')} | ${fmt(m.sd)} |`,
    ),
    '',
    '</details>',
    '',
  ];
  return lines.join('\n');
}

/** The summary file a spec's `spread` tolerances read (absent: the spec's fixed tolerances apply). */
export function spreadSummaryPath(pair: string, id: string, profile: ProfileName, root = 'reports/spread'): string {
  return join(root, pair, `${id}.${profile}.json`);
}

export function readSpreadSummary(path: string): SpreadSummary {
  return readJsonRecord<SpreadSummary>(
    path,
    'rewrite it with `saetrace spread <pair>/<id> --profile <profile> --summarise`',
    fields({ df: isNumber, metrics: isObject, findings: isObject, k: isObject }),
  );
}
