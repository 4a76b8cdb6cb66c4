/**
 * Interpolated modified Kneser-Ney n-gram models (Chen and Goodman 1999, "An empirical study of smoothing
 * techniques for language modeling", section 3): the baseline a trained LM has to beat. Counts are of token
 * ids within each training sequence; the highest order uses raw counts, lower orders continuation counts
 * (how many distinct tokens precede an n-gram), each order subtracts three discounts D1, D2, D3+ estimated
 * from its count-of-counts, and the unigram level interpolates with the uniform distribution, so every
 * token of the vocabulary has a non-zero probability.
 */

/** Count tables keyed by the n-gram's ids packed into one number (ids < vocab, vocab^order < 2^53). */
interface OrderTables {
  /** Count of each n-gram of this order (raw at the highest order, continuation below it). */
  readonly count: Map<number, number>;
  /** Per context (the n-gram without its last id): the sum of its counts and how many n-grams have count 1, 2, 3+. */
  readonly context: Map<number, { total: number; n1: number; n2: number; n3: number }>;
  /** D1, D2, D3+. */
  readonly discount: readonly [number, number, number];
}

export interface NgramModel {
  readonly order: number;
  readonly vocabSize: number;
  /** P(token | context); the context's last `order - 1` ids are used (fewer at a sequence start). */
  prob(context: readonly number[], token: number): number;
}

/**
 * Modified Kneser-Ney discounts from the count-of-counts n1..n4 (Chen and Goodman, eq. 26). On sparse
 * counts the formula can leave [0, k]; D_k is then clamped to [0.05 k, k], so every seen context keeps some
 * mass for the lower order (a zero discount would give unseen tokens probability zero).
 */
export function kneserNeyDiscounts(n: readonly [number, number, number, number]): [number, number, number] {
  const [n1, n2, n3, n4] = n;
  if (n1 === 0 || n2 === 0) return [0.5, 1, 1.5];
  const y = n1 / (n1 + 2 * n2);
  const clamp = (d: number, k: number) => (Number.isFinite(d) ? Math.min(k, Math.max(0.05 * k, d)) : k / 2);
  return [clamp(1 - 2 * y * (n2 / n1), 1), clamp(2 - 3 * y * (n3 / n2), 2), clamp(3 - 4 * y * (n4 / (n3 || 1)), 3)];
}

function tables(count: Map<number, number>, vocab: number): OrderTables {
  const cc: [number, number, number, number] = [0, 0, 0, 0];
  const context = new Map<number, { total: number; n1: number; n2: number; n3: number }>();
  for (const [key, c] of count) {
    if (c <= 4) cc[c - 1]!++;
    const h = Math.floor(key / vocab);
    const e = context.get(h) ?? { total: 0, n1: 0, n2: 0, n3: 0 };
    e.total += c;
    if (c === 1) e.n1++;
    else if (c === 2) e.n2++;
    else e.n3++;
    context.set(h, e);
  }
  return { count, context, discount: kneserNeyDiscounts(cc) };
}

/** Trains an interpolated modified Kneser-Ney model of `order` (1..3) on the sequences. */
export function trainKneserNey(sequences: Iterable<ArrayLike<number>>, order: number, vocabSize: number): NgramModel {
  if (!Number.isInteger(order) || order < 1 || order > 3)
    throw new RangeError(`trainKneserNey: order must be 1, 2 or 3, got ${order}`);
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize ** order >= 2 ** 53)
    throw new RangeError(`trainKneserNey: vocabulary ${vocabSize} is too large for packed ${order}-gram keys`);
  const V = vocabSize;
  // raw[k]: raw counts of (k+1)-grams; only the highest order's are used as they are.
  const raw: Map<number, number>[] = Array.from({ length: order }, () => new Map());
  for (const seq of sequences) {
    for (let i = 0; i < seq.length; i++) {
      let key = 0;
      for (let k = 0; k < order && i - k >= 0; k++) {
        const id = seq[i - k] as number;
        if (!(id >= 0 && id < V)) throw new RangeError(`trainKneserNey: token id ${id} outside the vocabulary of ${V}`);
        // The (k+1)-gram ending at i, ids oldest first: key = id(i-k) * V^k + (key of the k-gram ending at i).
        key += id * V ** k;
        raw[k]!.set(key, (raw[k]!.get(key) ?? 0) + 1);
      }
    }
  }
  // Continuation counts for the lower orders: N1+(. w) = distinct left extensions of each n-gram.
  const counts: Map<number, number>[] = raw.map((m, k) => {
    if (k === order - 1) return m;
    const cont = new Map<number, number>();
    const span = V ** (k + 1);
    for (const key of raw[k + 1]!.keys()) {
      const suffix = key % span;
      cont.set(suffix, (cont.get(suffix) ?? 0) + 1);
    }
    return cont;
  });
  const levels = counts.map((m) => tables(m, V));
  const prob = (context: readonly number[], token: number): number => {
    if (!(token >= 0 && token < V))
      throw new RangeError(`NgramModel.prob: token id ${token} outside the vocabulary of ${V}`);
    let p = 1 / V;
    const n = Math.min(order - 1, context.length);
    // From unigrams up: p_k(w | h_k) = max(c(h_k w) - D, 0) / c(h_k) + gamma(h_k) p_{k-1}(w | h_{k-1}).
    for (let k = 0; k <= n; k++) {
      const level = levels[k] as OrderTables;
      let h = 0;
      for (let j = 0; j < k; j++) h = h * V + (context[context.length - k + j] as number);
      const ctx = level.context.get(h);
      if (!ctx) continue; // an unseen context passes the lower order's estimate on unchanged
      const c = level.count.get(h * V + token) ?? 0;
      const [d1, d2, d3] = level.discount;
      const d = c === 0 ? 0 : c === 1 ? d1 : c === 2 ? d2 : d3;
      const gamma = (d1 * ctx.n1 + d2 * ctx.n2 + d3 * ctx.n3) / ctx.total;
      p = Math.max(c - d, 0) / ctx.total + gamma * p;
    }
    return p;
  };
  return { order, vocabSize, prob };
}

/**
 * Token-weighted perplexity of a model over sequences, targets from position 1 on (position 0 is the BOS
 * the family's evaluation never scores; libs/lm/src/zoo/eval.ts).
 */
export function ngramPerplexity(
  model: NgramModel,
  sequences: Iterable<ArrayLike<number>>,
): { perplexity: number; tokens: number } {
  let nll = 0;
  let n = 0;
  for (const seq of sequences) {
    const ids = Array.from(seq);
    for (let t = 1; t < ids.length; t++) {
      nll -= Math.log(model.prob(ids.slice(Math.max(0, t - model.order + 1), t), ids[t] as number));
      n++;
    }
  }
  return { perplexity: n > 0 ? Math.exp(nll / n) : NaN, tokens: n };
}
