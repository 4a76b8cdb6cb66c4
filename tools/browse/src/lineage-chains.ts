// Lineage of features along a chain of SAEs (one size, recipe and layer over checkpoints): the counts the
// browser shows and the Figure 3 report prints. Free of the harness, so a report writer can use it.
import { lineageNodes } from './build.ts';
import { lineageEdges, mixedDescent, type LineageEdge, type MixedDescent } from './chains.ts';
import type { CachedSae } from './scan.ts';

export interface ChainReport {
  readonly size: string;
  readonly recipe: string;
  readonly layer: number;
  readonly steps: readonly number[];
  readonly pairs: readonly {
    readonly from: number;
    readonly to: number;
    readonly persist: number;
    readonly merged: number;
    readonly split: number;
    readonly new: number;
    readonly vanished: number;
    readonly sameIndex: number;
  }[];
  /** Where the Mixed features at the last checkpoint came from. */
  readonly mixedAtLast: MixedDescent;
}

/** Lineage along checkpoints for every (size, recipe, layer) chain of the given SAEs. */
export async function lineageReport(saes: readonly CachedSae[], threshold: number): Promise<ChainReport[]> {
  const nodes = await lineageNodes(saes);
  const edges = lineageEdges(nodes, threshold, ['checkpoint']);
  const chains = new Map<string, LineageEdge[]>();
  for (const e of edges) {
    const k = `${e.from.size}|${e.from.recipe}|${e.from.layer}`;
    chains.set(k, [...(chains.get(k) ?? []), e]);
  }
  return [...chains.values()].map((chain) => {
    chain.sort((a, b) => a.from.step - b.from.step);
    const first = chain[0] as LineageEdge;
    return {
      size: first.from.size,
      recipe: first.from.recipe,
      layer: first.from.layer,
      steps: [first.from.step, ...chain.map((e) => e.to.step)],
      pairs: chain.map((e) => ({
        from: e.from.step,
        to: e.to.step,
        persist: e.lineage.counts.persist,
        merged: e.lineage.counts.merge,
        split: e.lineage.counts.split,
        new: e.lineage.counts.appear,
        vanished: e.lineage.counts.vanish,
        sameIndex: e.lineage.links.filter((l) => l.kind === 'match' && l.from === l.to).length,
      })),
      mixedAtLast: mixedDescent(chain),
    };
  });
}

/** The report as Markdown: one table per chain and a sentence on the last checkpoint's Mixed features. */
export function formatLineageReport(reports: readonly ChainReport[], threshold: number): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(
      `### ${r.size}, layer ${r.layer} (${r.recipe})`,
      '',
      `Decoder-direction cosine >= ${threshold}, optimal one-to-one matching over alive features. The SAEs of a chain start from one seeded initialisation (seed ${r.recipe.match(/-s(\d+)-/)?.[1] ?? '?'}), so a persisting pair with the same index may be that shared start as much as a learned feature.`,
      '',
      '| checkpoints | persisting | merged | split | new | vanished | persisting with the same index |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...r.pairs.map(
        (p) =>
          `| ${p.from} -> ${p.to} | ${p.persist} | ${p.merged} | ${p.split} | ${p.new} | ${p.vanished} | ${p.sameIndex} |`,
      ),
      '',
    );
    const m = r.mixedAtLast;
    // Every checkpoint's SAE starts from the same seeded initialisation, so a pair with one index may be a shared start, not a learned feature.
    out.push(
      `At step ${r.steps.at(-1)}: ${m.mixed} Mixed features; ${m.fromMonolingual} have a monolingual parent at step ${r.steps.at(-2)} (${m.fromBoth} of them parents of both languages), ${m.fromMixedOnly} only Mixed parents, ${m.new} no parent; ${m.monolingualAncestor} have a monolingual ancestor at some earlier checkpoint.`,
      '',
    );
  }
  return out.join('\n');
}
