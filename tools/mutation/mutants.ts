// Mutants of the pipeline that a developer might plausibly write (issue "Reproducible on any machine",
// "Regression power"): each is one textual edit of one source file. tools/mutation/run.ts applies each to a
// scratch copy of the checkout, runs smoke specs there from an empty cache, and counts the mutant caught when
// a golden comparison fails. mutants.test.ts keeps every edit applicable to the current sources.

export interface Edit {
  readonly file: string;
  /** Text that must occur in `file` exactly once. */
  readonly from: string;
  readonly to: string;
}

export interface Mutant {
  readonly name: string;
  readonly what: string;
  readonly edits: readonly Edit[];
  /** Smoke specs run under the mutant (caught if any fails its golden). */
  readonly specs: readonly string[];
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'class-cut-0.8',
    what: "a feature is monolingual above 0.8 of its occurrences instead of the spec's cut (0.9)",
    edits: [
      {
        file: 'libs/metrics/src/features.ts',
        from: "> cut ? 'first' : (pLang[1] ?? 0) > cut ?",
        to: "> cut - 0.1 ? 'first' : (pLang[1] ?? 0) > cut - 0.1 ?",
      },
    ],
    specs: ['en-ja/figure3'],
  },
  {
    name: 'bos-kept',
    what: 'the BOS position is kept in the activations and the last position dropped',
    edits: [
      {
        file: 'libs/activations/src/extract.ts',
        from: 'h.subarray((w * SEQ + 1) * d, (w + 1) * SEQ * d)',
        to: 'h.subarray(w * SEQ * d, ((w + 1) * SEQ - 1) * d)',
      },
    ],
    specs: ['en-ja/figure3'],
  },
  {
    name: 'threshold-0.5',
    what: "an occurrence counts above 0.5 of the feature's maximum instead of 0.7",
    edits: [
      {
        file: 'libs/metrics/src/passes.ts',
        from: 'const ratio = options.ratio ?? 0.7;',
        to: 'const ratio = options.ratio ?? 0.5;',
      },
    ],
    specs: ['en-ja/figure3'],
  },
  {
    name: 'no-unit-norm',
    what: 'activations are not normalised to unit L2 norm before the SAE',
    edits: [
      {
        file: 'libs/activations/src/extract.ts',
        from: 'const x = unitNormRows(acts.get(l)!, n * WINDOW_TOKENS, d);',
        to: 'const x = acts.get(l)!;',
      },
    ],
    specs: ['en-ja/figure3'],
  },
  {
    name: 'layer-off-by-one',
    what: "site l taps the residual after block l (the authors' l + 1), as saetrace did before the fix",
    edits: [
      {
        file: 'libs/lm/src/llama/model.ts',
        from: 'taps: sorted,\n        logits: false,\n        stopAtSite: Math.max(...sorted),\n      });\n      for (const l of sorted) g.output(r.taps.get(l) as Value',
        to: 'taps: sorted.map((l) => l + 1),\n        logits: false,\n        stopAtSite: Math.max(...sorted) + 1,\n      });\n      for (const l of sorted) g.output(r.taps.get(l + 1) as Value',
      },
    ],
    specs: ['en-ja/figure3'],
  },
  {
    name: 'mid-site-late',
    what: 'the mid layer is ceil(L/2) instead of floor(L/2)',
    edits: [
      {
        file: 'libs/lm/src/llama/sites.ts',
        from: 'return Math.floor(numLayers / 2);',
        to: 'return Math.ceil(numLayers / 2);',
      },
    ],
    specs: ['en-ja/figure3'],
  },
];

/** Applies one edit of a mutant to a file's text; throws when it no longer matches the sources (the mutant went stale). */
export function applyEdit(m: Mutant, e: Edit, text: string): string {
  const parts = text.split(e.from);
  if (parts.length !== 2)
    throw new Error(
      `mutant ${m.name}: '${e.from}' occurs ${parts.length - 1} times in ${e.file}, expected once; update tools/mutation/mutants.ts`,
    );
  return parts.join(e.to);
}
