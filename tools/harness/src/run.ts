import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '@saetrace/engine';
import { renderLineChart, renderStackedArea, type Point } from '../../report/charts.ts';
import {
  compareFindings,
  compareGolden,
  flattenMetrics,
  goldenTable,
  goldenVersionNote,
  readGolden,
  type GoldenRow,
} from './golden.ts';
import { featureDynamics, type DynamicsResult } from './kinds/feature-dynamics.ts';
import { interventionExperiment, type InterventionResult } from './kinds/intervention.ts';
import { saeSizes, type SaeSizesResult } from './kinds/sae-sizes.ts';
import { provenance } from './provenance.ts';
import { writeReportsIndex } from './index-report.ts';
import {
  formatIssue,
  knownExperiments,
  knownPairs,
  profileOf,
  readSpec,
  specFiles,
  type ExperimentSpec,
  type ProfileName,
} from './spec.ts';
import type { Progress } from '@saetrace/engine';
import { planLine } from './plan.ts';
import { evaluateFindings, findingsMarkdown, type FindingContext, type FindingResult } from './findings.ts';
import { fields, isNumber, isObject, readJsonRecord } from '@saetrace/engine';
import { tidyCsv, tidyRows } from './tidy.ts';

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

/** Every report ends with the golden failures (if any) and the run's provenance. */
function reportFooter(rows: readonly GoldenRow[], prov: Record<string, unknown>, findings = ''): string[] {
  return [
    findings,
    rows.some((x) => !x.ok) ? `## Golden comparison failures\n\n${goldenTable(rows)}\n` : '',
    '## Provenance',
    '',
    '```json',
    JSON.stringify(prov, null, 2),
    '```',
    '',
  ];
}

function metricsOf(r: DynamicsResult): Record<string, number> {
  const m: Record<string, unknown> = {};
  for (const p of r.points) {
    m[`step-${String(p.step).padStart(6, '0')}@L${p.layer}`] = {
      tokens: p.tokens,
      shares: p.summary.shares,
      mixedProportion: p.summary.mixedProportion,
      meanMonosemanticity: p.summary.meanMonosemanticity,
      monosemanticityByClass: p.summary.monosemanticityByClass,
      meanSpanLength: p.summary.meanSpanLength,
      dead: p.summary.dead,
      alive: p.summary.alive,
      fvu: p.fvu,
      l0: p.l0,
    };
  }
  return flattenMetrics(m);
}

