import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonRecord, writeFileAtomic } from '@saetrace/engine';
import { readPair } from '../../harness/src/spec.ts';
import { FAMILY_PROFILES, type FamilyBaselines, type FamilyManifest, type FamilyProfile } from '@saetrace/lm';
import { renderLineChart, type Point } from '../../report/charts.ts';

/** A family's n-gram baselines when they exist and were computed with the family's tokenizer, else undefined. */
export function readBaselines(path: string, tokenizer: string): FamilyBaselines | undefined {
  if (!existsSync(path)) return undefined;
  const b = readJsonRecord<FamilyBaselines>(path, `delete ${path} and run 'saetrace zoo baseline' again`);
  if (b.format !== 'saetrace-zoo-baselines/1' || !Array.isArray(b.rows))
    throw new Error(`${path}: not a saetrace-zoo-baselines/1 record; delete it and run 'saetrace zoo baseline' again`);
  return b.tokenizer === tokenizer ? b : undefined;
}

/** The baselines table and how the family compares with the best of them. */
function baselineSection(m: FamilyManifest, b: FamilyBaselines): string[] {
  const [l1, l2] = m.languages;
  const rows = b.rows.map(
    (r) =>
      `| ${r.order}-gram | ${r.data === 'seen' ? 'the windows the largest member saw' : 'every training window'} | ${r.trainTokens.toLocaleString('en-US')} | ${r.perLang[l1]?.toFixed(2)} | ${r.perLang[l2]?.toFixed(2)} | ${r.overall.toFixed(2)} |`,
  );
  const best = b.rows.reduce((a, r) => (r.overall < a.overall ? r : a));
  const vs = m.members.map((x) => `${x.size} ${((x.evalPerplexity.overall / best.overall - 1) * 100).toFixed(0)}%`);
  return [
    '## n-gram baselines',
    '',
    `${b.smoothing}, trained on the family's own packed training windows (same tokenizer, same seed) and scored on`,
    'the same eval windows and targets as the family (BOS never a target).',
    '',
    `| model | trained on | tokens | ppl ${l1} | ppl ${l2} | ppl all |`,
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Each member's overall perplexity against the best baseline (${best.order}-gram on ${best.data === 'seen' ? 'the windows seen' : 'every window'}, ${best.overall.toFixed(2)}): ${vs.join(', ')} (negative = better than the baseline).`,
    '',
  ];
}

/** Which text a family trained on, from its definition's corpus (libs/lm/src/zoo/family.ts). */
function corpusText(m: Pick<FamilyManifest, 'pair' | 'profile'>): string {
  const def = (FAMILY_PROFILES as Readonly<Record<string, FamilyProfile | undefined>>)[m.profile];
  return def?.corpus === 'prose'
    ? `the prose copy of the committed corpus (data/corpus-prose/${m.pair}; placeholders, markup and code stripped)`
    : 'the committed corpus';
}

/** Whether a family is the one en-ja's default profile uses (its pair file's `families`, else 'default'). */
export function isMainFamily(m: Pick<FamilyManifest, 'pair' | 'profile'>, pairsDir = 'experiments/pairs'): boolean {
  if (m.pair !== 'en-ja') return false;
  const pair = readPair(join(pairsDir, 'en-ja.yaml'));
  return m.profile === ((pair.ok && pair.spec.families?.default) || 'default');
}

/** Writes reports/zoo.md (and its loss-curve SVG): per-member size, throughput and final per-language perplexity. */
export async function writeZooReport(
  m: FamilyManifest,
  reportDir: string,
  note = '',
  baselines?: FamilyBaselines,
): Promise<string> {
  const svgName = `zoo-${m.pair}-${m.profile}-loss.svg`;
  const points: Point[] = [];
  for (const mem of m.members) {
    const tokensPerStep = (mem.checkpoints[0]?.tokens ?? 0) / (mem.checkpoints[0]?.step ?? 1);
    // Smooth over 20 steps so the curve reads through batch noise.
    for (let i = 0; i < mem.losses.length; i += Math.max(1, Math.floor(mem.losses.length / 150))) {
      const w = mem.losses.slice(Math.max(0, i - 19), i + 1);
      points.push({
        x: (mem.losses[i]?.step ?? 0) * tokensPerStep,
        y: w.reduce((s, l) => s + l.loss, 0) / w.length,
        series: `${mem.size} (d=${mem.hiddenSize}, L=${mem.layers})`,
      });
    }
  }
  const svg = await renderLineChart(points, {
    title: `Training loss, ${m.pair} ${m.profile} family`,
    xTitle: 'training tokens (log)',
    yTitle: 'cross-entropy (20-step mean)',
    xLog: true,
  });
  await writeFileAtomic(join(reportDir, svgName), svg);
  const [l1, l2] = m.languages;
  const rows = m.members.map(
    (x) =>
      `| ${x.size} | ${x.hiddenSize} | ${x.layers} | ${x.steps} | ${x.checkpoints.length} | ${(x.checkpoints.at(-1)?.tokens ?? 0).toLocaleString('en-US')} | ${x.evalPerplexity.perLang[l1]?.toFixed(2)} | ${x.evalPerplexity.perLang[l2]?.toFixed(2)} | ${x.evalPerplexity.overall.toFixed(2)} | ${(x.trainSeconds / 60).toFixed(1)} | ${x.tokensPerSecond.toFixed(0)} | ${(x.flopsPerSecond / 1e9).toFixed(1)} |`,
  );
  const total = m.members.reduce((s, x) => s + x.trainSeconds, 0);
  const md = [
    `# The ${m.pair} model family (${m.profile} profile)`,
    '',
    `Small Llama-architecture models trained by saetrace from one seed on ${corpusText(m)}: both languages, plus`,
    `parallel pairs written as bilingual documents (${m.data.bilingualDocuments} of ${m.data.documents} documents); saved in Hugging Face layout at`,
    'log-spaced steps. Perplexity is token-weighted over held-out eval documents (first window of each), BOS never a target.',
    '',
    `![loss curves](${svgName})`,
    '',
    `| size | d | blocks | steps | checkpoints | tokens seen | ppl ${l1} | ppl ${l2} | ppl all | minutes | tokens/s | model GFLOP/s |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Whole family: ${(total / 60).toFixed(1)} minutes of training on this machine; ${m.data.windows.toLocaleString('en-US')} windows of ${m.data.seqLen} tokens; seed ${m.seed}; tokenizer sha256 ${m.tokenizer.slice(0, 12)}.`,
    note,
    '',
    ...(baselines ? baselineSection(m, baselines) : []),
  ].join('\n');
  // reports/zoo.md is the family en-ja's default profile uses (the one the README's results come from,
  // experiments/pairs/en-ja.yaml `families`); others get their own.
  const path = join(reportDir, isMainFamily(m) ? 'zoo.md' : `zoo-${m.pair}-${m.profile}.md`);
  await writeFileAtomic(path, md);
  return path;
}
