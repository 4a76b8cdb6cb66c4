import { fields, isNumber, isObject, readJsonRecord } from '@saetrace/engine';
import type { ProfileName, Tolerance } from './spec.ts';

/** `findings`: which of the spec's findings held in the recorded run (absent in goldens recorded before findings existed). */
export interface GoldenFile {
  readonly version: number;
  readonly metrics: Record<string, number>;
  readonly findings?: Record<string, boolean>;
  /** The machine that recorded it, and the spread summary its tolerances were derived from (if any). */
  readonly recorded?: GoldenRecorded;
}

export interface GoldenRecorded {
  readonly cpu: string;
  readonly threads: number | null;
  readonly spread?: string;
  /** The embedded family the results came from (absent in goldens recorded before: the profile's own). */
  readonly family?: string;
}

/** 'Intel(R) Xeon(R) Processor, 2 threads' */
export function machineText(m: { cpu: string; threads: number | null }): string {
  return `${m.cpu}, ${m.threads === null ? 'default' : m.threads} thread${m.threads === 1 ? '' : 's'}`;
}

/** A golden file, read and checked (the harness reads it before the run, so a damaged one costs no computation). */
export function readGolden(path: string, name: string, profile: ProfileName): GoldenFile {
  return readJsonRecord<GoldenFile>(
    path,
    `restore it from git (git checkout -- ${path}) or record it anew with \`saetrace run ${name} --profile ${profile} --update-golden\``,
    fields({
      version: isNumber,
      metrics: isObject,
      findings: (x: unknown) =>
        x === undefined || (isObject(x) && Object.values(x as object).every((v) => typeof v === 'boolean')),
      recorded: (x: unknown) => x === undefined || (isObject(x) && typeof (x as { cpu?: unknown }).cpu === 'string'),
    }),
  );
}

/** Why a golden of another spec version cannot judge a run (undefined when the versions agree). */
export function goldenVersionNote(
  goldenPath: string,
  goldenVersion: number,
  specFile: string,
  specVersion: number,
  name: string,
  profile: ProfileName,
): string | undefined {
  if (goldenVersion === specVersion) return undefined;
  return `${goldenPath} holds results of spec version ${goldenVersion}, but ${specFile} is at version ${specVersion}, so the golden cannot judge this run; if the spec change is meant, check these results and record them with \`saetrace run ${name} --profile ${profile} --update-golden\`, else restore the spec from git`;
}

/**
 * Why a golden recorded on another embedded family cannot judge a run (undefined when the families agree): a pair
 * that moved to a new family definition (experiments/pairs/<pair>.yaml `families`) re-records its goldens on it.
 */
export function goldenFamilyNote(
  goldenPath: string,
  recorded: string | null,
  family: string | null,
  pairFile: string,
  name: string,
  profile: ProfileName,
): string | undefined {
  if (recorded === family) return undefined;
  return `${goldenPath} holds results of the ${recorded ?? 'checkpoint-paths'} family, but ${pairFile} now gives this profile the ${family ?? 'checkpoint-paths'} family, so the golden cannot judge this run; check these results and record them with \`saetrace run ${name} --profile ${profile} --update-golden\`, or restore the pair file from git`;
}

export interface GoldenRow {
  readonly metric: string;
  readonly expected: number | null;
  readonly got: number | null;
  readonly tolerance: string;
  readonly ok: boolean;
}

/** Flattens nested results into 'a/b/c' metric names (numbers only). */
export function flattenMetrics(x: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof x === 'number') out[prefix] = x;
  else if (x && typeof x === 'object')
    for (const [k, v] of Object.entries(x)) flattenMetrics(v, prefix ? `${prefix}/${k}` : k, out);
  return out;
}

/** The tolerance for a metric: the first pattern (segments, '*' matching one) that matches it. */
export function toleranceFor(metric: string, golden: Readonly<Record<string, Tolerance>>): Tolerance | null {
  const segs = metric.split('/');
  for (const [pattern, tol] of Object.entries(golden)) {
    const ps = pattern.split('/');
    if (ps.length === segs.length && ps.every((p, i) => p === '*' || p === segs[i])) return tol;
  }
  return null;
}

/**
 * z standard errors of the difference of two proportions p_e (over n_e items) and p_g (over n_g), at the
 * pooled proportion: the sampling noise of a share measured on a few hundred features. NaN when either
 * count is missing or zero, so the allowance stays atol + rtol.
 */
export function proportionAllowance(
  pe: number,
  ne: number | undefined,
  pg: number,
  ng: number | undefined,
  z: number,
): number {
  if (ne === undefined || ng === undefined || !(ne > 0) || !(ng > 0)) return NaN;
  const pooled = (pe * ne + pg * ng) / (ne + ng);
  return z * Math.sqrt(Math.max(0, pooled * (1 - pooled)) * (1 / ne + 1 / ng));
}

/** The measured run-to-run spread a `spread` tolerance reads: a metric's sd over a spread summary's runs. */
export interface MeasuredSpread {
  /** The summary file, named in the tolerance column. */
  readonly file: string;
  readonly sd: (metric: string) => number | undefined;
}