async function writeReport(
  spec: ExperimentSpec,
  profile: ProfileName,
  r: DynamicsResult,
  rows: readonly GoldenRow[],
  status: string,
  prov: Record<string, unknown>,
  findings: string,
): Promise<string> {
  const dir = join('reports', spec.pair);
  const base = profile === 'default' ? spec.id : `${spec.id}.${profile}`;
  const [l1, l2] = spec.languages;
  const label = { first: l1.toUpperCase(), second: l2.toUpperCase(), mixed: 'Mixed' } as const;
  const figs: string[] = [];
  for (const layer of r.layers) {
    const pts = r.points.filter((p) => p.layer === layer);
    const shares: Point[] = pts.flatMap((p) =>
      (['first', 'second', 'mixed'] as const).map((c) => ({ x: p.tokens, y: p.summary.shares[c], series: label[c] })),
    );
    const mono: Point[] = pts.flatMap((p) => [
      { x: p.tokens, y: p.summary.meanMonosemanticity, series: 'all' },
      ...(['first', 'second', 'mixed'] as const)
        .filter((c) => Number.isFinite(p.summary.monosemanticityByClass[c]))
        .map((c) => ({ x: p.tokens, y: p.summary.monosemanticityByClass[c], series: label[c] })),
    ]);
    const a = `${base}-L${layer}-shares.svg`;
    const b = `${base}-L${layer}-monosemanticity.svg`;
    await writeFileAtomic(
      join(dir, a),
      await renderStackedArea(shares, {
        title: `Feature languages, ${r.size} layer ${layer}`,
        xTitle: 'training tokens (log)',
        yTitle: 'share of alive features',
        xLog: true,
      }),
    );
    await writeFileAtomic(
      join(dir, b),
      await renderLineChart(mono, {
        title: `Monosemanticity, ${r.size} layer ${layer}`,
        xTitle: 'training tokens (log)',
        yTitle: 'mean monosemanticity',
        xLog: true,
      }),
    );
    figs.push(`![shares](${a}) ![monosemanticity](${b})`);
  }
  if (r.layers.length > 1) {
    // Layer-wise views (Figures 5, 6, 8, 9, 12-14): one line per layer over training tokens.
    const series = (f: (p: DynamicsResult['points'][number]) => number): Point[] =>
      r.points.filter((p) => Number.isFinite(f(p))).map((p) => ({ x: p.tokens, y: f(p), series: `layer ${p.layer}` }));
    const views: [string, string, (p: DynamicsResult['points'][number]) => number][] = [
      ['mixed', 'Mixed share of alive features', (p) => p.summary.mixedProportion],
      ['monosemanticity', 'mean monosemanticity', (p) => p.summary.meanMonosemanticity],
      ['span', 'mean span length (tokens)', (p) => p.summary.meanSpanLength],
    ];
    const names: string[] = [];
    for (const [key, yTitle, f] of views) {
      const name = `${base}-layers-${key}.svg`;
      await writeFileAtomic(
        join(dir, name),
        await renderLineChart(series(f), {
          title: `${yTitle} by layer, ${r.size}`,
          xTitle: 'training tokens (log)',
          yTitle,
          xLog: true,
        }),
      );
      names.push(`![${key} by layer](${name})`);
    }
    figs.unshift(names.join(' '));
  }
  const table = r.points.map(
    (p) =>
      `| ${p.step} | ${p.tokens.toExponential(2)} | ${p.layer} | ${(p.summary.shares.first * 100).toFixed(1)} | ${(p.summary.shares.second * 100).toFixed(1)} | ${(p.summary.shares.mixed * 100).toFixed(1)} | ${p.summary.meanMonosemanticity.toFixed(3)} | ${p.summary.meanSpanLength.toFixed(2)} | ${p.summary.dead} | ${p.fvu.toFixed(3)} |`,
  );
  // Few points (Figures 4 and 7): examples for each; otherwise the final checkpoint's.
  const shown = r.points.length <= 6 ? r.points : r.points.slice(-1);
  const md = [
    `# ${spec.title}`,
    '',
    `Spec \`${spec.files.experiment}\` for \`${spec.files.pair}\`, version ${spec.version}, profile \`${profile}\`; model ${r.size}, layers ${r.layers.join(', ')} (layer l is the output of block l-1 and layer 0 the embeddings, as the authors number them: ../shared/SPEC.md section 2); golden: **${status}**.`,
    '',
    ...figs,
    '',
    `| step | tokens | layer | ${label.first} % | ${label.second} % | Mixed % | monosemanticity | mean span | dead | FVU |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...table,
    '',
    '## Example features (most frequent tokens; in context, the activating token in [[ ]])',
    '',
    ...shown.flatMap((pt) => [
      `### step ${pt.step} (${pt.tokens.toExponential(2)} tokens), layer ${pt.layer}`,
      '',
      ...pt.examples.map(
        (e) =>
          `- ${label[e.cls as 'first']} feature ${e.feature}: ${e.tokens.map((t) => `\`${t.replace(/`/g, "'").replace(/\n/g, '\\n')}\``).join(', ')}${e.contexts.length ? `; in context: ${e.contexts.map((c) => `“${c.replace(/\n/g, ' ').replace(/\|/g, '/')}”`).join(' · ')}` : ''}`,
      ),
      '',
    ]),
    '## Timings',
    '',
    `| stage | seconds (model ${r.size}) |`,
    '|---|---|',
    `| activations | ${r.timings.extract.toFixed(1)} |`,
    `| SAE training | ${r.timings.sae.toFixed(1)} |`,
    `| metrics | ${r.timings.metrics.toFixed(1)} |`,
    '',
    ...reportFooter(rows, prov, findings),
  ].join('\n');
  const path = join(dir, `${base}.md`);
  await writeFileAtomic(path, md);
  return path;
}

/** Runs one spec at one profile: builds what is missing, writes results, compares with (or updates) the golden, writes the report. */
export async function runExperiment(
  name: string,
  profile: ProfileName,
  options: { updateGolden?: boolean; log?: (s: string) => void; progress?: Progress } = {},
): Promise<RunOutcome> {
  const file = specPath(name);
  const parsed = readSpec(name);
  if (!parsed.ok) throw new Error(`invalid spec:\n${parsed.issues.map(formatIssue).join('\n')}`);
  const spec = parsed.spec;
  if (options.updateGolden && process.env.CI === 'true')
    throw new Error('refusing to write goldens under CI=true; run --update-golden locally and commit the result');
  const p = profileOf(spec, profile);
  const log = options.log ?? (() => {});
  const goldenPath = join('golden', spec.pair, `${spec.id}.${profile}.json`);
  const golden = !options.updateGolden && existsSync(goldenPath) ? readGolden(goldenPath, name, profile) : null;
  const t0 = Date.now();
  const progress = options.progress;
  progress?.plan(planLine(spec, p));
  const result =
    spec.kind === 'intervention'
      ? await interventionExperiment(spec, p, { log, progress })
      : spec.kind === 'sae-sizes'
        ? await saeSizes(spec, p, { log, progress })
        : await featureDynamics(spec, p, { log, progress });
  const metrics =
    'settings' in result ? interventionMetrics(result) : 'grid' in result ? sizesMetrics(result) : metricsOf(result);
  const resultsPath = join('reports', spec.pair, `${spec.id}.${profile}.results.json`);
  const size = 'size' in result && typeof result.size === 'string' ? result.size : '';
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
  const where =
    'settings' in result
      ? { size: result.size, checkpoint: result.midStep, layer: result.layer }
      : 'grid' in result
        ? {}
        : { size: result.size };
  await writeFileAtomic(
    resultsPath.replace(/\.json$/, '.csv'),
    tidyCsv(tidyRows(metrics, { pair: spec.pair, spec: spec.id, profile, ...where })),
  );
  const prov = provenance({
    spec: file,
    pairFile: spec.files.pair,
    specVersion: spec.version,
    profile,
    seeds: { run: p.seed },
    threads: p.threads ?? null,
    wallSeconds: Math.round((Date.now() - t0) / 1000),
    timings: 'timings' in result ? result.timings : null,
  });
  await writeJsonAtomic(join('reports', spec.pair, `${spec.id}.${profile}.provenance.json`), prov);
  let status: RunOutcome['golden'];
  let rows: GoldenRow[] = [];
  let goldenNote: string | undefined;
  if (options.updateGolden) {
    await writeJsonAtomic(goldenPath, {
      id: spec.id,
      version: spec.version,
      profile,
      metrics,
      ...(findings.length ? { findings: recordedFindings(findings) } : {}),
    });
    status = 'updated';
  } else if (golden) {
    rows = [...compareGolden(golden.metrics, metrics, spec.golden), ...compareFindings(golden.findings, findings)];
    goldenNote = goldenVersionNote(goldenPath, golden.version, file, spec.version, name, profile);
    status = goldenNote === undefined && rows.every((r) => r.ok) ? 'passed' : 'failed';
  } else status = 'missing';
  const fmd = findingsMarkdown(findings, options.updateGolden ? recordedFindings(findings) : golden?.findings);
  const reportPath =
    'settings' in result
      ? await writeInterventionReport(spec, profile, result, rows, status, prov, fmd)
      : 'grid' in result
        ? await writeSizesReport(spec, profile, result, rows, status, prov, fmd)
        : await writeReport(spec, profile, result, rows, status, prov, fmd);
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

function interventionMetrics(r: InterventionResult): Record<string, number> {
  const m: Record<string, unknown> = {};
  for (const s of r.settings) {
    const row: Record<string, unknown> = {};
    const none = s.rows.find((x) => x.cls === null);
    for (const x of s.rows) {
      // The effect of an injection: relative change of mean perplexity against the baseline row
      // (negative = the injection helps). It is what Table 1 is about, and it varies far less between
      // machines than the absolute perplexity of a mid-training checkpoint.
      const change =
        x.cls !== null && none
          ? Object.fromEntries(
              Object.entries(x.perplexity).map(([lang, st]) => [
                lang,
                st.mean / (none.perplexity[lang]?.mean ?? NaN) - 1,
              ]),
            )
          : undefined;
      row[x.added] = { ppl: x.perplexity, ...(change ? { pplChange: change } : {}), translation: x.translation };
    }
    m[`alpha-${s.alpha}_n-${s.features}`] = row;
  }
  return flattenMetrics(m);
}

/** The paper's Table 1 (SPEC section 5), shown beside ours. */
const PAPER_TABLE1 = [
  ['none', 18.7, 25.78, 22.43, 61.1, 56.4],
  ['English', 18.53, 25.64, 22.28, 61.4, 56.9],
  ['Japanese', 18.65, 25.33, 22.17, 61.3, 57.2],
  ['Bilingual', 18.36, 25.2, 21.96, 62.5, 57.2],
] as const;

async function writeInterventionReport(
  spec: ExperimentSpec,
  profile: ProfileName,
  r: InterventionResult,
  rows: readonly GoldenRow[],
  status: string,
  prov: Record<string, unknown>,
  findings: string,
): Promise<string> {
  const [l1, l2] = spec.languages;
  const fmt = (s: { mean: number; std: number } | undefined, d = 2) =>
    s && Number.isFinite(s.mean) ? `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}` : '-';
  const tables = r.settings.map((s) => {
    const keys = [...new Set(s.rows.flatMap((x) => Object.keys(x.translation)))].sort();
    return [
      `### alpha = ${s.alpha}, ${s.features} features per draw`,
      '',
      `| added | ppl ${l1} | ppl ${l2} | ppl all | ${keys.join(' | ')} |`,
      `|---|---|---|---|${keys.map(() => '---|').join('')}`,
      ...s.rows.map(
        (x) =>
          `| ${x.added} | ${fmt(x.perplexity[l1])} | ${fmt(x.perplexity[l2])} | ${fmt(x.perplexity.all)} | ${keys.map((k) => fmt(x.translation[k])).join(' | ')} |`,
      ),
      '',
    ].join('\n');
  });
  const md = [
    `# ${spec.title}`,
    '',
    `Spec \`${spec.files.experiment}\` for \`${spec.files.pair}\`, version ${spec.version}, profile \`${profile}\`; model ${r.size}: features of the SAE at layer ${r.layer} (layer l = output of block l-1, 0 = embeddings; ../shared/SPEC.md section 2) of step ${r.fullStep} injected into step ${r.midStep}; golden: **${status}**.`,
    `Feature classes at that layer: ${Object.entries(r.classCounts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}. Mean ± standard deviation over the random masks; perplexity lower is better, chrF/BLEU higher.`,
    '',
    ...tables,
    spec.pair === 'en-ja'
      ? [
          "## The paper's Table 1 (LLM-jp-3 3.7B, layer 14, iteration 10,000, alpha 0.1; COMET-22)",
          '',
          '| added | ppl En | ppl Ja | ppl all | COMET En->Ja | COMET Ja->En |',
          '|---|---|---|---|---|---|',
          ...PAPER_TABLE1.map((x) => `| ${x.join(' | ')} |`),
          '',
        ].join('\n')
      : '',
    '## Timings',
    '',
    '| stage | seconds |',
    '|---|---|',
    ...Object.entries(r.timings).map(([k, v]) => `| ${k} | ${v.toFixed(1)} |`),
    '',
    ...reportFooter(rows, prov, findings),
  ].join('\n');
  const path = join('reports', spec.pair, `${profile === 'default' ? spec.id : `${spec.id}.${profile}`}.md`);
  await writeFileAtomic(path, md);
  return path;
}

