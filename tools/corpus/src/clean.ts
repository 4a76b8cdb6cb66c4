// Filters for message-catalog text: what makes a pair noise, and how UI strings are made plain.

const PLACEHOLDER =
  /%(\d+\$)?[-+ #0]*\d*(\.\d+)?(hh|h|ll|l|L|z|j|t|I64|I32)?[diouxXeEfFgGaAcspn%]|%\([A-Za-z_]+\)[sd]|\{[A-Za-z0-9_]*\}|\$\{[^}]*\}|%[A-Za-z_]+%|<[^>]*>/;
const MARKUP = /<\/?[A-Za-z][^>]*>|&[a-z]+;|\[\/?[a-z]+\]/;

/** True when text carries a format placeholder such as %s, %1$d, %(name)s, {0} or ${x}. */
export function hasPlaceholder(text: string): boolean {
  return PLACEHOLDER.test(text);
}

/** True when text carries markup: tags, entities or bracket codes. */
export function hasMarkup(text: string): boolean {
  return MARKUP.test(text);
}

/** Removes keyboard accelerators: `(_F)`, `(&F)` after Japanese labels, and `_` / `&` before a letter. */
export function stripAccelerators(text: string): string {
  return text
    .replace(/\s*[(（][_&][A-Za-z0-9][)）]/g, '')
    .replace(/(^|[^_&\p{L}\p{N}])[_&](?=[A-Za-z0-9\p{L}])/gu, '$1');
}

/** English words: whitespace-separated runs containing a letter. */
export function wordCount(text: string): number {
  let n = 0;
  for (const w of text.split(/\s+/)) if (/\p{L}/u.test(w)) n++;
  return n;
}

/** Collapses whitespace runs and trims. */
export function normaliseSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A pair clean enough for the parallel set: sentence-like (5-40 English words), no placeholders, markup or newlines, translated. */
export function isCleanPair(en: string, tgt: string): boolean {
  if (en.includes('\n') || tgt.includes('\n')) return false;
  if (hasPlaceholder(en) || hasPlaceholder(tgt) || hasMarkup(en) || hasMarkup(tgt)) return false;
  const w = wordCount(en);
  if (w < 5 || w > 40) return false;
  if (normaliseSpace(en) === normaliseSpace(tgt)) return false;
  return /\p{L}/u.test(tgt);
}

/** True when the translation is a real one: non-empty and not a copy of the English. */
export function isTranslated(en: string, tgt: string): boolean {
  const t = normaliseSpace(tgt);
  return t.length > 0 && t !== normaliseSpace(en);
}
