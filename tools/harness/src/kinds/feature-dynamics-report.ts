import { join } from 'node:path';
import { writeFileAtomic } from '@saetrace/engine';
import { existsSync } from 'node:fs';
import {
  renderBarChart,
  renderBandChart,
  renderLineChart,
  renderStackedArea,
  type Bar,
  type BandPoint,
  type Point,
} from '../../../report/charts.ts';
import { readSpreadSummary, spreadSummaryPath } from '../spread.ts';
import { flattenMetrics, type GoldenRow } from '../golden.ts';
import type { ExperimentSpec, ProfileName } from '../spec.ts';
import { prose } from '../../../report/prose.ts';
import { reportFooter } from './report-parts.ts';
import { formatLineageReport, lineageReport } from '../../../browse/src/lineage-chains.ts';
import { scanCache } from '../../../browse/src/scan.ts';
import type { DynamicsResult } from './feature-dynamics.ts';

/** A point's metric prefix in results: 'step-000148@L3'. */
const pointKey = (p: { step: number; layer: number }) => `step-${String(p.step).padStart(6, '0')}@L${p.layer}`;

/** A point's measurements as results name them. */
function pointMetrics(p: DynamicsResult['points'][number]): Record<string, unknown> {
  return {
    tokens: p.tokens,
    shares: p.summary.shares,
    mixedProportion: p.summary.mixedProportion,
    meanMonosemanticity: p.summary.meanMonosemanticity,
    monosemanticityByClass: p.summary.monosemanticityByClass,
    meanSpanLength: p.summary.meanSpanLength,
    nullShares: p.summary.nullShares,
    medianOccurrences: p.summary.medianOccurrences,
    crossScriptMixed: p.summary.crossScriptMixed,
    dead: p.summary.dead,
    rare: p.summary.rare,
    alive: p.summary.alive,
    fvu: p.fvu,
    l0: p.l0,
  };
}

function evalScriptMetrics(e: NonNullable<DynamicsResult['evalTokenScripts']>): Record<string, Record<string, number>> {
  const [l1, l2] = Object.keys(e) as [string, string];
  return Object.fromEntries(
    Object.entries(e).map(([lang, s]) => [
      lang,
      { [l1]: s.first, [l2]: s.second, neither: s.neither, tokens: s.tokens },
    ]),
  );
}

/** The report's lines on the evaluation text: per document language, its tokens by script. */
function evalScriptLines(e: DynamicsResult['evalTokenScripts']): string[] {
  if (!e) return [];
  const [l1, l2] = Object.keys(e) as [string, string];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `Evaluation tokens by script (BOS left out; a token counts as a language's script when its text has a letter of it, the second language tested first): ${Object.entries(
      e,
    )
      .map(
        ([lang, s]) =>
          `${lang} documents (${s.tokens} tokens): ${l1} script ${pct(s.first)}, ${l2} script ${pct(s.second)}, neither ${pct(s.neither)}`,
      )
      .join('; ')}.`,
    '',
  ];
}

export function dynamicsMetrics(r: DynamicsResult): Record<string, number> {
  const m: Record<string, unknown> = {};
  for (const p of r.points) m[pointKey(p)] = pointMetrics(p);
  // The random-init baseline per layer: 'random-init@L3/...', beside the checkpoints, not one of them.
  for (const p of r.randomInit ?? []) m[`random-init@L${p.layer}`] = pointMetrics(p);
  // 'evalTokenScripts/ja/en': the share of the Japanese documents' evaluation tokens written in English's script.
  if (r.evalTokenScripts) m.evalTokenScripts = evalScriptMetrics(r.evalTokenScripts);
  return flattenMetrics(m);
}

/**
 * Feature lineage between this run's consecutive checkpoints at each layer (spec `lineage`), from the SAEs it
 * cached: only the embedded family's (real checkpoints have no zoo name to scan the cache by).
 */
async function lineageSection(spec: ExperimentSpec, profile: ProfileName, r: DynamicsResult): Promise<string> {
  const p = spec.profiles[profile];
  if (!spec.lineage || !p || !('zoo' in p.family)) return '';
  const steps = new Set(r.points.map((x) => x.step));
  const saes = scanCache('.cache', spec.pair, p.family.zoo).filter((s) => {
    const c = s.record.config;
    return (
      c.n === p.sae.n &&
      c.k === p.sae.k &&
      c.lr === p.sae.lr &&
      c.warmupSteps === p.sae.warmupSteps &&
      c.batchSize === p.sae.batchSize &&
      c.seed === p.seed &&
      s.size === r.size &&
      r.layers.includes(s.layer) &&
      steps.has(s.step)
    );
  });
  const chains = await lineageReport(saes, spec.lineage.threshold);
  return ['## Feature lineage', '', formatLineageReport(chains, spec.lineage.threshold)].join('\n');
}

