import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename, join, relative } from 'node:path';
import { readCatalog } from './catalog.ts';
import { chunkText, joinMessages } from './chunk.ts';
import { debVersion, extractDeb, findDeb, packageLicence } from './debian.ts';
import { hasMarkup, isCleanPair, isTranslated, normaliseSpace, stripAccelerators } from './clean.ts';
import { scriptShare, type LangProfile } from './langs.ts';
import { htmlToText, manToText } from './text.ts';

export interface DocRecord {
  readonly id: string;
  readonly lang: string;
  readonly text: string;
  readonly package: string;
  readonly licence: string;
  readonly source: string;
}
export interface PairRecord {
  readonly id: string;
  readonly package: string;
  readonly licence: string;
  readonly text: Readonly<Record<string, string>>;
}
export interface SourceRecord {
  readonly package: string;
  readonly version: string;
  readonly licence: string;
  readonly kind: 'catalogs' | 'documentation';
}

export interface HarvestResult {
  /** Documents with the source document they came from (the unit of splitting). */
  readonly docs: (DocRecord & { readonly unit: string })[];
  /** Clean, deduplicated pairs (held-out selection happens in the split step). */
  readonly pairs: PairRecord[];
  readonly sources: SourceRecord[];
  readonly warnings: string[];
}

