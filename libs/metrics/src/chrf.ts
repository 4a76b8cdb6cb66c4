// chrF as sacreBLEU 2.x computes it (Popović 2015): character n-gram F-score, orders 1..charOrder,
// whitespace removed before extracting character n-grams, statistics summed over the corpus.

export interface ChrfOptions {
  readonly charOrder?: number;
  readonly beta?: number;
  readonly removeWhitespace?: boolean;
  /**
   * true: chrF++.py/NLTK-style eps smoothing, the mean of the per-order F-scores over all orders.
   * false (sacreBLEU 2.x default): precision and recall averaged over the orders where both sides have
   * n-grams (the "effective order"), then one F-score from the averages.
   */
  readonly epsSmoothing?: boolean;
}

function ngrams(s: string, n: number): Map<string, number> {
  const chars = [...s];
  const m = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const g = chars.slice(i, i + n).join('');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Per order: [hypothesis n-grams, reference n-grams, matches]. */
export function chrfStats(hyp: string, ref: string, o: ChrfOptions = {}): number[] {
  const order = o.charOrder ?? 6;
  const prep = (s: string) => ((o.removeWhitespace ?? true) ? s.replace(/\s+/g, '') : s);
  const h = prep(hyp);
  const r = prep(ref);
  const out: number[] = [];
  for (let n = 1; n <= order; n++) {
    const hg = ngrams(h, n);
    const rg = ngrams(r, n);
    let match = 0;
    let nh = 0;
    let nr = 0;
    for (const [g, c] of hg) {
      nh += c;
      match += Math.min(c, rg.get(g) ?? 0);
    }
    for (const c of rg.values()) nr += c;
    // sacreBLEU reports no hypothesis n-grams at an order where the reference has none, so in a corpus a
    // short reference does not lower the precision of that order.
    out.push(nr > 0 ? nh : 0, nr, match);
  }
  return out;
}

/** The F-score (0-100) from summed statistics. */
export function chrfFromStats(stats: readonly number[], o: ChrfOptions = {}): number {
  const order = o.charOrder ?? 6;
  if (stats.length !== 3 * order)
    throw new RangeError(`chrfFromStats: ${stats.length} statistics for order ${order} (expected ${3 * order})`);
  const factor = (o.beta ?? 2) ** 2;
  const eps = 1e-16;
  let sumF = 0;
  let effective = 0;
  let avgP = 0;
  let avgR = 0;
  for (let i = 0; i < order; i++) {
    const nh = stats[3 * i] as number;
    const nr = stats[3 * i + 1] as number;
    const m = stats[3 * i + 2] as number;
    const p = nh > 0 ? m / nh : eps;
    const r = nr > 0 ? m / nr : eps;
    const denom = factor * p + r;
    sumF += denom > 0 ? ((1 + factor) * p * r) / denom : eps;
    if (nh > 0 && nr > 0) {
      avgP += p;
      avgR += r;
      effective++;
    }
  }
  if (o.epsSmoothing) return (100 * sumF) / order;
  if (effective === 0) return 0;
  avgP /= effective;
  avgR /= effective;
  return avgP + avgR > 0 ? (100 * (1 + factor) * avgP * avgR) / (factor * avgP + avgR) : 0;
}

/** Sentence chrF against one or more references (the best-scoring reference counts). */
export function sentenceChrf(hyp: string, refs: readonly string[], o: ChrfOptions = {}): number {
  return Math.max(...refs.map((r) => chrfFromStats(chrfStats(hyp, r, o), o)));
}

/** Corpus chrF: statistics summed over sentences (best reference per sentence), then one F-score. */
export function corpusChrf(hyps: readonly string[], refs: readonly (readonly string[])[], o: ChrfOptions = {}): number {
  if (hyps.length !== refs.length)
    throw new RangeError(`corpusChrf: ${hyps.length} hypotheses but ${refs.length} reference lists`);
  const order = o.charOrder ?? 6;
  const total = new Array<number>(3 * order).fill(0);
  hyps.forEach((h, i) => {
    let best: number[] | null = null;
    let bestF = -1;
    for (const r of refs[i] as readonly string[]) {
      const s = chrfStats(h, r, o);
      const f = chrfFromStats(s, o);
      if (f > bestF) {
        bestF = f;
        best = s;
      }
    }
    best?.forEach((v, j) => {
      total[j] = (total[j] as number) + v;
    });
  });
  return chrfFromStats(total, o);
}
