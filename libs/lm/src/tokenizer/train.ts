import { learnBpe } from './bpe.ts';
import { BYTE_TOKENS, FIRST_CHAR_ID, SPECIAL_TOKENS, buildTokenizerJson, type TokenizerJson } from './format.ts';
import { createPreTokenizer } from './pretokenize.ts';

export interface TrainOptions {
  /** Total vocabulary size including specials and the 256 byte tokens (default 8192). */
  readonly vocabSize?: number;
  /** Keep the most frequent characters until this share of character occurrences is covered (default 0.9995). */
  readonly charCoverage?: number;
  /** A character seen fewer times is never a token of its own (default 2). */
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
  vocabSize: number; charCoverage: number; minCharFrequency: number; maxCharFraction: number; minPairFrequency: number;
}

function resolve(opts: TrainOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    vocabSize: opts.vocabSize ?? 8192,
    charCoverage: opts.charCoverage ?? 0.9995,
    minCharFrequency: opts.minCharFrequency ?? 2,
    maxCharFraction: opts.maxCharFraction ?? 0.5,
    minPairFrequency: opts.minPairFrequency ?? 2,
  };
  if (!Number.isInteger(o.vocabSize) || o.vocabSize <= FIRST_CHAR_ID || o.vocabSize >= 2 ** 21) {
    throw new RangeError(`vocabSize must be an integer in (${FIRST_CHAR_ID}, 2097152), got ${o.vocabSize}`);
  }
  if (!(o.charCoverage > 0 && o.charCoverage <= 1)) throw new RangeError(`charCoverage must be in (0, 1], got ${o.charCoverage}`);
  if (!(o.maxCharFraction > 0 && o.maxCharFraction <= 1)) throw new RangeError(`maxCharFraction must be in (0, 1], got ${o.maxCharFraction}`);
  if (!Number.isInteger(o.minCharFrequency) || o.minCharFrequency < 1) throw new RangeError(`minCharFrequency must be a positive integer, got ${o.minCharFrequency}`);
  if (!Number.isInteger(o.minPairFrequency) || o.minPairFrequency < 1) throw new RangeError(`minPairFrequency must be a positive integer, got ${o.minPairFrequency}`);
  return o;
}

/**
 * Picks the character tokens: by frequency (ties by code point) until `charCoverage` of all
 * occurrences is covered, never below `minCharFrequency`, at most `maxChars`.
 */
export function selectCharacters(charCounts: ReadonlyMap<string, number>, charCoverage: number, minCharFrequency: number, maxChars: number): string[] {
  const ranked = [...charCounts].sort((x, y) => y[1] - x[1] || (x[0].codePointAt(0)! - y[0].codePointAt(0)!));
  const total = ranked.reduce((s, [, c]) => s + c, 0);
  const kept: string[] = [];
  let covered = 0;
  for (const [ch, c] of ranked) {
    if (kept.length >= maxChars || c < minCharFrequency || covered >= charCoverage * total) break;
    kept.push(ch);
    covered += c;
  }
  return kept;
}

/** Trains a byte-fallback BPE tokenizer and reports what it saw. Same texts + options give the same result. */
export async function trainTokenizerDetailed(texts: AsyncIterable<string> | Iterable<string>, opts: TrainOptions = {}): Promise<TrainResult> {
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
    for (const ch of w) { charCounts.set(ch, (charCounts.get(ch) ?? 0) + f); characters += f; }
  }
  const maxChars = Math.floor((o.vocabSize - FIRST_CHAR_ID) * o.maxCharFraction);
  // Characters that already are reserved tokens (a '<' never is one, but be safe) are not repeated.
  const reserved = new Set([...SPECIAL_TOKENS, ...BYTE_TOKENS]);
  const chars = selectCharacters(charCounts, o.charCoverage, o.minCharFrequency, maxChars).filter((c) => !reserved.has(c));
  const coveredOcc = chars.reduce((s, c) => s + charCounts.get(c)!, 0);
  const { vocab, merges } = learnBpe({
    baseVocab: [...SPECIAL_TOKENS, ...BYTE_TOKENS, ...chars], words, vocabSize: o.vocabSize, minPairFrequency: o.minPairFrequency,
  });
  return {
    tokenizer: buildTokenizerJson(vocab, merges),
    stats: {
      documents, characters, distinctWords: words.size, distinctCharacters: charCounts.size, keptCharacters: chars.length,
      characterCoverage: characters > 0 ? coveredOcc / characters : 0, merges: merges.length, vocabSize: vocab.length,
    },
  };
}

/** Trains a byte-fallback BPE tokenizer (tokenizer.json content) on the given texts. */
export async function trainTokenizer(texts: AsyncIterable<string> | Iterable<string>, opts: TrainOptions = {}): Promise<TokenizerJson> {
  return (await trainTokenizerDetailed(texts, opts)).tokenizer;
}
