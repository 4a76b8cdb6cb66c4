import { readFileSync } from 'node:fs';
import { mo as moParser, po as poParser } from 'gettext-parser';

export interface CatalogEntry {
  readonly msgid: string;
  /** The first plural form (or the only form). */
  readonly msgstr: string;
  readonly context: string | null;
}

export type CatalogResult =
  | { readonly ok: true; readonly charset: string; readonly entries: CatalogEntry[] }
  | { readonly ok: false; readonly error: string };

/**
 * Reads a gettext catalog: compiled (.mo) or source (.po). The charset comes from the catalog's own header
 * (gettext-parser decodes EUC-JP, Shift_JIS, UTF-8 ...). Fuzzy entries (flagged in .po; msgfmt leaves them out
 * of .mo unless told otherwise) and the header are skipped; msgctxt is dropped from the text but kept as
 * `context`. A corrupt file is returned as an error, not thrown.
 */
export function parseCatalog(buf: Buffer, name: string, format: 'mo' | 'po'): CatalogResult {
  let parsed: ReturnType<typeof moParser.parse>;
  try {
    parsed = format === 'mo' ? moParser.parse(buf) : poParser.parse(buf);
  } catch (err) {
    return { ok: false, error: `${name}: unreadable catalog (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!parsed || typeof parsed.translations !== 'object')
    return { ok: false, error: `${name}: unreadable catalog (no translations table)` };
  const charset = (parsed.charset || 'utf-8').toLowerCase();
  const entries: CatalogEntry[] = [];
  for (const [ctx, table] of Object.entries(parsed.translations)) {
    for (const [id, t] of Object.entries(table)) {
      if (id === '') continue;
      const flags = (t.comments?.flag ?? '') as string;
      if (/\bfuzzy\b/.test(flags)) continue;
      const first = t.msgstr?.[0] ?? '';
      entries.push({ msgid: t.msgid, msgstr: first, context: ctx === '' ? null : ctx });
    }
  }
  return { ok: true, charset, entries };
}

/** A compiled catalog (.mo). */
export function parseMo(buf: Buffer, name: string): CatalogResult {
  return parseCatalog(buf, name, 'mo');
}

/** A source catalog (.po). */
export function parsePo(buf: Buffer, name: string): CatalogResult {
  return parseCatalog(buf, name, 'po');
}

/** A catalog file, .po by its extension and .mo otherwise; unreadable files come back as errors naming the file. */
export function readCatalog(path: string): CatalogResult {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    return { ok: false, error: `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  return parseCatalog(buf, path, path.endsWith('.po') ? 'po' : 'mo');
}
