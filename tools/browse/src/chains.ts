import { featureLineage, type FeatureClass, type Lineage, type LineageCounts } from '@saetrace/metrics';

/** What lineage needs of one SAE: where it sits, its decoder rows [n, d] and each feature's class. */
export interface LineageNode {
  readonly id: string;
  readonly size: string;
  readonly recipe: string;
  readonly step: number;
  readonly layer: number;
  readonly d: number;
  readonly W_dec: Float32Array;
  readonly classes: readonly FeatureClass[];
}

export interface LineageEdge {
  readonly axis: 'checkpoint' | 'layer';
  readonly from: LineageNode;
  readonly to: LineageNode;
  readonly lineage: Lineage;
}

const alive = (n: LineageNode) => n.classes.flatMap((c, f) => (c === 'dead' ? [] : [f]));

/**
 * Edges between consecutive checkpoints (same size, recipe and layer) and adjacent layers (same size, recipe
 * and checkpoint) of the listed SAEs, over their alive features.
 */
export function lineageEdges(
  nodes: readonly LineageNode[],
  threshold: number,
  axes: readonly ('checkpoint' | 'layer')[] = ['checkpoint', 'layer'],
): LineageEdge[] {
  const edges: LineageEdge[] = [];
  const group = (key: (n: LineageNode) => string, order: (n: LineageNode) => number, axis: 'checkpoint' | 'layer') => {
    const groups = new Map<string, LineageNode[]>();
    for (const n of nodes) groups.set(key(n), [...(groups.get(key(n)) ?? []), n]);
    for (const g of groups.values()) {
      g.sort((a, b) => order(a) - order(b));
      for (let i = 1; i < g.length; i++) {
        const a = g[i - 1] as LineageNode;
        const b = g[i] as LineageNode;
        if (axis === 'layer' && b.layer !== a.layer + 1) continue;
        if (a.d !== b.d) continue;
        edges.push({
          axis,
          from: a,
          to: b,
          lineage: featureLineage(
            { W_dec: a.W_dec, features: alive(a) },
            { W_dec: b.W_dec, features: alive(b) },
            a.d,
            threshold,
          ),
        });
      }
    }
  };
  if (axes.includes('checkpoint'))
    group(
      (n) => `${n.size}|${n.recipe}|${n.layer}`,
      (n) => n.step,
      'checkpoint',
    );
  if (axes.includes('layer'))
    group(
      (n) => `${n.size}|${n.recipe}|${n.step}`,
      (n) => n.layer,
      'layer',
    );
  return edges;
}

export interface MixedDescent {
  /** Mixed features of the later SAE. */
  readonly mixed: number;
  /** ... with a first- or second-language feature among their parents at the earlier SAE. */
  readonly fromMonolingual: number;
  /** ... with parents of both languages (a merge of an English and a Japanese feature). */
  readonly fromBoth: number;
  /** ... whose parents are all Mixed. */
  readonly fromMixedOnly: number;
  /** ... with no parent (new at the later SAE). */
  readonly new: number;
  /** ... with a monolingual feature anywhere among their ancestors along the chain of edges given. */
  readonly monolingualAncestor: number;
}

/** Where the Mixed features of the last SAE of a chain of checkpoint edges (in order) came from. */
export function mixedDescent(chain: readonly LineageEdge[]): MixedDescent {
  const last = chain.at(-1);
  if (!last) throw new RangeError('mixedDescent: an empty chain');
  const mixedFeatures = last.to.classes.flatMap((c, f) => (c === 'mixed' ? [f] : []));
  let fromMonolingual = 0;
  let fromBoth = 0;
  let fromMixedOnly = 0;
  let fresh = 0;
  let monolingualAncestor = 0;
  for (const f of mixedFeatures) {
    const parents = last.lineage.parents.get(f) ?? [];
    const cls = new Set(parents.map((p) => last.from.classes[p.from]));
    if (parents.length === 0) fresh++;
    if (cls.has('first') || cls.has('second')) fromMonolingual++;
    if (cls.has('first') && cls.has('second')) fromBoth++;
    if (parents.length > 0 && [...cls].every((c) => c === 'mixed')) fromMixedOnly++;
    // Walk back: the ancestors at each earlier SAE.
    let frontier = new Set([f]);
    let found = false;
    for (let e = chain.length - 1; e >= 0 && frontier.size > 0 && !found; e--) {
      const edge = chain[e] as LineageEdge;
      const next = new Set<number>();
      for (const g of frontier) for (const p of edge.lineage.parents.get(g) ?? []) next.add(p.from);
      for (const g of next) if (edge.from.classes[g] === 'first' || edge.from.classes[g] === 'second') found = true;
      frontier = next;
    }
    if (found) monolingualAncestor++;
  }
  return { mixed: mixedFeatures.length, fromMonolingual, fromBoth, fromMixedOnly, new: fresh, monolingualAncestor };
}

export type { LineageCounts };
