/**
 * Feature lineage between two SAEs of one model size (consecutive checkpoints, or adjacent layers): features
 * are matched by the cosine similarity of their decoder directions with an optimal one-to-one assignment
 * (the Hungarian method, exact), then every feature left over is attached to its most similar feature on the
 * other side when that similarity reaches the threshold. From those links: persist (a matched pair at or
 * above the threshold), split (an earlier feature with two or more later features linked to it), merge (a
 * later feature with two or more earlier ones), appear (a later feature with no link), vanish (an earlier one
 * with no link).
 */

/**
 * Minimum-cost assignment of every row to a distinct column of a rows x cols cost matrix (rows <= cols),
 * by shortest augmenting paths with potentials (Kuhn-Munkres in O(rows^2 cols)). Returns the column of each row.
 */
export function minCostAssignment(cost: Float64Array | readonly number[], rows: number, cols: number): Int32Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0)
    throw new RangeError(`minCostAssignment: rows and cols must be non-negative integers, got ${rows} x ${cols}`);
  if (rows > cols)
    throw new RangeError(
      `minCostAssignment: ${rows} rows cannot be assigned to ${cols} columns (transpose the matrix)`,
    );
  if (cost.length !== rows * cols)
    throw new RangeError(`minCostAssignment: ${cost.length} costs for a ${rows} x ${cols} matrix`);
  for (let i = 0; i < cost.length; i++)
    if (!Number.isFinite(cost[i] as number))
      throw new RangeError(`minCostAssignment: cost ${i} is ${cost[i]}, not a finite number`);
  // 1-based arrays with a virtual column 0 that holds the row being inserted.
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const rowOfCol = new Int32Array(cols + 1);
  const way = new Int32Array(cols + 1);
  const minv = new Float64Array(cols + 1);
  const used = new Uint8Array(cols + 1);
  for (let i = 1; i <= rows; i++) {
    rowOfCol[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = rowOfCol[j0] as number;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const reduced = (cost[(i0 - 1) * cols + (j - 1)] as number) - (u[i0] as number) - (v[j] as number);
        if (reduced < (minv[j] as number)) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if ((minv[j] as number) < delta) {
          delta = minv[j] as number;
          j1 = j;
        }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) {
          u[rowOfCol[j] as number] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (rowOfCol[j0] !== 0);
    do {
      const j1 = way[j0] as number;
      rowOfCol[j0] = rowOfCol[j1] as number;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Int32Array(rows).fill(-1);
  for (let j = 1; j <= cols; j++) if ((rowOfCol[j] as number) > 0) out[(rowOfCol[j] as number) - 1] = j - 1;
  return out;
}

/** The one-to-one matching of a x b items that maximises the summed similarity; [i, j] pairs, one per item of the smaller side. */
export function maxSimilarityMatching(sim: Float64Array, a: number, b: number): [number, number][] {
  if (sim.length !== a * b)
    throw new RangeError(`maxSimilarityMatching: ${sim.length} similarities for ${a} x ${b} items`);
  if (a <= b) {
    const cols = minCostAssignment(
      sim.map((s) => -s),
      a,
      b,
    );
    return Array.from(cols, (j, i) => [i, j] as [number, number]);
  }
  const t = new Float64Array(a * b);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) t[j * a + i] = -(sim[i * b + j] as number);
  const rows = minCostAssignment(t, b, a);
  return Array.from(rows, (i, j) => [i, j] as [number, number]).sort((x, y) => x[0] - y[0]);
}

/** Cosine similarity of every row of A [na, d] with every row of B [nb, d]; a zero row has similarity 0. */
export function cosineMatrix(A: Float32Array, na: number, B: Float32Array, nb: number, d: number): Float64Array {
  if (A.length !== na * d || B.length !== nb * d)
    throw new RangeError(
      `cosineMatrix: matrices of ${A.length} and ${B.length} values are not [${na}, ${d}] and [${nb}, ${d}]`,
    );
  const norm = (M: Float32Array, n: number) =>
    Float64Array.from({ length: n }, (_, r) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += (M[r * d + c] as number) ** 2;
      return Math.sqrt(s);
    });
  const nA = norm(A, na);
  const nB = norm(B, nb);
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (A[i * d + c] as number) * (B[j * d + c] as number);
      const den = (nA[i] as number) * (nB[j] as number);
      out[i * nb + j] = den > 0 ? s / den : 0;
    }
  }
  return out;
}

export interface LineageLink {
  /** Feature index in the earlier SAE and in the later SAE. */
  readonly from: number;
  readonly to: number;
  readonly cosine: number;
  /** 'match': the pair of the optimal matching; 'extra': a leftover feature attached to its most similar one. */
  readonly kind: 'match' | 'extra';
}

