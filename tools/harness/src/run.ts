import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '@saetrace/engine';
import {
  compareFindings,
  compareGolden,
  goldenFamilyNote,
  goldenVersionNote,
  machineText,
  readGolden,
  type GoldenRow,
} from './golden.ts';
import { SPEC_KINDS } from './kinds/index.ts';
import { provenance } from './provenance.ts';
import { writeReportsIndex } from './index-report.ts';
import {
  formatIssue,
  knownExperiments,
  knownPairs,
  profileFamily,
  profileOf,
  readSpec,
  specFiles,
  type ExperimentSpec,
  type ProfileName,
  type ProfileSpec,
} from './spec.ts';
import type { Progress } from '@saetrace/engine';
import { planLine } from './plan.ts';
import { evaluateFindings, findingsMarkdown, type FindingContext, type FindingResult } from './findings.ts';
import { fields, isNumber, isObject, readJsonRecord } from '@saetrace/engine';
import { tidyCsv, tidyRows } from './tidy.ts';
import { cpuModel, readSpreadSummary, runFamily, spreadSummaryPath, type SpreadSummary } from './spread.ts';

export interface RunOutcome {
  readonly spec: ExperimentSpec;
  readonly profile: ProfileName;
  readonly resultsPath: string;
  readonly reportPath: string;
  readonly golden: 'passed' | 'failed' | 'updated' | 'missing';
  readonly rows: readonly GoldenRow[];
  /** Why the golden failed when no metric row says it (a golden of another spec version). */
  readonly goldenNote?: string;
}

/** Every spec, '<pair>/<id>': each pair in experiments/pairs/ with each experiment experiments/<id>.yaml. */
export function knownSpecs(root = 'experiments'): string[] {
  const ids = knownExperiments(root);
  return knownPairs(root)
    .flatMap((p) => ids.map((id) => `${p}/${id}`))
    .sort();
}

/** The experiment file of `<pair>/<id>`; an unknown pair or id lists what is known. */
export function specPath(name: string, root = 'experiments'): string {
  const f = specFiles(name, root);
  if (!existsSync(f.experiment) || !existsSync(f.pair))
    throw new Error(`unknown spec '${name}'; known specs: ${knownSpecs(root).join(', ') || '(none)'}`);
  return f.experiment;
}

