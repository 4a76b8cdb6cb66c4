// BLEU as sacreBLEU 2.x computes it: 13a (mteval-v13a) tokenisation by default, clipped n-gram counts of
// orders 1-4, closest reference length, brevity penalty, and its smoothing methods.

export type BleuTokenizer = '13a' | 'none' | 'char';
export type BleuSmoothing = 'exp' | 'none' | 'floor' | 'add-k';

export interface BleuOptions {
  readonly tokenize?: BleuTokenizer;
  readonly smooth?: BleuSmoothing;
  readonly smoothValue?: number;
  readonly lowercase?: boolean;
  /** Stop at the highest order with any hypothesis n-grams (sacreBLEU: on for sentence BLEU). */
  readonly effectiveOrder?: boolean;
  /** Highest n-gram order (sacreBLEU's max_ngram_order, default 4). */
  readonly maxOrder?: number;
}

function maxOrderOf(o: BleuOptions): number {
  const n = o.maxOrder ?? 4;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`BLEU: maxOrder must be a positive integer, got ${n}`);
  return n;
}

/** The mteval-v13a tokeniser. */
export function tokenize13a(line: string): string {
  let s = line
    .replace(/<skipped>/g, '')
    .replace(/-\n/g, '')
    .replace(/\n/g, ' ');
  if (s.includes('&'))
    s = s
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  s = ` ${s} `;
  s = s.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean).join(' ');
}

function tokens(s: string, o: BleuOptions): string[] {
  // sacreBLEU strips trailing whitespace before tokenising (it matters for 13a's '-\n' rule).
  const t = (o.lowercase ? s.toLowerCase() : s).trimEnd();
  const tok = o.tokenize ?? '13a';
  if (tok === 'char') return [...t].filter((c) => !/\s/.test(c));
  return (tok === '13a' ? tokenize13a(t) : t).split(/\s+/).filter(Boolean);
}

/** Sufficient statistics: [hypLen, refLen, matches(1..N), totals(1..N)], N = maxOrder. */
export function bleuStats(hyp: string, refs: readonly string[], o: BleuOptions = {}): number[] {
  const h = tokens(hyp, o);
  const rs = refs.map((r) => tokens(r, o));
  // Closest reference length, shorter on ties.
  let refLen = rs[0]?.length ?? 0;
  for (const r of rs)
    if (
      Math.abs(r.length - h.length) < Math.abs(refLen - h.length) ||
      (Math.abs(r.length - h.length) === Math.abs(refLen - h.length) && r.length < refLen)
    )
      refLen = r.length;
  const out = [h.length, refLen];
  const matches: number[] = [];
  const totals: number[] = [];
  for (let n = 1; n <= maxOrderOf(o); n++) {
    const count = (ts: string[]) => {
      const m = new Map<string, number>();
      for (let i = 0; i + n <= ts.length; i++) {
        const g = ts.slice(i, i + n).join(' ');
        m.set(g, (m.get(g) ?? 0) + 1);
      }
      return m;
    };
    const hc = count(h);
    const maxRef = new Map<string, number>();
    for (const r of rs) for (const [g, c] of count(r)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
    let m = 0;
    let t = 0;
    for (const [g, c] of hc) {
      t += c;
      m += Math.min(c, maxRef.get(g) ?? 0);
    }
    matches.push(m);
    totals.push(t);
  }
  return [...out, ...matches, ...totals];
}

/** BLEU (0-100) from summed statistics. */
export function bleuFromStats(st: readonly number[], o: BleuOptions = {}): number {
  const N = maxOrderOf(o);
  if (st.length !== 2 + 2 * N)
    throw new RangeError(`bleuFromStats: ${st.length} statistics for order ${N} (expected ${2 + 2 * N})`);
  const [sysLen, refLen] = st as [number, number];
  const correct = st.slice(2, 2 + N);
  const total = st.slice(2 + N);
  const smooth = o.smooth ?? 'exp';
  // No match at any order: 0, whatever the smoothing (sacreBLEU issue 141).
  if (correct.every((c) => c === 0)) return 0;
  const precisions = new Array<number>(N).fill(0);
  let smoothMteval = 1;
  let effOrder = N;
  for (let n = 1; n <= N; n++) {
    let c = correct[n - 1] as number;
    let t = total[n - 1] as number;
    if (smooth === 'add-k' && n > 1) {
      c += o.smoothValue ?? 1;
      t += o.smoothValue ?? 1;
    }
    if (t === 0) break;
    if (o.effectiveOrder) effOrder = n;
    if (c === 0) {
      if (smooth === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * t);
      } else if (smooth === 'floor') precisions[n - 1] = (100 * (o.smoothValue ?? 0.1)) / t;
    } else precisions[n - 1] = (100 * c) / t;
  }
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const logs = precisions.slice(0, effOrder).map((p) => (p === 0 ? -9999999999 : Math.log(p)));
  return bp * Math.exp(logs.reduce((a, b) => a + b, 0) / effOrder);
}

/** Sentence BLEU (sacreBLEU's sentence_score: effective order on, exp smoothing by default). */
export function sentenceBleu(hyp: string, refs: readonly string[], o: BleuOptions = {}): number {
  const opts = { effectiveOrder: true, ...o };
  return bleuFromStats(bleuStats(hyp, refs, opts), opts);
}

/**
 * Corpus BLEU: statistics summed over sentences, then one score. Defaults are sacreBLEU's corpus_bleu /
 * BLEU() defaults: 13a, exp smoothing, no effective order (smoothing only acts when some order has no
 * match in the whole corpus; pass smooth 'none' for unsmoothed BLEU). For Japanese or other unsegmented
 * targets use tokenize 'char' (sacreBLEU's char tokeniser): BLEU over characters, no word segmenter needed.
 */
export function corpusBleu(hyps: readonly string[], refs: readonly (readonly string[])[], o: BleuOptions = {}): number {
  if (hyps.length !== refs.length)
    throw new RangeError(`corpusBleu: ${hyps.length} hypotheses but ${refs.length} reference lists`);
  const total = new Array<number>(2 + 2 * maxOrderOf(o)).fill(0);
  hyps.forEach((h, i) =>
    bleuStats(h, refs[i] as readonly string[], o).forEach((v, j) => {
      total[j] = (total[j] as number) + v;
    }),
  );
  return bleuFromStats(total, o);
}