export interface LineageCounts {
  readonly persist: number;
  readonly split: number;
  readonly merge: number;
  readonly appear: number;
  readonly vanish: number;
}

export interface Lineage {
  readonly threshold: number;
  readonly links: readonly LineageLink[];
  readonly counts: LineageCounts;
  /** Per later feature: the earlier features linked to it (its parents). */
  readonly parents: ReadonlyMap<number, readonly LineageLink[]>;
}

/**
 * Lineage from the decoder rows of the earlier SAE (`from`, [nFrom, d]) to the later one (`to`), over the
 * listed features of each (dead ones left out by the caller). Links need cosine >= threshold.
 */
export function featureLineage(
  from: { readonly W_dec: Float32Array; readonly features: readonly number[] },
  to: { readonly W_dec: Float32Array; readonly features: readonly number[] },
  d: number,
  threshold: number,
): Lineage {
  if (!(threshold > -1 && threshold <= 1))
    throw new RangeError(`featureLineage: threshold must be in (-1, 1], got ${threshold}`);
  const pick = (W: Float32Array, fs: readonly number[], side: string) => {
    const out = new Float32Array(fs.length * d);
    fs.forEach((f, r) => {
      if (!Number.isInteger(f) || f < 0 || (f + 1) * d > W.length)
        throw new RangeError(`featureLineage: ${side} feature ${f} is not a row of a decoder of ${W.length / d} rows`);
      out.set(W.subarray(f * d, (f + 1) * d), r * d);
    });
    return out;
  };
  const na = from.features.length;
  const nb = to.features.length;
  const sim = cosineMatrix(pick(from.W_dec, from.features, 'earlier'), na, pick(to.W_dec, to.features, 'later'), nb, d);
  const links: LineageLink[] = [];
  const linkedFrom = new Uint8Array(na);
  const linkedTo = new Uint8Array(nb);
  let persist = 0;
  for (const [i, j] of maxSimilarityMatching(sim, na, nb)) {
    const c = sim[i * nb + j] as number;
    if (c < threshold) continue;
    links.push({ from: from.features[i] as number, to: to.features[j] as number, cosine: c, kind: 'match' });
    linkedFrom[i] = 1;
    linkedTo[j] = 1;
    persist++;
  }
  const matchedFrom = linkedFrom.slice();
  const matchedTo = linkedTo.slice();
  // Leftover later features attach to their most similar earlier feature (a split of it), leftover earlier
  // features to their most similar later feature (a merge into it).
  for (let j = 0; j < nb; j++) {
    if (matchedTo[j]) continue;
    let best = -1;
    let bc = -Infinity;
    for (let i = 0; i < na; i++)
      if ((sim[i * nb + j] as number) > bc) {
        bc = sim[i * nb + j] as number;
        best = i;
      }
    if (best >= 0 && bc >= threshold) {
      links.push({ from: from.features[best] as number, to: to.features[j] as number, cosine: bc, kind: 'extra' });
      linkedFrom[best] = 1;
      linkedTo[j] = 1;
    }
  }
  for (let i = 0; i < na; i++) {
    if (matchedFrom[i]) continue;
    let best = -1;
    let bc = -Infinity;
    for (let j = 0; j < nb; j++)
      if ((sim[i * nb + j] as number) > bc) {
        bc = sim[i * nb + j] as number;
        best = j;
      }
    if (best >= 0 && bc >= threshold && !links.some((l) => l.from === from.features[i] && l.to === to.features[best])) {
      links.push({ from: from.features[i] as number, to: to.features[best] as number, cosine: bc, kind: 'extra' });
      linkedFrom[i] = 1;
      linkedTo[best] = 1;
    }
  }
  const children = new Map<number, number>();
  const parents = new Map<number, LineageLink[]>();
  for (const l of links) {
    children.set(l.from, (children.get(l.from) ?? 0) + 1);
    parents.set(l.to, [...(parents.get(l.to) ?? []), l]);
  }
  for (const ps of parents.values()) ps.sort((x, y) => y.cosine - x.cosine || x.from - y.from);
  const counts: LineageCounts = {
    persist,
    split: [...children.values()].filter((c) => c >= 2).length,
    merge: [...parents.values()].filter((p) => p.length >= 2).length,
    appear: linkedTo.reduce((s, x) => s + (x ? 0 : 1), 0),
    vanish: linkedFrom.reduce((s, x) => s + (x ? 0 : 1), 0),
  };
  links.sort((x, y) => x.to - y.to || y.cosine - x.cosine || x.from - y.from);
  return { threshold, links, counts, parents };
}
