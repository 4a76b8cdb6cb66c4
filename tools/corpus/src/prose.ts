import { normaliseSpace } from './clean.ts';
import { ownScriptLetter } from './composition.ts';
import type { LangProfile } from './langs.ts';

// What is not language in a harvested line: format placeholders (printf, Python, brace, shell), markup,
// command-line options with their values, and rules drawn with repeated symbols.
const NOT_PROSE = [
  /%(\d+\$)?[-+ #0]*\d*(\.\d+)?(hh|h|ll|l|L|z|j|t)?[diouxXeEfFgGaAcspn]/g,
  /%\([A-Za-z_]+\)[sd]/g,
  /\$\{[^}]*\}|\{[A-Za-z0-9_]*\}|%[A-Za-z_]+%/g,
  /<\/?[A-Za-z][^>]*>|&[a-z]+;|\[\/?[a-z]+\]/g,
  /([#*=_~^-])\1{2,}/g,
];
// An option keeps what precedes it (a space or bracket): `-n, --no-netrc[=true|false]`.
const OPTION = /(^|[\s[(|,])--?[A-Za-z][\w-]*(\[?=[^\s\]]*\]?)?/g;

/** A line's letters: all, and those of the language's own script (Common-script letters extending it count). */
function letterCounts(line: string, own: (ch: string) => boolean): { letters: number; own: number; visible: number } {
  let letters = 0;
  let ownLetters = 0;
  let visible = 0;
  for (const ch of line) {
    if (/\s/u.test(ch)) continue;
    visible++;
    if (!/\p{L}/u.test(ch)) continue;
    letters++;
    if (own(ch)) ownLetters++;
  }
  return { letters, own: ownLetters, visible };
}

/** Settings of the prose rule (PROSE_RULE), recorded in a cleaned corpus's manifest. */
export const PROSE_RULE = {
  version: 1,
  /** A kept line has at least this share of its visible characters as letters... */
  minLetterShare: 0.5,
  /** ...at least this share of its letters in the language's own script... */
  minOwnShare: 0.5,
  /** ...and at least this many own-script letters: about five English words, or ten CJK characters. */
  minOwnLetters: { latin: 24, other: 10 },
} as const;

/**
 * The prose of a harvested text, line by line: placeholders, markup, command-line options and symbol rules removed,
 * then only lines that read as the language kept (PROSE_RULE: mostly letters, mostly the language's script, long
 * enough to be a sentence rather than a UI label). Lines are joined with newlines; '' when nothing is prose.
 */
export function proseText(text: string, lang: LangProfile): string {
  const own = ownScriptLetter(lang);
  const minOwn = lang.script.test('a') ? PROSE_RULE.minOwnLetters.latin : PROSE_RULE.minOwnLetters.other;
  const kept: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.replace(OPTION, '$1 ');
    for (const re of NOT_PROSE) line = line.replace(re, ' ');
    line = normaliseSpace(line).replace(/^[,;|]+\s*/, ''); // an option list's separators left behind
    if (line === '') continue;
    const c = letterCounts(line, own);
    if (c.letters < PROSE_RULE.minLetterShare * c.visible) continue;
    if (c.own < PROSE_RULE.minOwnShare * c.letters || c.own < minOwn) continue;
    kept.push(line);
  }
  return kept.join('\n');
}
