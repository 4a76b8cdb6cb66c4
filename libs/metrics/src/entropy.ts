/** Shannon entropy (natural log) of counts; 0 for one outcome or none. */
export function entropy(counts: Iterable<number>): number {
  let total = 0;
  const xs: number[] = [];
  for (const c of counts)
    if (c > 0) {
      xs.push(c);
      total += c;
    }
  let h = 0;
  for (const c of xs) {
    const p = c / total;
    h -= p * Math.log(p);
  }
  return h;
}

export type ClusterRule = 'greedy' | 'components';

/** Cosine of rows a and b of an embedding matrix [rows, dim] (0 when either is zero). */
export function cosine(e: Float32Array, dim: number, a: number, b: number): number {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < dim; i++) {
    const x = e[a * dim + i] as number;
    const y = e[b * dim + i] as number;
    s += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? s / Math.sqrt(na * nb) : 0;
}

/**
 * Groups a feature's tokens by the cosine of their input embeddings (../shared/SPEC.md section 4). 'greedy': tokens in
 * decreasing p(t|f) (ties by id) each join the first cluster whose founding token they exceed `cut` with,
 * else found a new one. 'components': connected components of the graph of pairs above `cut`.
 * Returns each token's cluster label, in the order of `tokens`.
 */
export function clusterTokens(
  tokens: readonly { id: number; count: number }[],
  embeddings: Float32Array,
  dim: number,
  cut = 0.1,
  rule: ClusterRule = 'greedy',
): number[] {
  const order = tokens
    .map((t, i) => i)
    .sort(
      (a, b) =>
        (tokens[b] as { count: number }).count - (tokens[a] as { count: number }).count ||
        (tokens[a] as { id: number }).id - (tokens[b] as { id: number }).id,
    );
  const label = new Array<number>(tokens.length).fill(-1);
  if (rule === 'greedy') {
    const founders: number[] = [];
    for (const i of order) {
      const id = (tokens[i] as { id: number }).id;
      const c = founders.findIndex((f) => cosine(embeddings, dim, (tokens[f] as { id: number }).id, id) > cut);
      if (c >= 0) label[i] = c;
      else {
        label[i] = founders.length;
        founders.push(i);
      }
    }
    return label;
  }
  const parent = tokens.map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x] as number] as number;
      x = parent[x] as number;
    }
    return x;
  };
  for (let a = 0; a < tokens.length; a++)
    for (let b = a + 1; b < tokens.length; b++) {
      if (cosine(embeddings, dim, (tokens[a] as { id: number }).id, (tokens[b] as { id: number }).id) > cut)
        parent[find(a)] = find(b);
    }
  const ids = new Map<number, number>();
  for (const i of order) {
    const r = find(i);
    if (!ids.has(r)) ids.set(r, ids.size);
    label[i] = ids.get(r) as number;
  }
  return label;
}

/** Semantic entropy: entropy of the feature's occurrences grouped by token cluster. */
export function semanticEntropy(
  tokens: readonly { id: number; count: number }[],
  embeddings: Float32Array,
  dim: number,
  cut = 0.1,
  rule: ClusterRule = 'greedy',
): number {
  const labels = clusterTokens(tokens, embeddings, dim, cut, rule);
  const mass = new Map<number, number>();
  labels.forEach((l, i) => mass.set(l, (mass.get(l) ?? 0) + (tokens[i] as { count: number }).count));
  return entropy(mass.values());
}

/** M(f) = 1 - SE/TE, and 0 when TE = 0 (a single token). */
export function monosemanticity(te: number, se: number): number {
  return te > 0 ? 1 - se / te : 0;
}
