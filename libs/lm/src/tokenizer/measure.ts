import type { LoadedTokenizer } from './load.ts';

/** Kana and kanji (the characters that must never need byte fallback when common). */
const JAPANESE_SCRIPT = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;

export interface LanguageMeasures {
  readonly documents: number;
  /** Non-whitespace code points. */
  readonly characters: number;
  /** Whitespace-separated words. */
  readonly words: number;
  /** Tokens without BOS. */
  readonly tokens: number;
  readonly tokensPerCharacter: number;
  readonly tokensPerWord: number;
  /** Share of tokens that are `<0xXX>` byte-fallback tokens. */
  readonly byteTokenRate: number;
  /** Share of non-whitespace characters that have no token of their own (so are spelled in bytes). */
  readonly byteCharacterRate: number;
  /** Documents where decode(encode(text)) differs from text. */
  readonly roundTripFailures: number;
  /** Kana/kanji occurrences, and how many of them (and which distinct ones) fall back to bytes. */
  readonly japaneseScript: {
    readonly occurrences: number;
    readonly distinct: number;
    readonly byteOccurrences: number;
    readonly byteDistinct: number;
    /** The most frequent kana/kanji that fall back to bytes, with counts (at most 20). */
    readonly topByteCharacters: readonly (readonly [string, number])[];
  };
}

export type TokenizerMeasures = Readonly<Record<string, LanguageMeasures>>;

interface Acc {
  documents: number;
  characters: number;
  words: number;
  tokens: number;
  byteTokens: number;
  byteChars: number;
  roundTripFailures: number;
  jaOcc: number;
  jaByteOcc: number;
  jaChars: Map<string, number>;
  jaByteChars: Map<string, number>;
}

/** Encodes each document (no BOS) and gathers per-language token rates and byte-fallback use. */
export async function measureTokenizer(
  tok: LoadedTokenizer,
  docs:
    | AsyncIterable<{ readonly lang: string; readonly text: string }>
    | Iterable<{ readonly lang: string; readonly text: string }>,
): Promise<TokenizerMeasures> {
  const accs = new Map<string, Acc>();
  const hasToken = new Map<string, boolean>();
  for await (const { lang, text } of docs) {
    let a = accs.get(lang);
    if (a === undefined) {
      a = {
        documents: 0,
        characters: 0,
        words: 0,
        tokens: 0,
        byteTokens: 0,
        byteChars: 0,
        roundTripFailures: 0,
        jaOcc: 0,
        jaByteOcc: 0,
        jaChars: new Map(),
        jaByteChars: new Map(),
      };
      accs.set(lang, a);
    }
    a.documents++;
    const ids = await tok.encode(text);
    a.tokens += ids.length;
    for (const id of ids) if (tok.isByte(id)) a.byteTokens++;
    if (tok.decode(ids, { keepSpecial: true }) !== text) a.roundTripFailures++;
    a.words += text.split(/\s+/u).filter((w) => w !== '').length;
    for (const ch of text) {
      if (/\s/u.test(ch)) continue;
      a.characters++;
      let has = hasToken.get(ch);
      if (has === undefined) hasToken.set(ch, (has = tok.idOf(ch) !== undefined));
      if (!has) a.byteChars++;
      if (JAPANESE_SCRIPT.test(ch)) {
        a.jaOcc++;
        a.jaChars.set(ch, (a.jaChars.get(ch) ?? 0) + 1);
        if (!has) {
          a.jaByteOcc++;
          a.jaByteChars.set(ch, (a.jaByteChars.get(ch) ?? 0) + 1);
        }
      }
    }
  }
  const out: Record<string, LanguageMeasures> = {};
  for (const lang of [...accs.keys()].sort()) {
    const a = accs.get(lang)!;
    const top = [...a.jaByteChars].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 20);
    out[lang] = {
      documents: a.documents,
      characters: a.characters,
      words: a.words,
      tokens: a.tokens,
      tokensPerCharacter: a.characters > 0 ? a.tokens / a.characters : 0,
      tokensPerWord: a.words > 0 ? a.tokens / a.words : 0,
      byteTokenRate: a.tokens > 0 ? a.byteTokens / a.tokens : 0,
      byteCharacterRate: a.characters > 0 ? a.byteChars / a.characters : 0,
      roundTripFailures: a.roundTripFailures,
      japaneseScript: {
        occurrences: a.jaOcc,
        distinct: a.jaChars.size,
        byteOccurrences: a.jaByteOcc,
        byteDistinct: a.jaByteChars.size,
        topByteCharacters: top,
      },
    };
  }
  return out;
}
