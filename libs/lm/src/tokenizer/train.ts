import { learnBpe } from './bpe.ts';
import { BYTE_TOKENS, FIRST_CHAR_ID, SPECIAL_TOKENS, buildTokenizerJson, type TokenizerJson } from './format.ts';
import { createPreTokenizer } from './pretokenize.ts';

export interface TrainOptions {
  /** Total vocabulary size including specials and the 256 byte tokens (default 8192). */
  readonly vocabSize?: number;
  /** Stop adding characters once this share of character occurrences is covered (default 1: no such stop). */
  readonly charCoverage?: number;
  /** A character seen fewer times is not a token of its own, unless always kept (default 2). */
  readonly minCharFrequency?: number;
  /** At most this share of the non-reserved vocabulary goes to single characters (default 0.5). */
  readonly maxCharFraction?: number;
  /** Pairs seen fewer times are not merged (default 2). */
  readonly minPairFrequency?: number;
}

export interface TrainStats {
  readonly documents: number;
  readonly characters: number;
  readonly distinctWords: number;
  readonly distinctCharacters: number;
  readonly keptCharacters: number;
  /** Share of character occurrences whose character got its own token. */
  readonly characterCoverage: number;
  readonly merges: number;
  readonly vocabSize: number;
}

export interface TrainResult {
  readonly tokenizer: TokenizerJson;
  readonly stats: TrainStats;
}

interface ResolvedOptions {
  vocabSize: number;
  charCoverage: number;
  minCharFrequency: number;
  maxCharFraction: number;
  minPairFrequency: number;
}

function resolve(opts: TrainOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    vocabSize: opts.vocabSize ?? 8192,
    charCoverage: opts.charCoverage ?? 1,
    minCharFrequency: opts.minCharFrequency ?? 2,
    maxCharFraction: opts.maxCharFraction ?? 0.5,
    minPairFrequency: opts.minPairFrequency ?? 2,
  };
  if (!Number.isInteger(o.vocabSize) || o.vocabSize <= FIRST_CHAR_ID || o.vocabSize >= 2 ** 21) {
    throw new RangeError(`vocabSize must be an integer in (${FIRST_CHAR_ID}, 2097152), got ${o.vocabSize}`);
  }
  if (!(o.charCoverage > 0 && o.charCoverage <= 1))
    throw new RangeError(`charCoverage must be in (0, 1], got ${o.charCoverage}`);
  if (!(o.maxCharFraction > 0 && o.maxCharFraction <= 1))
    throw new RangeError(`maxCharFraction must be in (0, 1], got ${o.maxCharFraction}`);
  if (!Number.isInteger(o.minCharFrequency) || o.minCharFrequency < 1)
    throw new RangeError(`minCharFrequency must be a positive integer, got ${o.minCharFrequency}`);
  if (!Number.isInteger(o.minPairFrequency) || o.minPairFrequency < 1)
    throw new RangeError(`minPairFrequency must be a positive integer, got ${o.minPairFrequency}`);
  return o;
}

/**
 * Characters that are always tokens, seen or not: printable ASCII and the kana (so no kana is ever
 * spelled in bytes, however rare it is in the training text).
 */
export const ALWAYS_CHARACTERS: readonly string[] = (() => {
  const out: string[] = [];
  const add = (from: number, to: number): void => {
    for (let c = from; c <= to; c++) out.push(String.fromCodePoint(c));
  };
  add(0x20, 0x7e);
  add(0x3041, 0x3096);
  add(0x309d, 0x309e); // hiragana, iteration marks
  add(0x30a1, 0x30fa);
  add(0x30fc, 0x30fe); // katakana, prolonged sound mark, iteration marks
  return out;
})();

/**
 * Picks the character tokens: `always` first, then the others by frequency (ties by code point) while
 * they occur at least `minCharFrequency` times and `charCoverage` of occurrences is not yet covered,
 * at most `maxChars` in all. The result is ordered by frequency, then code point.
 */
export function selectCharacters(
  charCounts: ReadonlyMap<string, number>,
  charCoverage: number,
  minCharFrequency: number,
  maxChars: number,
  always: readonly string[] = [],
): string[] {
  const count = (c: string): number => charCounts.get(c) ?? 0;
  const byFreq = (x: string, y: string): number => count(y) - count(x) || x.codePointAt(0)! - y.codePointAt(0)!;
  const forced = [...new Set(always)].sort(byFreq).slice(0, maxChars);
  const kept = new Set(forced);
  const total = [...charCounts.values()].reduce((s, c) => s + c, 0);
  let covered = forced.reduce((s, c) => s + count(c), 0);
  for (const ch of [...charCounts.keys()].sort(byFreq)) {
    if (kept.size >= maxChars || count(ch) < minCharFrequency || covered >= charCoverage * total) break;
    if (kept.has(ch)) continue;
    kept.add(ch);
    covered += count(ch);
  }
  return [...kept].sort(byFreq);
}

/** Trains a byte-fallback BPE tokenizer and reports what it saw. Same texts + options give the same result. */
export async function trainTokenizerDetailed(
  texts: AsyncIterable<string> | Iterable<string>,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  const o = resolve(opts);
  const preTokenize = createPreTokenizer();
  const words = new Map<string, number>();
  let documents = 0;
  for await (const text of texts) {
    if (typeof text !== 'string') throw new TypeError(`trainTokenizer: text ${documents} is not a string`);
    documents++;
    for (const w of preTokenize(text)) words.set(w, (words.get(w) ?? 0) + 1);
  }
  const charCounts = new Map<string, number>();
  let characters = 0;
  for (const [w, f] of words) {
    for (const ch of w) {
      charCounts.set(ch, (charCounts.get(ch) ?? 0) + f);
      characters += f;
    }
  }
  const maxChars = Math.floor((o.vocabSize - FIRST_CHAR_ID) * o.maxCharFraction);
  // Characters that already are reserved tokens (a '<' never is one, but be safe) are not repeated.
  const reserved = new Set([...SPECIAL_TOKENS, ...BYTE_TOKENS]);
  const chars = selectCharacters(charCounts, o.charCoverage, o.minCharFrequency, maxChars, ALWAYS_CHARACTERS).filter(
    (c) => !reserved.has(c),
  );
  const coveredOcc = chars.reduce((s, c) => s + (charCounts.get(c) ?? 0), 0);
  const { vocab, merges } = learnBpe({
    baseVocab: [...SPECIAL_TOKENS, ...BYTE_TOKENS, ...chars],
    words,
    vocabSize: o.vocabSize,
    minPairFrequency: o.minPairFrequency,
  });
  return {
    tokenizer: buildTokenizerJson(vocab, merges),
    stats: {
      documents,
      characters,
      distinctWords: words.size,
      distinctCharacters: charCounts.size,
      keptCharacters: chars.length,
      characterCoverage: characters > 0 ? coveredOcc / characters : 0,
      merges: merges.length,
      vocabSize: vocab.length,
    },
  };
}

/** Trains a byte-fallback BPE tokenizer (tokenizer.json content) on the given texts. */
export async function trainTokenizer(
  texts: AsyncIterable<string> | Iterable<string>,
  opts: TrainOptions = {},
): Promise<TokenizerJson> {
  return (await trainTokenizerDetailed(texts, opts)).tokenizer;
}
