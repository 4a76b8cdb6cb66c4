import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic, writeJsonAtomic } from '@saetrace/engine';
import { stableHash, type DocRecord, type HarvestResult, type PairRecord } from './harvest.ts';
import { wordCount } from './clean.ts';
import { findOccurring, matchForm } from './decontaminate.ts';

export interface FileStats {
  readonly records: number;
  readonly chars: number;
  readonly words: number;
  readonly bytes: number;
  readonly sha256: string;
}

export interface CorpusManifest {
  readonly pair: string;
  readonly languages: readonly string[];
  readonly format: 'saetrace-corpus/1';
  readonly files: Readonly<Record<string, FileStats>>;
  readonly totals: Readonly<
    Record<string, { readonly docChars: number; readonly docWords: number; readonly docs: number }>
  >;
  /** Pair counts; heldOutSeen: held-out pairs dropped because their text occurs in a document or training pair. */
  readonly parallel: {
    readonly dev: number;
    readonly test: number;
    readonly train: number;
    readonly heldOutSeen: number;
  };
  readonly sources: HarvestResult['sources'];
  readonly settings: { readonly heldOutPercent: number; readonly evalPercent: number };
}

/** Whether an English message is held out for the parallel dev/test sets (and so never trained on). */
export function heldOutBy(percent: number): (en: string) => boolean {
  return (en) => stableHash(`heldout:${en.toLowerCase()}`) % 100 < percent;
}

export function jsonl(records: readonly object[]): Buffer {
  // Level 9 and gzip's zero mtime make the bytes a function of the records alone.
  return gzipSync(
    Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''), 'utf8'),
    { level: 9 },
  );
}

function docOut(d: DocRecord): DocRecord {
  return { id: d.id, lang: d.lang, text: d.text, package: d.package, licence: d.licence, source: d.source };
}

/** Splits by source document (docs) and by held-out rule (pairs), writes the files, manifest and attribution. */
export async function writeCorpus(
  out: string,
  pair: readonly [string, string],
  result: HarvestResult,
  settings: { heldOutPercent: number; evalPercent: number },
): Promise<CorpusManifest> {
  const [l1, l2] = pair;
  const heldOut = heldOutBy(settings.heldOutPercent);
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const files: Record<string, Buffer> = {};
  const stats: Record<string, FileStats> = {};
  const totals: Record<string, { docChars: number; docWords: number; docs: number }> = {};
  for (const lang of pair) {
    for (const split of ['train', 'eval'] as const) {
      const docs = result.docs
        .filter(
          (d) =>
            d.lang === lang &&
            (stableHash(`split:${d.unit}`) % 100 < settings.evalPercent ? 'eval' : 'train') === split,
        )
        .map(docOut)
        .sort(byId);
      const name = `${split}.${lang}.jsonl.gz`;
      files[name] = jsonl(docs);
      const chars = docs.reduce((s, d) => s + [...d.text].length, 0);
      const words = docs.reduce((s, d) => s + wordCount(d.text), 0);
      stats[name] = { records: docs.length, chars, words, bytes: files[name].length, sha256: '' };
      const t = (totals[lang] ??= { docChars: 0, docWords: 0, docs: 0 });
      t.docChars += chars;
      t.docWords += words;
      t.docs += docs.length;
    }
  }
  const pairs: Record<'dev' | 'test' | 'train', PairRecord[]> = { dev: [], test: [], train: [] };
  for (const p of result.pairs) {
    const en = p.text[l1] as string;
    const bucket = !heldOut(en) ? 'train' : stableHash(`dev:${en.toLowerCase()}`) % 5 === 0 ? 'dev' : 'test';
    pairs[bucket].push({
      id: p.id,
      package: p.package,
      licence: p.licence,
      text: { [l1]: en, [l2]: p.text[l2] as string },
    });
  }
  // A held-out pair whose either side still occurs in a document or a training pair is dropped, not trained on.
  const held = [...pairs.dev, ...pairs.test];
  const seen = new Set<string>();
  for (const lang of pair) {
    const hay = [
      ...result.docs.filter((d) => d.lang === lang).map((d) => d.text),
      ...pairs.train.map((p) => p.text[lang] as string),
    ];
    for (const m of findOccurring(
      held.map((p) => p.text[lang] as string),
      hay,
    ))
      seen.add(`${lang}\u0000${m}`);
  }
  const unseen = (p: PairRecord) =>
    pair.every((lang) => !seen.has(`${lang}\u0000${matchForm(p.text[lang] as string)}`));
  const heldOutSeen = held.length - held.filter(unseen).length;
  pairs.dev = pairs.dev.filter(unseen);
  pairs.test = pairs.test.filter(unseen);
  for (const k of ['dev', 'test', 'train'] as const) {
    const name = `parallel-${k}.jsonl.gz`;
    const recs = pairs[k].sort(byId);
    files[name] = jsonl(recs);
    stats[name] = {
      records: recs.length,
      chars: recs.reduce((s, r) => s + [...(r.text[l2] as string)].length, 0),
      words: recs.reduce((s, r) => s + wordCount(r.text[l1] as string), 0),
      bytes: files[name].length,
      sha256: '',
    };
  }
  for (const [name, buf] of Object.entries(files)) {
    await writeFileAtomic(join(out, name), buf);
    stats[name] = { ...(stats[name] as FileStats), sha256: createHash('sha256').update(buf).digest('hex') };
  }
  const sources = [...result.sources].sort(
    (a, b) => a.package.localeCompare(b.package) || a.kind.localeCompare(b.kind),
  );
  const manifest: CorpusManifest = {
    pair: `${l1}-${l2}`,
    languages: [l1, l2],
    format: 'saetrace-corpus/1',
    files: Object.fromEntries(Object.entries(stats).sort(([a], [b]) => a.localeCompare(b))),
    totals,
    parallel: { dev: pairs.dev.length, test: pairs.test.length, train: pairs.train.length, heldOutSeen },
    sources,
    settings,
  };
  await writeJsonAtomic(join(out, 'manifest.json'), manifest);
  const lines = [
    `# Attribution: ${l1}-${l2} corpus`,
    '',
    "Every record carries its source Debian package and that package's licence (from its copyright file).",
    "The text is the packages' own: message catalogs (English msgid, translated msgstr) and documentation.",
    '',
    '| package | version | licence | used for |',
    '|---|---|---|---|',
    ...sources.map((s) => `| ${s.package} | ${s.version} | ${s.licence.replace(/\|/g, '/')} | ${s.kind} |`),
    '',
  ];
  await writeFileAtomic(join(out, 'ATTRIBUTION.md'), lines.join('\n'));
  return manifest;
}
