// The shapes of the site's data files, shared by the builder (build.ts) and the page (client/app.ts).
import type { FeatureClass, LineageCounts, SaeSummary } from '@saetrace/metrics';
import type { MixedDescent } from './chains.ts';

/** A lineage link, compact: [index of the other SAE in SiteIndex.saes, its feature, cosine, 0 matched / 1 nearest leftover, its class]. */
export type LinkData = readonly [number, number, number, 0 | 1, FeatureClass];

export interface AliveFeature {
  readonly f: number;
  readonly cls: FeatureClass;
  /** The authors' rule: the language of the peak token of each top example, > 0.9 of them one language. */
  readonly peakRule: 'en' | 'ja' | 'mixed' | 'none';
  readonly pLang: readonly number[];
  readonly occ: number;
  /** Share of held-out tokens where the feature is among the top k with a positive value. */
  readonly freq: number;
  readonly te: number;
  readonly se: number;
  readonly mono: number;
  readonly span: number;
  /** [token id, p(t|f)] */
  readonly top: readonly (readonly [number, number])[];
  /** Top activating documents (64-token windows, BOS dropped): [doc, i0, q0, i1, q1, ...], the feature's activation at window index i where positive, as q / 1000 of histMax (q in 1..1000). */
  readonly ex: readonly (readonly number[])[];
  /** Counts of positive activations in 20 equal bins of [0, histMax]. */
  readonly hist: readonly number[];
  readonly histMax: number;
  readonly prev: readonly LinkData[];
  readonly next: readonly LinkData[];
  readonly below: readonly LinkData[];
  readonly above: readonly LinkData[];
}

export type FeatureData = AliveFeature | { readonly f: number; readonly cls: FeatureClass };

/** A token table and a document table shared by every SAE whose model uses one tokenizer (data/text-<key>.js). */
export interface TextTables {
  readonly tokens: Readonly<Record<string, string>>;
  readonly docs: Readonly<Record<string, { readonly lang: number; readonly ids: readonly number[] }>>;
}

/** One SAE's data file: its text lives in the shared table named by `text`; `docs` holds only the documents
 * whose tokens differ from that table's (none when every SAE reads the same held-out store). */
export interface SaeFile extends Omit<SaeData, 'tokens' | 'docs'> {
  readonly text: string;
  readonly docs?: TextTables['docs'];
}

/** What a page works with: an SAE's file joined with its text tables. */
export interface SaeData {
  readonly id: string;
  readonly size: string;
  readonly recipe: string;
  readonly step: number;
  readonly layer: number;
  readonly n: number;
  readonly k: number;
  readonly d: number;
  readonly fvu: number;
  readonly l0: number;
  readonly languages: readonly string[];
  readonly summary: SaeSummary;
  readonly evalTokens: number;
  readonly tokens: Readonly<Record<string, string>>;
  readonly docs: Readonly<Record<string, { readonly lang: number; readonly ids: readonly number[] }>>;
  readonly features: readonly FeatureData[];
}

export interface EdgeSummary {
  readonly axis: 'checkpoint' | 'layer';
  readonly from: string;
  readonly to: string;
  readonly counts: LineageCounts;
  readonly mixed?: MixedDescent;
}

export interface SiteIndex {
  readonly pair: string;
  readonly profile: string;
  readonly threshold: number;
  languages: readonly string[];
  readonly saes: {
    readonly id: string;
    readonly size: string;
    readonly recipe: string;
    readonly step: number;
    readonly layer: number;
    readonly n: number;
    readonly k: number;
    readonly fvu: number;
    readonly l0: number;
    readonly dead: number;
    readonly alive: number;
    readonly shares: SaeSummary['shares'];
  }[];
  readonly edges: readonly EdgeSummary[];
  readonly built: string;
}
