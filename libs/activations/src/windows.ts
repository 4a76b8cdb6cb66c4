import { runRng } from '@saetrace/engine';
import type { CorpusDoc } from './corpus.ts';

/** Positions kept per document after BOS (../shared/SPEC.md section 2). */
export const WINDOW_TOKENS = 64;
/** Documents per tokenizer call at least (the binding's batch call runs them in parallel). */
const SELECT_BATCH = 64;

/** One document's model input: BOS followed by its first WINDOW_TOKENS tokens. */
export interface DocWindow {
  readonly docId: string;
  /** Index of the document's language in the pair's language list. */
  readonly lang: number;
  /** int32 [WINDOW_TOKENS + 1], tokens[0] = BOS. */
  readonly tokens: Int32Array;
}

export interface SelectOptions {
  /** The pair's languages, in order; DocWindow.lang indexes this list. */
  readonly langs: readonly string[];
  /** Tokens wanted per language; each language contributes floor(budget / WINDOW_TOKENS) documents at most. */
  readonly tokensPerLang: number;
  readonly seed: number | string;
  readonly bosId: number;
  /** Token ids of each text (no BOS), in order; called on batches of documents. */
  readonly encodeBatch: (texts: readonly string[]) => Promise<number[][]>;
}

export interface Selection {
  /** Languages interleaved (l0, l1, l0, l1, ...) so every shard carries both. */
  readonly windows: DocWindow[];
  readonly docsPerLang: number;
  /** Documents per language that were encoded and dropped as shorter than the window. */
  readonly dropped: readonly number[];
}

/** BOS + first WINDOW_TOKENS tokens of a document, or null when it is shorter (such documents are dropped). */
export function windowOf(tokens: readonly number[], bosId: number): Int32Array | null {
  if (tokens.length < WINDOW_TOKENS) return null;
  const w = new Int32Array(WINDOW_TOKENS + 1);
  w[0] = bosId;
  for (let i = 0; i < WINDOW_TOKENS; i++) w[i + 1] = tokens[i]!;
  return w;
}

/**
 * Picks documents per language in a seeded order, dropping short ones, and balances the languages
 * 50/50: every language gets the same count, min(budget in documents, eligible documents of any language).
 */
export async function selectWindows(
  docsByLang: readonly (readonly CorpusDoc[])[],
  opts: SelectOptions,
): Promise<Selection> {
  if (docsByLang.length !== opts.langs.length)
    throw new RangeError(`selectWindows: ${docsByLang.length} document lists for ${opts.langs.length} languages`);
  if (!Number.isInteger(opts.tokensPerLang) || opts.tokensPerLang < WINDOW_TOKENS) {
    throw new RangeError(
      `selectWindows: tokensPerLang must be an integer >= ${WINDOW_TOKENS}, got ${opts.tokensPerLang}`,
    );
  }
  const want = Math.floor(opts.tokensPerLang / WINDOW_TOKENS);
  const rng = runRng(opts.seed);
  const perLang: DocWindow[][] = [];
  const dropped: number[] = [];
  for (const [li, lang] of opts.langs.entries()) {
    const docs = docsByLang[li]!;
    const order = rng.stream(`activations/select/${lang}`).shuffle(Array.from({ length: docs.length }, (_, i) => i));
    const picked: DocWindow[] = [];
    let drop = 0;
    // Encode lazily in the seeded order, a batch at a time: about as many documents as the budget needs.
    for (let at = 0; at < order.length && picked.length < want; ) {
      const batch = order.slice(at, at + Math.max(SELECT_BATCH, want - picked.length));
      at += batch.length;
      const encoded = await opts.encodeBatch(batch.map((i) => docs[i]!.text));
      for (const [j, i] of batch.entries()) {
        if (picked.length >= want) break;
        const tokens = windowOf(encoded[j]!, opts.bosId);
        if (tokens === null) {
          drop++;
          continue;
        }
        picked.push({ docId: docs[i]!.id, lang: li, tokens });
      }
    }
    perLang.push(picked);
    dropped.push(drop);
  }
  const n = Math.min(...perLang.map((p) => p.length));
  const windows: DocWindow[] = [];
  for (let i = 0; i < n; i++) for (const p of perLang) windows.push(p[i]!);
  return { windows, docsPerLang: n, dropped };
}