function sizesMetrics(r: SaeSizesResult): Record<string, number> {
  const m: Record<string, unknown> = {};
  for (const s of r.sizes)
    m[s.size] = {
      bestLr: s.bestLr,
      seconds: s.seconds,
      activationsTrained: s.activationsTrained,
      activationsBuffered: s.activationsBuffered,
      mse: Object.fromEntries(s.rows.map((x) => [`lr-${x.lr}`, x.mse])),
    };
  return flattenMetrics(m);
}

/** The paper's Tables 2 and 3 (SPEC section 1), shown beside ours. */
const PAPER_SIZES = [
  ['150M', '2e-3', '20 min', '10M'],
  ['440M', '1e-3', '25 min', '5M'],
  ['980M', '1e-3', '40 min', '2M'],
  ['1.8B', '5e-4', '60 min', '1M'],
  ['3.7B', '5e-4', '90 min', '0.5M'],
] as const;

async function writeSizesReport(
  spec: ExperimentSpec,
  profile: ProfileName,
  r: SaeSizesResult,
  rows: readonly GoldenRow[],
  status: string,
  prov: Record<string, unknown>,
  findings: string,
): Promise<string> {
  const dir = join('reports', spec.pair);
  const base = profile === 'default' ? spec.id : `${spec.id}.${profile}`;
  const pts: Point[] = r.sizes.flatMap((s) =>
    s.rows.filter((x) => Number.isFinite(x.mse)).map((x) => ({ x: x.lr, y: x.mse, series: `${s.size} (d=${s.d})` })),
  );
  const svg = `${base}-lr.svg`;
  await writeFileAtomic(
    join(dir, svg),
    await renderLineChart(pts, {
      title: 'SAE validation MSE against learning rate',
      xTitle: 'learning rate (log)',
      yTitle: 'validation MSE',
      xLog: true,
      yLog: true,
    }),
  );
  const md = [
    `# ${spec.title}`,
    '',
    `Spec \`${spec.files.experiment}\` for \`${spec.files.pair}\`, version ${spec.version}, profile \`${profile}\`; golden: **${status}**. Every size of the family at its last checkpoint, layer floor(L/2); the paper's grid ${r.grid.join(', ')}.`,
    '',
    `![validation MSE against learning rate](${svg})`,
    '',
    '| size | d | layer | chosen lr (Table 2) | SAE training time at that lr (Table 3) | activations trained on | activations in memory at once |',
    '|---|---|---|---|---|---|---|',
    ...r.sizes.map(
      (s) =>
        `| ${s.size} | ${s.d} | ${s.layer} | ${s.bestLr} | ${s.seconds.toFixed(1)} s | ${s.activationsTrained.toLocaleString('en-US')} | ${s.activationsBuffered.toLocaleString('en-US')} |`,
    ),
    '',
    '| size | ' + r.grid.map((g) => `MSE @ ${g}`).join(' | ') + ' |',
    '|---|' + r.grid.map(() => '---|').join(''),
    ...r.sizes.map(
      (s) =>
        `| ${s.size} | ${s.rows.map((x) => (Number.isFinite(x.mse) ? x.mse.toFixed(5) : 'diverged')).join(' | ')} |`,
    ),
    '',
    "## The paper's Tables 2 and 3 (LLM-jp-3, one A100)",
    '',
    '| size | learning rate | SAE time | activations buffered |',
    '|---|---|---|---|',
    ...PAPER_SIZES.map((x) => `| ${x.join(' | ')} |`),
    '',
    ...reportFooter(rows, prov, findings),
  ].join('\n');
  const path = join(dir, `${base}.md`);
  await writeFileAtomic(path, md);
  return path;
}
