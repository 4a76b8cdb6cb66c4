import { join } from 'node:path';
import { readSafetensors, writeJsonAtomic, writeSafetensors } from '@saetrace/engine';
import { describeFeature, type Decode } from './describe.ts';
import { classLabel, type FeatureClass, type FeatureStat, type SaeSummary } from './features.ts';

const CLASS_CODES: readonly FeatureClass[] = ['first', 'second', 'mixed', 'dead'];

/**
 * Writes an SAE's feature metrics, both files atomically:
 * - features.safetensors: one column per statistic, row f = feature f. float32 [n]: occurrences,
 *   token_entropy, semantic_entropy, monosemanticity, mean_span (0 for dead features); float32 [n, L]:
 *   p_lang; int32 [n]: class (0 first language, 1 second, 2 mixed, 3 dead), clusters. Metadata: languages
 *   (comma-separated codes) and classes (the class codes in order).
 * - summary.json: { languages, summary, topTokens: [{ feature, cls, label, tokens: [{ id, p, text? }],
 *   examples?: [{ doc, position, activation, text }] }] } for alive features; text and examples come with `decode`.
 */
export async function saveFeatureMetrics(
  dir: string,
  stats: readonly FeatureStat[],
  summary: SaeSummary,
  languages: readonly string[],
  options: { decode?: Decode } = {},
): Promise<void> {
  const n = stats.length;
  const L = languages.length;
  stats.forEach((s) => {
    if (s.pLang.length !== L)
      throw new RangeError(
        `saveFeatureMetrics: feature ${s.feature} has ${s.pLang.length} language shares for ${L} languages`,
      );
  });
  const col = (f: (s: FeatureStat) => number) => Float32Array.from(stats, f);
  const pLang = new Float32Array(n * L);
  stats.forEach((s, i) =>
    s.pLang.forEach((p, l) => {
      pLang[i * L + l] = p;
    }),
  );
  await writeSafetensors(
    join(dir, 'features.safetensors'),
    {
      occurrences: { dtype: 'float32', shape: [n], data: col((s) => s.occurrences) },
      p_lang: { dtype: 'float32', shape: [n, L], data: pLang },
      class: { dtype: 'int32', shape: [n], data: Int32Array.from(stats, (s) => CLASS_CODES.indexOf(s.cls)) },
      clusters: { dtype: 'int32', shape: [n], data: Int32Array.from(stats, (s) => s.clusters) },
      token_entropy: { dtype: 'float32', shape: [n], data: col((s) => s.tokenEntropy) },
      semantic_entropy: { dtype: 'float32', shape: [n], data: col((s) => s.semanticEntropy) },
      monosemanticity: { dtype: 'float32', shape: [n], data: col((s) => s.monosemanticity) },
      mean_span: { dtype: 'float32', shape: [n], data: col((s) => (Number.isFinite(s.meanSpan) ? s.meanSpan : 0)) },
    },
    { languages: languages.join(','), classes: CLASS_CODES.join(',') },
  );
  const { decode } = options;
  const topTokens = stats
    .filter((s) => s.cls !== 'dead')
    .map((s) => {
      if (!decode) return { feature: s.feature, cls: s.cls, label: classLabel(s.cls, languages), tokens: s.topTokens };
      const d = describeFeature(s, decode, { languages });
      return { feature: s.feature, cls: s.cls, label: d.label, tokens: d.topTokens, examples: d.examples };
    });
  await writeJsonAtomic(join(dir, 'summary.json'), { languages, summary, topTokens });
}

export interface FeatureColumns {
  readonly languages: string[];
  readonly classes: FeatureClass[];
  readonly occurrences: Float32Array;
  /** [n * languages.length] */
  readonly pLang: Float32Array;
  readonly clusters: Int32Array;
  readonly tokenEntropy: Float32Array;
  readonly semanticEntropy: Float32Array;
  readonly monosemanticity: Float32Array;
  readonly meanSpan: Float32Array;
}

/** Reads the columns back (the class as its name); a missing or mistyped column is named. */
export async function readFeatureColumns(dir: string): Promise<FeatureColumns> {
  const path = join(dir, 'features.safetensors');
  const { tensors, metadata } = await readSafetensors(path);
  function column<T extends Float32Array | Int32Array>(name: string, type: new (n: number) => T): T {
    const data = tensors.get(name)?.data;
    if (data === undefined) throw new Error(`${path}: column '${name}' is missing`);
    if (!(data instanceof type)) throw new Error(`${path}: column '${name}' is not ${type.name}`);
    return data;
  }
  const cls = column('class', Int32Array);
  return {
    languages: (metadata.languages ?? '').split(',').filter(Boolean),
    classes: Array.from(cls, (c, i) => {
      const name = CLASS_CODES[c];
      if (!name) throw new Error(`${path}: class code ${c} of feature ${i} is not one of 0..${CLASS_CODES.length - 1}`);
      return name;
    }),
    occurrences: column('occurrences', Float32Array),
    pLang: column('p_lang', Float32Array),
    clusters: column('clusters', Int32Array),
    tokenEntropy: column('token_entropy', Float32Array),
    semanticEntropy: column('semantic_entropy', Float32Array),
    monosemanticity: column('monosemanticity', Float32Array),
    meanSpan: column('mean_span', Float32Array),
  };
}
