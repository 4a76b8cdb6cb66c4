import { rowOf } from './counts.ts';
import { clusterTokens, entropy, monosemanticity, type ClusterRule } from './entropy.ts';
import type { ExampleRef, Occurrences } from './passes.ts';

/** 'first' / 'second': the pair's first or second language; 'mixed': bilingual; 'dead': never activating. */
export type FeatureClass = 'first' | 'second' | 'mixed' | 'dead';

export interface FeatureStat {
  readonly feature: number;
  readonly occurrences: number;
  /** p(lang | f) per language of the pair. */
  readonly pLang: readonly number[];
  readonly cls: FeatureClass;
  readonly tokenEntropy: number;
  readonly semanticEntropy: number;
  readonly monosemanticity: number;
  readonly meanSpan: number;
  readonly topTokens: readonly { readonly id: number; readonly p: number }[];
  readonly clusters: number;
  /** The first activating occurrences (document, position, activation), for example contexts. */
  readonly examples: readonly ExampleRef[];
  /**
   * Shares of the occurrences on tokens written in each language's script (FeatureOptions.tokenScripts),
   * whatever the language of the document; absent without a script table.
   */
  readonly scriptShares?: readonly [number, number];
}

export interface FeatureOptions {
  /** Language-share cut (authors' code: 0.9). */
  readonly cut?: number;
  /** Input-embedding matrix [vocab * dim] for semantic entropy. */
  readonly embeddings: Float32Array;
  readonly embeddingDim: number;
  readonly cosineCut?: number;
  readonly clusterRule?: ClusterRule;
  readonly topTokens?: number;
  /** Per token id: 1 when written in the first language's script, 2 in the second's, 0 neither (digits, punctuation, bytes). */
  readonly tokenScripts?: Uint8Array;
}

/** Per-feature statistics of ../shared/SPEC.md section 4 from the pass-2 counts. */
export function featureStats(occ: Occurrences, o: FeatureOptions): FeatureStat[] {
  const cut = o.cut ?? 0.9;
  const dim = o.embeddingDim;
  if (!(cut >= 0.5 && cut <= 1)) throw new RangeError(`featureStats: cut must be in [0.5, 1], got ${cut}`);
  if (!Number.isInteger(dim) || dim < 1 || o.embeddings.length % dim !== 0)
    throw new RangeError(
      `featureStats: embeddings of ${o.embeddings.length} values do not split into rows of embeddingDim ${dim}`,
    );
  const vocab = o.embeddings.length / dim;
  const out: FeatureStat[] = [];
  for (let f = 0; f < occ.n; f++) {
    const total = occ.total[f] as number;
    const counts = rowOf(occ.tokenCounts, f);
    if (total === 0) {
      out.push({
        feature: f,
        occurrences: 0,
        pLang: new Array(occ.numLangs).fill(0),
        cls: 'dead',
        tokenEntropy: 0,
        semanticEntropy: 0,
        monosemanticity: 0,
        meanSpan: 0,
        topTokens: [],
        clusters: 0,
        examples: [],
      });
      continue;
    }
    const pLang = Array.from(
      { length: occ.numLangs },
      (_, l) => (occ.langCounts[f * occ.numLangs + l] as number) / total,
    );
    const cls: FeatureClass = (pLang[0] as number) > cut ? 'first' : (pLang[1] ?? 0) > cut ? 'second' : 'mixed';
    for (const c of counts)
      if (c.id < 0 || c.id >= vocab)
        throw new RangeError(
          `featureStats: feature ${f} has token id ${c.id}, outside the embedding matrix's ${vocab} rows`,
        );
    const te = entropy(counts.map((c) => c.count));
    const labels = clusterTokens(counts, o.embeddings, dim, o.cosineCut ?? 0.1, o.clusterRule ?? 'greedy');
    const mass = new Map<number, number>();
    labels.forEach((l, i) => mass.set(l, (mass.get(l) ?? 0) + (counts[i] as { count: number }).count));
    const se = entropy(mass.values());
    const top = [...counts]
      .sort((a, b) => b.count - a.count || a.id - b.id)
      .slice(0, o.topTokens ?? 10)
      .map((c) => ({ id: c.id, p: c.count / total }));
    let onFirst = 0;
    let onSecond = 0;
    if (o.tokenScripts)
      for (const c of counts) {
        const sc = o.tokenScripts[c.id];
        if (sc === 1) onFirst += c.count;
        else if (sc === 2) onSecond += c.count;
      }
    out.push({
      feature: f,
      occurrences: total,
      pLang,
      cls,
      tokenEntropy: te,
      semanticEntropy: se,
      monosemanticity: monosemanticity(te, se),
      meanSpan: (occ.runLength[f] as number) / (occ.runs[f] as number),
      topTokens: top,
      clusters: mass.size,
      examples: occ.examples[f] ?? [],
      ...(o.tokenScripts ? { scriptShares: [onFirst / total, onSecond / total] as const } : {}),
    });
  }
  return out;
}