/** Runs one spec at one profile: builds what is missing, writes results, compares with (or updates) the golden, writes the report. */
export async function runExperiment(
  name: string,
  profile: ProfileName,
  options: {
    updateGolden?: boolean;
    log?: (s: string) => void;
    progress?: Progress;
    /** The profile with one setting changed (a spread variant, tools/harness/src/spread.ts). */
    override?: (p: ProfileSpec) => ProfileSpec;
  } = {},
): Promise<RunOutcome> {
  const file = specPath(name);
  const parsed = readSpec(name);
  if (!parsed.ok) throw new Error(`invalid spec:\n${parsed.issues.map(formatIssue).join('\n')}`);
  const spec = parsed.spec;
  if (options.updateGolden && process.env.CI === 'true')
    throw new Error('refusing to write goldens under CI=true; run --update-golden locally and commit the result');
  const own = profileOf(spec, profile);
  const p = options.override ? options.override(own) : own;
  const log = options.log ?? (() => {});
  const goldenPath = join('golden', spec.pair, `${spec.id}.${profile}.json`);
  const golden = !options.updateGolden && existsSync(goldenPath) ? readGolden(goldenPath, name, profile) : null;
  const t0 = Date.now();
  const progress = options.progress;
  progress?.plan(planLine(spec, p));
  const out = await SPEC_KINDS[spec.kind].execute(spec, p, { log, progress });
  const { metrics, size } = out;
  const resultsPath = join('reports', spec.pair, `${spec.id}.${profile}.results.json`);
  const findings = evaluateFindings(spec.findings ?? [], metrics, findingContext(spec, profile, size));
  await writeJsonAtomic(resultsPath, {
    id: spec.id,
    version: spec.version,
    profile,
    pair: spec.pair,
    resolved: p,
    seed: p.seed,
    ...(size ? { size } : {}),
    metrics,
    ...(findings.length ? { findings } : {}),
  });
  const where = out.where;
  await writeFileAtomic(
    resultsPath.replace(/\.json$/, '.csv'),
    tidyCsv(tidyRows(metrics, { pair: spec.pair, spec: spec.id, profile, ...where })),
  );
  const prov = provenance({
    spec: file,
    pairFile: spec.files.pair,
    specVersion: spec.version,
    profile,
    seeds: { run: p.seed, ...('zoo' in p.family && p.family.seed !== undefined && { family: p.family.seed }) },
    threads: p.threads ?? null,
    wallSeconds: Math.round((Date.now() - t0) / 1000),
    timings: out.timings,
  });
  await writeJsonAtomic(join('reports', spec.pair, `${spec.id}.${profile}.provenance.json`), prov);
  let status: RunOutcome['golden'];
  let rows: GoldenRow[] = [];
  let goldenNote: string | undefined;
  const summaryPath = spreadSummaryPath(spec.pair, spec.id, profile);
  const here = { cpu: cpuModel(), threads: p.threads ?? null };
  // A spread summary of another spec version or family does not derive this golden's tolerances: not recorded.
  const applies = (s: SpreadSummary) =>
    (s.version === undefined || s.version === spec.version) &&
    (s.family ?? runFamily({}, profile)) === profileFamily(p);
  if (options.updateGolden) {
    await writeJsonAtomic(goldenPath, {
      id: spec.id,
      version: spec.version,
      profile,
      recorded: {
        ...here,
        ...(existsSync(summaryPath) && applies(readSpreadSummary(summaryPath)) && { spread: summaryPath }),
        ...(profileFamily(p) !== null && { family: profileFamily(p) }),
      },
      metrics,
      ...(findings.length ? { findings: recordedFindings(findings) } : {}),
    });
    status = 'updated';
  } else if (golden) {
    let summary = existsSync(summaryPath) ? readSpreadSummary(summaryPath) : null;
    // A spread measured on another spec version measured another pipeline: its sds do not apply.
    if (summary?.version !== undefined && summary.version !== spec.version) {
      log(
        `warning: ${summaryPath} was measured at spec version ${summary.version}, not ${spec.version}; its spread tolerances are not used (re-measure: tools/harness/scripts/spread-default.sh)`,
      );
      summary = null;
    }
    // A spread measured on another family definition (the pair has since moved, experiments/pairs/) does not apply.
    const family = profileFamily(p);
    if (summary && (summary.family ?? runFamily({}, profile)) !== family) {
      log(
        `warning: ${summaryPath} was measured on the ${summary.family ?? runFamily({}, profile)} family, not ${family}; its spread tolerances are not used (re-measure: tools/harness/scripts/spread-default.sh)`,
      );
      summary = null;
    }
    const measured = summary && {
      file: summaryPath,
      sd: (m: string) => {
        const sd = summary.metrics[m]?.sd;
        return typeof sd === 'number' ? sd : undefined;
      },
    };
    rows = [
      ...compareGolden(golden.metrics, metrics, spec.golden, measured ?? undefined),
      ...compareFindings(golden.findings, findings, summary?.findings),
    ];
    goldenNote =
      goldenVersionNote(goldenPath, golden.version, file, spec.version, name, profile) ??
      goldenFamilyNote(
        goldenPath,
        golden.recorded?.family ?? runFamily({}, profile),
        family,
        spec.files.pair,
        name,
        profile,
      );
    status = goldenNote === undefined && rows.every((r) => r.ok) ? 'passed' : 'failed';
  } else status = 'missing';
  const fmd = findingsMarkdown(findings, options.updateGolden ? recordedFindings(findings) : golden?.findings);
  // Which machine recorded the golden and which ran this, so a reader of a failure knows if CPUs differ.
  const machines =
    golden?.recorded && status !== 'updated'
      ? ` (golden recorded on ${machineText(golden.recorded)}; this run on ${machineText(here)})`
      : status === 'updated'
        ? ` (on ${machineText(here)})`
        : '';
  const reportPath = await out.report({ spec, profile, rows, status: `${status}${machines}`, prov, findings: fmd });
  await writeReportsIndex();
  return { spec, profile, resultsPath, reportPath, golden: status, rows, ...(goldenNote ? { goldenNote } : {}) };
}

/** The verdicts a golden records: findings that could not be evaluated are left out. */
export function recordedFindings(findings: readonly FindingResult[]): Record<string, boolean> {
  return Object.fromEntries(findings.filter((f) => f.holds !== null).map((f) => [f.id, f.holds as boolean]));
}

/**
 * Other specs' stored results of the same pair and profile, for findings across sizes: only results written
 * at the other spec's current version count (older ones answer 'missing', so a finding is never judged on stale numbers).
 */
export function findingContext(
  spec: ExperimentSpec,
  profile: ProfileName,
  size: string,
  options: { from?: 'results' | 'golden'; root?: string } = {},
): FindingContext {
  const root = options.root ?? 'experiments';
  const resultsOf = (id: string) => join('reports', spec.pair, `${id}.${profile}.results.json`);
  return {
    languages: spec.languages,
    size,
    metricsOf(id) {
      const path = options.from === 'golden' ? join('golden', spec.pair, `${id}.${profile}.json`) : resultsOf(id);
      if (!existsSync(path))
        return { missing: `${path} does not exist (run ${spec.pair}/${id} --profile ${profile} first)` };
      const other = readSpec(`${spec.pair}/${id}`, root);
      if (!other.ok) return { missing: `${spec.pair}/${id}: ${other.issues.map(formatIssue).join('; ')}` };
      let r: { version: number; metrics: Record<string, number>; size?: string };
      try {
        r = readJsonRecord(
          path,
          `run ${spec.pair}/${id} --profile ${profile} again`,
          fields({ version: isNumber, metrics: isObject }),
        );
      } catch (e) {
        return { missing: (e as Error).message };
      }
      if (r.version !== other.spec.version)
        return { missing: `${path} is of spec version ${r.version}, the spec is at ${other.spec.version}` };
      let named = r.size;
      if (named === undefined && options.from === 'golden' && existsSync(resultsOf(id)))
        named = readJsonRecord<{ size?: string }>(
          resultsOf(id),
          `run ${spec.pair}/${id} --profile ${profile} again`,
        ).size;
      return { metrics: r.metrics, size: typeof named === 'string' ? named : id };
    },
  };
}