/**
 * Figures of a one-checkpoint run, as the paper's Figure 7 shows its layers: the feature-language shares of each
 * layer as stacked bars, and per layer the top tokens of its most polysemantic and longest-span example features.
 */
async function singleCheckpointFigures(
  dir: string,
  base: string,
  r: DynamicsResult,
  label: Readonly<Record<'first' | 'second' | 'mixed', string>>,
): Promise<string[]> {
  const out: string[] = [];
  const shares: Bar[] = r.points.flatMap((p) =>
    (['first', 'second', 'mixed'] as const).map((c) => ({
      label: `layer ${p.layer}`,
      value: p.summary.shares[c],
      series: label[c],
    })),
  );
  const name = `${base}-layers-shares.svg`;
  await writeFileAtomic(
    join(dir, name),
    await renderBarChart(shares, {
      title: `Feature languages by layer, ${r.size} step ${r.points[0]?.step}`,
      valueTitle: 'share of alive features',
      stack: true,
    }),
  );
  out.push(`![feature languages by layer](${name})`);
  for (const p of r.points) {
    const picked = p.examples.filter((e) => e.why !== 'frequent');
    if (!picked.length) continue;
    const bars: Bar[] = picked.flatMap((e) =>
      e.tokens.map((t, i) => ({
        label: `f${e.feature}: ${JSON.stringify(t).slice(1, -1)}`,
        value: e.p[i] ?? 0,
        series: e.why,
      })),
    );
    const tokens = `${base}-L${p.layer}-example-tokens.svg`;
    await writeFileAtomic(
      join(dir, tokens),
      await renderBarChart(bars, {
        title: `Top tokens of example features, layer ${p.layer}`,
        valueTitle: 'p(token | feature)',
      }),
    );
    out.push(`![top tokens of example features, layer ${p.layer}](${tokens})`);
  }
  return out;
}