/** A stable 32-bit hash of a string, for ids and splits. */
export function stableHash(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** A message made plain for running text: accelerators removed, whitespace collapsed. */
function plainMessage(s: string): string {
  return normaliseSpace(stripAccelerators(s));
}

/**
 * Harvests catalog pairs and catalog documents of `tgt` (with English originals) from the catalog packages,
 * and documentation documents for both languages. Unreadable files are skipped with a warning.
 */
export function harvest(opts: {
  readonly tgt: LangProfile;
  readonly en: LangProfile;
  readonly catalogPackages: readonly string[];
  readonly docPackages: readonly { pkg: string; lang: LangProfile }[];
  readonly cacheDir: string;
  readonly workDir: string;
  readonly heldOut: (en: string) => boolean;
  readonly onProgress?: (msg: string) => void;
}): HarvestResult {
  const { tgt, en } = opts;
  const warnings: string[] = [];
  const sources: SourceRecord[] = [];
  const pairs: PairRecord[] = [];
  const seenPair = new Set<string>();
  const seenMsg = new Set<string>();
  const docs: (DocRecord & { unit: string })[] = [];
  const maxChars = 2400;

  const catalogPkgs = [...new Set(opts.catalogPackages)].sort();
  catalogPkgs.forEach((pkg, i) => {
    if (i % 50 === 0) opts.onProgress?.(`catalogs ${i}/${catalogPkgs.length}`);
    const deb = findDeb(opts.cacheDir, pkg);
    if (!deb) {
      warnings.push(`${pkg}: not downloaded, skipped`);
      return;
    }
    const root = join(opts.workDir, 'pkg', pkg);
    const ex = extractDeb(deb, root, [
      `./usr/share/locale/${tgt.locale}/LC_MESSAGES/*.[mp]o`,
      `./usr/share/doc/${pkg}/copyright`,
    ]);
    if (!ex.ok) {
      warnings.push(ex.error);
      return;
    }
    const licence = packageLicence(root, pkg);
    const mos = walk(join(root, 'usr/share/locale', tgt.locale)).filter((f) => /\.[mp]o$/.test(f));
    if (mos.length === 0) return;
    sources.push({ package: pkg, version: debVersion(deb), licence, kind: 'catalogs' });
    for (const mo of mos) {
      const cat = readCatalog(mo);
      const domain = basename(mo).replace(/\.[mp]o$/, '');
      if (!cat.ok) {
        warnings.push(`${pkg}: ${cat.error.replace(`${root}/`, '')}; skipped`);
        continue;
      }
      const enMsgs: string[] = [];
      const tgtMsgs: string[] = [];
      for (const e of cat.entries) {
        if (!isTranslated(e.msgid, e.msgstr)) continue;
        const enText = plainMessage(e.msgid);
        const tgtText = plainMessage(e.msgstr);
        const key = enText.toLowerCase();
        if (isCleanPair(e.msgid.trim(), e.msgstr.trim()) && !seenPair.has(key)) {
          seenPair.add(key);
          pairs.push({
            id: `${pkg}/${domain}/${stableHash(enText).toString(16).padStart(8, '0')}`,
            package: pkg,
            licence,
            text: { [en.code]: enText, [tgt.code]: tgtText },
          });
        }
        // Held-out pairs never enter running text, in any package.
        if (opts.heldOut(enText) || hasMarkup(e.msgid) || seenMsg.has(key)) continue;
        seenMsg.add(key);
        if (scriptShare(tgtText, tgt) < 0.3) continue;
        enMsgs.push(enText);
        tgtMsgs.push(tgtText);
      }
      const unit = `catalog:${pkg}/${domain}`;
      joinMessages(enMsgs, en.minDocChars, maxChars).forEach((text, k) =>
        docs.push({
          id: `${pkg}/${domain}.mo#${k}`,
          lang: en.code,
          text,
          package: pkg,
          licence,
          source: `catalog ${domain}.mo (msgid)`,
          unit,
        }),
      );
      joinMessages(tgtMsgs, tgt.minDocChars, maxChars).forEach((text, k) =>
        docs.push({
          id: `${pkg}/${domain}.mo#${k}`,
          lang: tgt.code,
          text,
          package: pkg,
          licence,
          source: `catalog ${domain}.mo (msgstr)`,
          unit,
        }),
      );
    }
  });

  for (const { pkg, lang } of [...opts.docPackages].sort((a, b) => a.pkg.localeCompare(b.pkg))) {
    opts.onProgress?.(`documentation ${pkg}`);
    const deb = findDeb(opts.cacheDir, pkg);
    if (!deb) {
      warnings.push(`${pkg}: not downloaded, skipped`);
      continue;
    }
    const root = join(opts.workDir, 'doc', pkg);
    const ex = extractDeb(deb, root, [...lang.docPatterns, `./usr/share/doc/${pkg}/copyright`]);
    if (!ex.ok) {
      warnings.push(ex.error);
      continue;
    }
    const licence = packageLicence(root, pkg);
    sources.push({ package: pkg, version: debVersion(deb), licence, kind: 'documentation' });
    for (const file of walk(join(root, 'usr/share'))) {
      const rel = relative(root, file);
      if (rel.startsWith('usr/share/doc/')) continue;
      let text: string;
      try {
        if (/\/man\/.*\.\d\w*(\.gz)?$/.test(rel)) {
          if (statSync(file).size < 64) continue; // .so redirects
          const raw = readFileSync(file);
          const src = rel.endsWith('.gz') ? gunzipSync(raw) : raw;
          if (/^\.so /m.test(src.toString('latin1').slice(0, 200))) continue;
          const r = manToText(src);
          if ('error' in r) {
            warnings.push(`${pkg}: ${rel}: ${r.error}; skipped`);
            continue;
          }
          text = r.text;
        } else if (rel.endsWith('.html')) {
          text = htmlToText(readFileSync(file, 'utf8'));
        } else continue;
      } catch (err) {
        warnings.push(`${pkg}: ${rel}: ${err instanceof Error ? err.message : String(err)}; skipped`);
        continue;
      }
      // Keep paragraphs written in the document's language (manpages-ja-dev keeps English paragraphs).
      const kept = text
        .split(/\n\s*\n/)
        .filter((p) => scriptShare(p, lang) >= (lang.code === 'en' ? 0.9 : 0.3))
        .join('\n\n');
      const unit = `doc:${pkg}/${rel}`;
      chunkText(kept, lang.minDocChars, maxChars)
        .filter((c) => c.length >= lang.minDocChars)
        .forEach((c, k) =>
          docs.push({ id: `${pkg}/${rel}#${k}`, lang: lang.code, text: c, package: pkg, licence, source: rel, unit }),
        );
    }
  }
  return { docs, pairs, sources, warnings };
}