export interface SaeSummary {
  /** The pair's language codes, when given: 'first' is languages[0], 'second' languages[1]. */
  readonly languages?: readonly string[];
  readonly features: number;
  readonly dead: number;
  readonly alive: number;
  /** Alive features below the minimum number of occurrences, left out of the shares (0 without a minimum). */
  readonly rare: number;
  /** The features the shares are over: alive - rare. */
  readonly counted: number;
  /** Shares of alive features per class. */
  readonly shares: { readonly first: number; readonly second: number; readonly mixed: number };
  /** Mixed / classified (alive) features. */
  readonly mixedProportion: number;
  readonly meanMonosemanticity: number;
  readonly meanSpanLength: number;
  /** Mean monosemanticity per class. */
  readonly monosemanticityByClass: { readonly first: number; readonly second: number; readonly mixed: number };
  /**
   * The occurrence-count null: the class shares expected if each alive feature kept its number of occurrences
   * but their languages were drawn from the pool of all alive features' occurrences (binomial at the pooled
   * first-language share; the permutation null's large-pool limit). What classification alone gives a feature
   * with few occurrences, so a share is read against it.
   */
  readonly nullShares: { readonly first: number; readonly second: number; readonly mixed: number };
  /** Median number of activating occurrences over alive features (NaN when none is alive). */
  readonly medianOccurrences: number;
  /**
   * Cross-script Mixed: the share of counted features with at least 1 - cut of their occurrences on tokens of
   * each language's script (so a 'Mixed' feature firing on digits or punctuation in both languages is not
   * one); NaN without script shares.
   */
  readonly crossScriptMixed: number;
}

/**
 * P(X / n > cut) for X ~ Binomial(n, q), summed in log space from the pmf recurrence
 * log p(k+1) = log p(k) + log((n-k)/(k+1)) + log(q/(1-q)), so large n neither under- nor overflows.
 */
export function binomialShareAbove(n: number, q: number, cut: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`binomialShareAbove: n must be a positive integer, got ${n}`);
  if (q <= 0) return 0 > cut ? 1 : 0;
  if (q >= 1) return 1 > cut ? 1 : 0;
  const kMin = Math.floor(cut * n) + 1;
  if (kMin > n) return 0;
  const lr = Math.log(q / (1 - q));
  let logP = n * Math.log(1 - q);
  let max = -Infinity;
  const terms: number[] = [];
  for (let k = 0; k <= n; k++) {
    if (k >= kMin) {
      terms.push(logP);
      if (logP > max) max = logP;
    }
    logP += Math.log((n - k) / (k + 1)) + lr;
  }
  if (max === -Infinity) return 0;
  let s = 0;
  for (const t of terms) s += Math.exp(t - max);
  return Math.min(1, Math.exp(max) * s);
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** A class as a label: the language code for 'first' / 'second' when the pair's codes are given. */
export function classLabel(cls: FeatureClass, languages: readonly string[] = []): string {
  if (cls === 'first') return languages[0] ?? 'first';
  if (cls === 'second') return languages[1] ?? 'second';
  return cls;
}

/**
 * Per-SAE summary over alive features (dead ones are counted and excluded from proportions). With
 * `minOccurrences` above 1, alive features with fewer activating occurrences are counted as `rare` and left out
 * of the shares, their null and the means too (a feature seen twice is Mixed or monolingual by chance).
 */
export function summarise(
  stats: readonly FeatureStat[],
  languages: readonly string[] = [],
  cut = 0.9,
  minOccurrences = 1,
): SaeSummary {
  if (!Number.isInteger(minOccurrences) || minOccurrences < 1)
    throw new RangeError(`summarise: minOccurrences must be a positive integer, got ${minOccurrences}`);
  const living = stats.filter((s) => s.cls !== 'dead');
  const alive = living.filter((s) => s.occurrences >= minOccurrences);
  const pooled = alive.reduce((a, s) => a + s.occurrences, 0);
  const q = pooled > 0 ? alive.reduce((a, s) => a + s.occurrences * (s.pLang[0] ?? 0), 0) / pooled : NaN;
  let nf = 0;
  let ns = 0;
  for (const s of alive) {
    nf += binomialShareAbove(s.occurrences, q, cut);
    ns += binomialShareAbove(s.occurrences, 1 - q, cut);
  }
  const nullShares = alive.length
    ? { first: nf / alive.length, second: ns / alive.length, mixed: 1 - (nf + ns) / alive.length }
    : { first: NaN, second: NaN, mixed: NaN };
  const share = (c: FeatureClass) => (alive.length ? alive.filter((s) => s.cls === c).length / alive.length : NaN);
  const monoOf = (c: FeatureClass) => mean(alive.filter((s) => s.cls === c).map((s) => s.monosemanticity));
  return {
    ...(languages.length > 0 ? { languages: [...languages] } : {}),
    features: stats.length,
    dead: stats.length - living.length,
    alive: living.length,
    rare: living.length - alive.length,
    counted: alive.length,
    shares: { first: share('first'), second: share('second'), mixed: share('mixed') },
    mixedProportion: share('mixed'),
    meanMonosemanticity: mean(alive.map((s) => s.monosemanticity)),
    meanSpanLength: mean(alive.map((s) => s.meanSpan)),
    monosemanticityByClass: { first: monoOf('first'), second: monoOf('second'), mixed: monoOf('mixed') },
    nullShares,
    medianOccurrences: median(living.map((s) => s.occurrences)),
    crossScriptMixed:
      alive.length && alive.every((s) => s.scriptShares)
        ? alive.filter((s) => (s.scriptShares?.[0] ?? 0) >= 1 - cut && (s.scriptShares?.[1] ?? 0) >= 1 - cut).length /
          alive.length
        : NaN,
  };
}