export async function writeDynamicsReport(
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
  const summaryPath = spreadSummaryPath(spec.pair, spec.id, profile);
  const spread = existsSync(summaryPath)
    ? { summary: readSpreadSummary(summaryPath), link: `../spread/${spec.pair}/${spec.id}.${profile}.md` }
    : null;
  // One checkpoint (Figure 7): nothing to draw over training; bars per layer and per example feature instead.
  const single = new Set(r.points.map((p) => p.step)).size === 1;
  if (single) figs.push(...(await singleCheckpointFigures(dir, base, r, label)));
  for (const layer of single ? [] : r.layers) {
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
    const init = r.randomInit?.find((p) => p.layer === layer);
    if (init) {
      // What learning added: the Mixed share over training against its two baselines, the occurrence-count
      // null of each checkpoint and the same measurement at random init (flat: it has no training tokens).
      const xs = pts.map((p) => p.tokens);
      const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
      const lines: Point[] = [
        ...pts.map((p) => ({ x: p.tokens, y: p.summary.shares.mixed, series: 'Mixed' })),
        ...pts.map((p) => ({ x: p.tokens, y: p.summary.nullShares.mixed, series: 'null Mixed' })),
        ...pts.map((p) => ({ x: p.tokens, y: p.summary.crossScriptMixed, series: 'cross-script Mixed' })),
        { x: x0, y: init.summary.shares.mixed, series: 'Mixed at random init' },
        { x: x1, y: init.summary.shares.mixed, series: 'Mixed at random init' },
      ];
      const c = `${base}-L${layer}-baselines.svg`;
      await writeFileAtomic(
        join(dir, c),
        await renderLineChart(lines, {
          title: `Mixed share and its baselines, ${r.size} layer ${layer}`,
          xTitle: 'training tokens (log)',
          yTitle: 'share of alive features',
          xLog: true,
        }),
      );
      figs.push(
        `![Mixed share against its baselines](${c})\n\n${prose('dynamics-baselines', {
          mixed: (init.summary.shares.mixed * 100).toFixed(1),
          alive: init.summary.alive,
          fvu: init.fvu.toFixed(3),
        })}`,
      );
    }
    if (spread) {
      // Error bars: each share +- its sd over the spread runs (reports/spread/<pair>/<id>.<profile>.md).
      const banded: BandPoint[] = pts.flatMap((p) =>
        (['first', 'second', 'mixed'] as const).map((c) => {
          const sd = spread.summary.metrics[`${pointKey(p)}/shares/${c}`]?.sd ?? 0;
          const y = p.summary.shares[c];
          return { x: p.tokens, y, lo: y - sd, hi: y + sd, series: label[c] };
        }),
      );
      const c = `${base}-L${layer}-shares-spread.svg`;
      await writeFileAtomic(
        join(dir, c),
        await renderBandChart(banded, {
          title: `Feature languages +- 1 sd over ${spread.summary.runs.length} runs, ${r.size} layer ${layer}`,
          xTitle: 'training tokens (log)',
          yTitle: 'share of alive features',
          xLog: true,
        }),
      );
      figs.push(
        `![shares with run-to-run bands](${c})\n\nBands: +- 1 sd of each share over the ${spread.summary.runs.length} runs of [the spread report](${spread.link}) (seeds, family seeds, threads, CPUs).`,
      );
    }
  }
  if (r.layers.length > 1 && !single) {
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
    if (spread) {
      // Span length per layer with its run-to-run spread (Figures 6, 9): each layer's line +- 1 sd.
      const banded: BandPoint[] = r.points.map((p) => {
        const sd = spread.summary.metrics[`${pointKey(p)}/meanSpanLength`]?.sd ?? 0;
        const y = p.summary.meanSpanLength;
        return { x: p.tokens, y, lo: y - sd, hi: y + sd, series: `layer ${p.layer}` };
      });
      const name = `${base}-layers-span-spread.svg`;
      await writeFileAtomic(
        join(dir, name),
        await renderBandChart(banded, {
          title: `mean span length by layer +- 1 sd over ${spread.summary.runs.length} runs, ${r.size}`,
          xTitle: 'training tokens (log)',
          yTitle: 'mean span length (tokens)',
          xLog: true,
        }),
      );
      names.push(`![span by layer with run-to-run bands](${name})`);
    }
    figs.unshift(names.join(' '));
  }
  const table = [...(r.randomInit ?? []), ...r.points].map(
    (p) =>
      `| ${p.step === 0 && r.randomInit?.includes(p) ? '0 (random init)' : p.step} | ${p.tokens.toExponential(2)} | ${p.layer} | ${(p.summary.shares.first * 100).toFixed(1)} | ${(p.summary.shares.second * 100).toFixed(1)} | ${(p.summary.shares.mixed * 100).toFixed(1)} | ${(p.summary.nullShares.mixed * 100).toFixed(1)} | ${(p.summary.crossScriptMixed * 100).toFixed(1)} | ${p.summary.medianOccurrences} | ${p.summary.meanMonosemanticity.toFixed(3)} | ${p.summary.meanSpanLength.toFixed(2)} | ${p.summary.dead} | ${p.fvu.toFixed(3)} |`,
  );
  // Few points (Figures 4 and 7): examples for each; otherwise the final checkpoint's.
  const shown = r.points.length <= 6 ? r.points : r.points.slice(-1);
  const md = [
    `# ${spec.title}`,
    '',
    prose('dynamics-header', {
      experiment: spec.files.experiment,
      pair: spec.files.pair,
      version: spec.version,
      profile,
      size: r.size,
      layers: r.layers.join(', '),
      status,
    }),
    '',
    ...figs,
    '',
    `| step | tokens | layer | ${label.first} % | ${label.second} % | Mixed % | null Mixed % | cross-script Mixed % | median occurrences | monosemanticity | mean span | dead | FVU |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...table,
    '',
    `${(spec.profiles[profile]?.metrics.minOccurrences ?? 1) > 1 ? `Shares are over alive features with at least ${spec.profiles[profile]?.metrics.minOccurrences} activating occurrences (the rest are counted as rare in the results). ` : 'Shares are over all alive features (no minimum of occurrences). '}` +
      prose('dynamics-columns'),
    '',
    ...evalScriptLines(r.evalTokenScripts),
    '## Example features (most frequent tokens; in context, the activating token in [[ ]])',
    '',
    ...shown.flatMap((pt) => [
      `### step ${pt.step} (${pt.tokens.toExponential(2)} tokens), layer ${pt.layer}`,
      '',
      ...pt.examples.map(
        (e) =>
          `- ${label[e.cls as 'first'] ?? e.cls} feature ${e.feature} (${e.why}; ${e.occurrences} occurrences, monosemanticity ${e.monosemanticity.toFixed(2)}, mean span ${e.meanSpan.toFixed(2)}): ${e.tokens.map((t) => `\`${t.replace(/`/g, "'").replace(/\n/g, '\\n')}\``).join(', ')}${e.contexts.length ? `; in context: ${e.contexts.map((c) => `“${c.replace(/\n/g, ' ').replace(/\|/g, '/')}”`).join(' · ')}` : ''}`,
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
    await lineageSection(spec, profile, r),
    ...reportFooter(rows, prov, findings),
  ].join('\n');
  const path = join(dir, `${base}.md`);
  await writeFileAtomic(path, md);
  return path;
}
