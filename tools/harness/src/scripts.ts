import { createHash } from 'node:crypto';

/**
 * The Unicode scripts a language is written in, for the language of a token (cross-script Mixed, the
 * peak-token rule): a pair file may name its own (experiments/pairs/<pair>.yaml `scripts`), else these.
 */
export const LANGUAGE_SCRIPTS: Readonly<Record<string, readonly string[]>> = {
  en: ['Latin'],
  de: ['Latin'],
  fr: ['Latin'],
  ja: ['Hiragana', 'Katakana', 'Han'],
  ko: ['Hangul'],
  zh: ['Han'],
};

/** The scripts of each language of a pair; a language with none known is an error naming where to add it. */
export function pairScripts(
  languages: readonly [string, string],
  declared: Readonly<Record<string, readonly string[]>> | undefined,
  where: string,
): [readonly string[], readonly string[]] {
  const of = (l: string) => {
    const s = declared?.[l] ?? LANGUAGE_SCRIPTS[l];
    if (!s?.length)
      throw new Error(`${where}: no script known for language '${l}'; add scripts: { ${l}: [<Unicode script>] }`);
    return s;
  };
  return [of(languages[0]), of(languages[1])];
}

/**
 * Per token id: 2 when its text has a letter of the second language's scripts, else 1 when of the first's, else
 * 0 (digits, punctuation, spaces, partial UTF-8 bytes). The second language is tested first: in en-ja a token
 * mixing kana and Latin letters is Japanese text. Returns the table and a key of it for caches.
 */
export function tokenScriptTable(
  vocabSize: number,
  /** Ids below this are decoded (a config's vocabulary may be padded past the tokenizer's); the rest are 0. */
  decodable: number,
  decode: (id: number) => string,
  scripts: readonly [readonly string[], readonly string[]],
): { table: Uint8Array; key: string } {
  const re = (names: readonly string[]) => new RegExp(names.map((n) => `\\p{Script=${n}}`).join('|'), 'u');
  const [first, second] = [re(scripts[0]), re(scripts[1])];
  const table = new Uint8Array(vocabSize);
  for (let id = 0; id < Math.min(vocabSize, decodable); id++) {
    const t = decode(id);
    table[id] = second.test(t) ? 2 : first.test(t) ? 1 : 0;
  }
  return { table, key: createHash('sha256').update(table).digest('hex').slice(0, 16) };
}
