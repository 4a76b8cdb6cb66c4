import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { LangProfile } from './langs.ts';

/**
 * What a text is written in, as shares of its non-whitespace characters: the language's own script, Latin
 * letters (for English that is its own script, so 0 here), other letters, digits, punctuation and symbols,
 * anything else (marks, controls). Issue 15's reading of the corpus: Japanese documents harvested from message
 * catalogs carry format strings, digits and Latin fragments that are not the language.
 */
export interface ScriptComposition {
  /** Non-whitespace characters counted. */
  readonly chars: number;
  readonly own: number;
  readonly latin: number;
  readonly otherLetters: number;
  readonly digits: number;
  readonly punctuation: number;
  readonly other: number;
}

const LETTER = /\p{L}/u;
const LATIN = /\p{Script=Latin}/u;
const DIGIT = /\p{Nd}/u;
const PUNCT = /[\p{P}\p{S}]/u;
const SPACE = /\s/u;

/**
 * Whether a character is a letter of the language's script: its Script, or for a Common-script letter its
 * Script_Extensions (Japanese ー and 々 are Lm, Script=Common, 2.3% of the Japanese training text).
 */
export function ownScriptLetter(lang: LangProfile): (ch: string) => boolean {
  const extended = new RegExp(lang.script.source.replaceAll('Script=', 'Script_Extensions='), 'u');
  return (ch) => lang.script.test(ch) || (LETTER.test(ch) && extended.test(ch));
}

/** The language of a corpus document file (`train.ja.jsonl.gz` -> 'ja'); undefined for other files. */
export function docFileLang(file: string): string | undefined {
  return /^(?:train|eval)\.([a-z]+)\.jsonl\.gz$/.exec(file)?.[1];
}

/** Counts every character of `texts` into the composition's classes (shares; all 0 for an empty input). */
export function scriptComposition(texts: Iterable<string>, lang: LangProfile): ScriptComposition {
  const own = ownScriptLetter(lang);
  const n = { own: 0, latin: 0, otherLetters: 0, digits: 0, punctuation: 0, other: 0 };
  // Most characters repeat: classify each code point once.
  const seen = new Map<number, keyof typeof n | null>();
  for (const text of texts)
    for (const ch of text) {
      const cp = ch.codePointAt(0) as number;
      let cls = seen.get(cp);
      if (cls === undefined) {
        cls = SPACE.test(ch)
          ? null
          : own(ch)
            ? 'own'
            : LETTER.test(ch)
              ? LATIN.test(ch)
                ? 'latin'
                : 'otherLetters'
              : DIGIT.test(ch)
                ? 'digits'
                : PUNCT.test(ch)
                  ? 'punctuation'
                  : 'other';
        seen.set(cp, cls);
      }
      if (cls) n[cls]++;
    }
  const chars = n.own + n.latin + n.otherLetters + n.digits + n.punctuation + n.other;
  const share = (x: number) => (chars === 0 ? 0 : x / chars);
  return {
    chars,
    own: share(n.own),
    latin: share(n.latin),
    otherLetters: share(n.otherLetters),
    digits: share(n.digits),
    punctuation: share(n.punctuation),
    other: share(n.other),
  };
}

/**
 * The texts of one language in a corpus file (`<split>.<lang>.jsonl.gz`: each record's `text`; `parallel-*`: each
 * record's `text[lang]`), validated: a line that is not a record with that text is an error naming file and line.
 */
export function corpusTexts(path: string, lang: string): string[] {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw new Error(`${path}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    const t = (rec as { text?: unknown } | null)?.text;
    const text =
      typeof t === 'string' ? t : typeof t === 'object' && t ? (t as Record<string, unknown>)[lang] : undefined;
    if (typeof text !== 'string') throw new Error(`${path}:${i + 1}: no text for language '${lang}'`);
    out.push(text);
  });
  return out;
}