function within(expected: number, got: number, t: Tolerance, sampling: number, derived: number): boolean {
  const fixed = (t.atol ?? 0) + (t.rtol ?? 0) * Math.abs(expected);
  const allowed = Number.isFinite(derived) ? derived : sampling > fixed ? sampling : fixed;
  const diff = got - expected;
  if (Number.isNaN(expected) || Number.isNaN(got)) return Number.isNaN(expected) && Number.isNaN(got);
  if (t.side === 'higher-is-better') return diff >= -allowed;
  if (t.side === 'lower-is-better') return diff <= allowed;
  return Math.abs(diff) <= allowed;
}

/**
 * Compares every metric that has a tolerance. A metric in the golden file missing from the results, or the
 * reverse, fails. Returns one row per compared metric.
 */
export function compareGolden(
  expected: Readonly<Record<string, number>>,
  got: Readonly<Record<string, number>>,
  golden: Readonly<Record<string, Tolerance>>,
  spread?: MeasuredSpread,
): GoldenRow[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(got)])]
    .filter((m) => toleranceFor(m, golden))
    .sort();
  return names.map((metric) => {
    const t = toleranceFor(metric, golden) as Tolerance;
    const e = expected[metric];
    const g = got[metric];
    let sampling = NaN;
    if (t.proportionOf && e !== undefined && g !== undefined) {
      const countName = `${metric.split('/')[0]}/${t.proportionOf.count}`;
      sampling = proportionAllowance(e, expected[countName], g, got[countName], t.proportionOf.z);
    }
    const sd = t.spread && spread ? spread.sd(metric) : undefined;
    const derived =
      t.spread && sd !== undefined && Number.isFinite(sd) ? Math.max(t.spread.floor, t.spread.k * sd) : NaN;
    const parts = [t.atol !== undefined ? `atol ${t.atol}` : '', t.rtol !== undefined ? `rtol ${t.rtol}` : '']
      .filter(Boolean)
      .join(', ');
    const fixedTol = `${parts}${t.proportionOf ? ` or ${t.proportionOf.z} s.e. over ${t.proportionOf.count}${Number.isFinite(sampling) ? ` (${sampling.toFixed(3)})` : ''}` : ''}${t.side && t.side !== 'both' ? ` (${t.side})` : ''}`;
    return {
      metric,
      expected: e ?? null,
      got: g ?? null,
      tolerance: Number.isFinite(derived)
        ? `${t.spread?.k} sd of ${spread?.file} (sd ${(sd as number).toPrecision(3)}; floor ${t.spread?.floor}: ${derived.toPrecision(3)})${t.side && t.side !== 'both' ? ` (${t.side})` : ''}`
        : fixedTol,
      ok: e !== undefined && g !== undefined && within(e, g, t, sampling, derived),
    };
  });
}

/**
 * One row per finding the golden records: a finding that held there and does not now (or the reverse) fails,
 * so a change that breaks one of the paper's findings, or makes one appear, is caught. A finding that could not
 * be evaluated in this run (an input spec's results missing) fails too: the golden says it can be.
 */
export function compareFindings(
  expected: Readonly<Record<string, boolean>> | undefined,
  got: readonly { id: string; holds: boolean | null }[],
  /** Per finding, in how many of a spread summary's runs it held: a verdict that differed between honest runs is not judged. */
  measured?: Readonly<Record<string, { held: number; of: number }>>,
): GoldenRow[] {
  if (!expected) return [];
  const ids = [...new Set([...Object.keys(expected), ...got.map((g) => g.id)])].sort();
  return ids.map((id) => {
    const e = expected[id];
    const g = got.find((x) => x.id === id)?.holds;
    const num = (x: boolean | null | undefined) => (x === undefined || x === null ? null : x ? 1 : 0);
    const m = measured?.[id];
    if (m && m.held > 0 && m.held < m.of)
      return {
        metric: `finding/${id}`,
        expected: num(e),
        got: num(g),
        tolerance: `not judged: held in ${m.held} of ${m.of} spread runs`,
        ok: true,
      };
    return {
      metric: `finding/${id}`,
      expected: num(e),
      got: num(g),
      tolerance: 'same verdict (1 holds, 0 not reproduced)',
      ok: e !== undefined && g !== undefined && g !== null && e === g,
    };
  });
}

export function goldenTable(rows: readonly GoldenRow[], onlyFailures = true): string {
  const show = onlyFailures ? rows.filter((r) => !r.ok) : rows;
  const fmt = (x: number | null) => (x === null ? 'missing' : Number.isInteger(x) ? String(x) : x.toPrecision(6));
  return [
    '| metric | expected | got | tolerance | |',
    '|---|---|---|---|---|',
    ...show.map(
      (r) => `| ${r.metric} | ${fmt(r.expected)} | ${fmt(r.got)} | ${r.tolerance} | ${r.ok ? 'ok' : 'FAIL'} |`,
    ),
  ].join('\n');
}
