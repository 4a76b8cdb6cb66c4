import { classLabel, type FeatureStat } from './features.ts';

/** Token ids to text (the tokenizer's decode). */
export type Decode = (ids: readonly number[]) => string;

export interface FeatureDescription {
  readonly feature: number;
  readonly cls: FeatureStat['cls'];
  /** The class as a language code ('en', 'ja') or 'mixed' / 'dead'. */
  readonly label: string;
  readonly occurrences: number;
  readonly topTokens: readonly { readonly id: number; readonly p: number; readonly text: string }[];
  /** Each stored example as text, the activating token between the markers. */
  readonly examples: readonly {
    readonly doc: number;
    readonly position: number;
    readonly activation: number;
    readonly text: string;
  }[];
}

/**
 * A feature in words: its top tokens decoded, and its example contexts with the activating token marked
 * (default `[[ ]]`). Pieces are decoded separately, so a tokenizer that drops a leading space when decoding
 * alone shows the context without it.
 */
export function describeFeature(
  s: FeatureStat,
  decode: Decode,
  o: { languages?: readonly string[]; topTokens?: number; examples?: number; mark?: readonly [string, string] } = {},
): FeatureDescription {
  const [open, close] = o.mark ?? ['[[', ']]'];
  return {
    feature: s.feature,
    cls: s.cls,
    label: classLabel(s.cls, o.languages),
    occurrences: s.occurrences,
    topTokens: s.topTokens
      .slice(0, o.topTokens ?? s.topTokens.length)
      .map((t) => ({ id: t.id, p: t.p, text: decode([t.id]) })),
    examples: s.examples.slice(0, o.examples ?? s.examples.length).map((e) => {
      const ctx = e.context;
      const text = `${decode(ctx.slice(0, e.offset))}${open}${decode(ctx.slice(e.offset, e.offset + 1))}${close}${decode(ctx.slice(e.offset + 1))}`;
      return { doc: e.doc, position: e.position, activation: e.activation, text };
    }),
  };
}
