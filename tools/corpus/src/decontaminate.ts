// Finds held-out texts that occur verbatim inside documents, so a test pair is never trained on even when its
// sentence reaches the documents another way (another catalog's longer message, a man or help page, or the
// same translation of a differently worded English message).

/** Lower-cased, whitespace-collapsed form used for matching (documents wrap lines; catalogs differ in case). */
export function matchForm(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * The needles (compared in matchForm) that occur as substrings of any of the haystacks. One pass over the
 * haystacks: needles are indexed by their first `probe` characters, so the cost is linear in the text.
 */
export function findOccurring(needles: Iterable<string>, haystacks: Iterable<string>, probe = 8): Set<string> {
  const byPrefix = new Map<string, string[]>();
  const short = new Set<string>();
  for (const n of needles) {
    const m = matchForm(n);
    if (m.length === 0) continue;
    if (m.length < probe) {
      short.add(m);
      continue;
    }
    const k = m.slice(0, probe);
    const list = byPrefix.get(k);
    if (list) {
      if (!list.includes(m)) list.push(m);
    } else byPrefix.set(k, [m]);
  }
  const found = new Set<string>();
  for (const h of haystacks) {
    const text = matchForm(h);
    for (const s of short) if (!found.has(s) && text.includes(s)) found.add(s);
    if (byPrefix.size === 0) continue;
    for (let i = 0; i + probe <= text.length; i++) {
      const list = byPrefix.get(text.slice(i, i + probe));
      if (!list) continue;
      for (const m of list) if (!found.has(m) && text.startsWith(m, i)) found.add(m);
    }
  }
  return found;
}
