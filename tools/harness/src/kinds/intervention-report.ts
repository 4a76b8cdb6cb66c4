import { join } from 'node:path';
import { writeFileAtomic } from '@saetrace/engine';
import { flattenMetrics, type GoldenRow } from '../golden.ts';
import type { ExperimentSpec, InterventionSpec, ProfileName } from '../spec.ts';
import { prose } from '../../../report/prose.ts';
import { reportFooter } from './report-parts.ts';
import type { InterventionResult } from './intervention.ts';

const REF = 'refPpl ';

/** A row's translation scores split into chrF/BLEU (`translation`) and reference perplexity by direction (`refPpl`). */
function splitScores<T>(scores: Readonly<Record<string, T>>): {
  translation: Record<string, T>;
  refPpl: Record<string, T>;
} {
  const translation: Record<string, T> = {};
  const refPpl: Record<string, T> = {};
  for (const [k, v] of Object.entries(scores))
    if (k.startsWith(REF)) refPpl[k.slice(REF.length)] = v;
    else translation[k] = v;
  return { translation, refPpl };
}

/** Relative change of each mean against the baseline row's (negative = lower than without an injection). */
function changeOf(
  stats: Readonly<Record<string, { readonly mean: number }>>,
  base: Readonly<Record<string, { readonly mean: number }>>,
): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([k, st]) => [k, st.mean / (base[k]?.mean ?? NaN) - 1]));
}

export function interventionMetrics(r: InterventionResult): Record<string, number> {
  const m: Record<string, unknown> = {};
  for (const s of r.settings) {
    const row: Record<string, unknown> = {};
    const none = s.rows.find((x) => x.cls === null);
    const noneRef = none ? splitScores(none.translation).refPpl : {};
    for (const x of s.rows) {
      // The effect of an injection: relative change of mean perplexity against the baseline row
      // (negative = the injection helps). It is what Table 1 is about, and it varies far less between
      // machines than the absolute perplexity of a mid-training checkpoint. The same for the reference
      // translations' perplexity.
      const { translation, refPpl } = splitScores(x.translation);
      const hasRef = Object.keys(refPpl).length > 0;
      row[x.added] = {
        ppl: x.perplexity,
        ...(x.cls !== null && none ? { pplChange: changeOf(x.perplexity, none.perplexity) } : {}),
        translation,
        ...(hasRef ? { refPpl } : {}),
        ...(hasRef && x.cls !== null && none ? { refPplChange: changeOf(refPpl, noneRef) } : {}),
      };
    }
    m[`alpha-${s.alpha}_n-${s.features}`] = row;
  }
  if (r.fullModel) m.fullModel = splitScores(r.fullModel);
  return flattenMetrics(m);
}

/** How the injection was made, in words (the choices ../shared/SPEC.md section 5 leaves open). */
function injectionWords(iv: InterventionSpec | undefined): string {
  if (!iv) return 'none';
  return [
    iv.unitDecode
      ? 'each decoded vector scaled to unit norm, then by alpha |h_full| (every class adds the same norm)'
      : 'Eq. 7 as written (alpha |h_full| times the masked decode)',
    iv.includeBias ? 'b_dec added' : 'without b_dec',
    iv.rescale === false ? 'not rescaled by |h_full|' : '',
    iv.maskBeforeTopK
      ? "features masked before TopK (each token's k strongest features of the class drawn)"
      : 'features masked after TopK (the codes of the full SAE, then only the class drawn kept)',
  ]
    .filter(Boolean)
    .join('; ');
}

/** The paper's Table 1 (../shared/SPEC.md section 5), shown beside ours. */
const PAPER_TABLE1 = [
  ['none', 18.7, 25.78, 22.43, 61.1, 56.4],
  ['English', 18.53, 25.64, 22.28, 61.4, 56.9],
  ['Japanese', 18.65, 25.33, 22.17, 61.3, 57.2],
  ['Bilingual', 18.36, 25.2, 21.96, 62.5, 57.2],
] as const;

export async function writeInterventionReport(
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
    prose('intervention-header', {
      experiment: spec.files.experiment,
      pair: spec.files.pair,
      version: spec.version,
      profile,
      size: r.size,
      layer: r.layer,
      fullStep: r.fullStep,
      midStep: r.midStep,
      status,
    }),
    `Feature classes at that layer: ${Object.entries(r.classCounts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}. Mean ± standard deviation over the random masks; perplexity lower is better, chrF/BLEU higher.`,
    `Injection: ${injectionWords(spec.profiles[profile]?.intervention)}.`,
    '',
    ...tables,
    ...(r.fullModel
      ? [
          prose('intervention-ceiling', {
            fullStep: r.fullStep,
            scores: Object.entries(r.fullModel)
              .map(([k, v]) => `${k} ${v.toFixed(2)}`)
              .join(', '),
          }),
          '',
        ]
      : []),
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
