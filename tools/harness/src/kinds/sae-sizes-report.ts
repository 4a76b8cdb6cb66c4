import { join } from 'node:path';
import { writeFileAtomic } from '@saetrace/engine';
import { renderLineChart, type Point } from '../../../report/charts.ts';
import { flattenMetrics, type GoldenRow } from '../golden.ts';
import type { ExperimentSpec, ProfileName } from '../spec.ts';
import { reportFooter } from './report-parts.ts';
import type { SaeSizesResult } from './sae-sizes.ts';

export function sizesMetrics(r: SaeSizesResult): Record<string, number> {
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

/** The paper's Tables 2 and 3 (../shared/SPEC.md section 1), shown beside ours. */
const PAPER_SIZES = [
  ['150M', '2e-3', '20 min', '10M'],
  ['440M', '1e-3', '25 min', '5M'],
  ['980M', '1e-3', '40 min', '2M'],
  ['1.8B', '5e-4', '60 min', '1M'],
  ['3.7B', '5e-4', '90 min', '0.5M'],
] as const;

export async function writeSizesReport(
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
