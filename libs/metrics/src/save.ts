import { join } from 'node:path';
import { readSafetensors, writeJsonAtomic, writeSafetensors } from '@saetrace/engine';
import type { FeatureClass, FeatureStat, SaeSummary } from './features.ts';

const CLASS_CODES: readonly FeatureClass[] = ['first', 'second', 'mixed', 'dead'];

/**
 * Writes an SAE's feature metrics: summary.json (the summary and each feature's top tokens) and
 * features.safetensors, one column per statistic ([n] each; p(lang|f) as [n, languages]).
 */
export async function saveFeatureMetrics(dir: string, stats: readonly FeatureStat[], summary: SaeSummary, languages: readonly string[]): Promise<void> {
  const n = stats.length;
  const L = languages.length;
  const col = (f: (s: FeatureStat) => number) => Float32Array.from(stats, f);
  const pLang = new Float32Array(n * L);
  stats.forEach((s, i) => s.pLang.forEach((p, l) => { pLang[i * L + l] = p; }));
  await writeSafetensors(join(dir, 'features.safetensors'), {
    occurrences: { dtype: 'float32', shape: [n], data: col((s) => s.occurrences) },
    p_lang: { dtype: 'float32', shape: [n, L], data: pLang },
    class: { dtype: 'int32', shape: [n], data: Int32Array.from(stats, (s) => CLASS_CODES.indexOf(s.cls)) },
    token_entropy: { dtype: 'float32', shape: [n], data: col((s) => s.tokenEntropy) },
    semantic_entropy: { dtype: 'float32', shape: [n], data: col((s) => s.semanticEntropy) },
    monosemanticity: { dtype: 'float32', shape: [n], data: col((s) => s.monosemanticity) },
    mean_span: { dtype: 'float32', shape: [n], data: col((s) => (Number.isFinite(s.meanSpan) ? s.meanSpan : 0)) },
  }, { languages: languages.join(','), classes: CLASS_CODES.join(',') });
  await writeJsonAtomic(join(dir, 'summary.json'), { languages, summary, topTokens: stats.filter((s) => s.cls !== 'dead').map((s) => ({ feature: s.feature, cls: s.cls, tokens: s.topTokens })) });
}

/** Reads the columns back (the class as its name). */
export async function readFeatureColumns(dir: string): Promise<{ classes: FeatureClass[]; monosemanticity: Float32Array; occurrences: Float32Array; languages: string[] }> {
  const { tensors, metadata } = await readSafetensors(join(dir, 'features.safetensors'));
  const cls = tensors.get('class')?.data as Int32Array | undefined;
  if (!cls) throw new Error(`${dir}/features.safetensors: column 'class' is missing`);
  return {
    classes: Array.from(cls, (c) => CLASS_CODES[c] ?? 'dead'),
    monosemanticity: tensors.get('monosemanticity')?.data as Float32Array,
    occurrences: tensors.get('occurrences')?.data as Float32Array,
    languages: (metadata.languages ?? '').split(','),
  };
}
