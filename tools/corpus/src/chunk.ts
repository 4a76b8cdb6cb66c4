/**
 * Splits text into documents at paragraph (then line) boundaries: each chunk reaches at least `minChars`
 * where the text allows and stays under `maxChars`; a final short remainder joins the previous chunk.
 */
export function chunkText(text: string, minChars: number, maxChars: number): string[] {
  const paras = text
    .split(/\n\s*\n/)
    .flatMap((p) => (p.length > maxChars ? p.split('\n') : [p]))
    .map((p) => p.trim())
    .filter(Boolean);
  const out: string[] = [];
  let cur = '';
  for (const p of paras) {
    if (cur && cur.length + p.length + 2 > maxChars) {
      out.push(cur);
      cur = '';
    }
    cur = cur ? `${cur}\n\n${p}` : p;
    if (cur.length >= minChars && cur.length >= maxChars / 2) {
      out.push(cur);
      cur = '';
    }
  }
  if (cur) {
    if (cur.length < minChars && out.length > 0 && (out.at(-1) as string).length + cur.length + 2 <= maxChars * 1.5)
      out[out.length - 1] = `${out.at(-1)}\n\n${cur}`;
    else out.push(cur);
  }
  return out;
}

/** Joins short messages, in order, into documents of at least `minChars` (the last may be shorter and is dropped). */
export function joinMessages(messages: readonly string[], minChars: number, maxChars: number): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let len = 0;
  for (const m of messages) {
    cur.push(m);
    len += m.length + 1;
    if (len >= minChars && (len >= maxChars / 2 || len >= minChars * 2)) {
      out.push(cur.join('\n'));
      cur = [];
      len = 0;
    }
  }
  if (len >= minChars) out.push(cur.join('\n'));
  return out;
}
