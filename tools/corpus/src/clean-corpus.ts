import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeFileAtomic, writeJsonAtomic } from '@saetrace/engine';
import { jsonl, type CorpusManifest, type FileStats } from './build.ts';
import { wordCount } from './clean.ts';
import { docFileLang, scriptComposition, type ScriptComposition } from './composition.ts';
import { langProfile } from './langs.ts';
import { PROSE_RULE, proseText } from './prose.ts';
import { verifyCorpus } from './stats.ts';

/** What cleaning did to one document file. */
export interface CleanedFile {
  readonly file: string;
  readonly docs: { readonly before: number; readonly after: number };
  readonly chars: { readonly before: number; readonly after: number };
  readonly composition: { readonly before: ScriptComposition; readonly after: ScriptComposition };
}

/** A cleaned corpus's manifest: the source's, with the prose rule that made it. */
export interface CleanedManifest extends CorpusManifest {
  readonly prose: typeof PROSE_RULE & { readonly from: string };
}

/**
 * Writes a copy of a verified corpus whose documents (train and eval, each split kept as it was) hold only their
 * prose (tools/corpus/src/prose.ts); a document left shorter than its language's minimum is dropped. Parallel
 * files are copied as they are (their pairs were filtered at harvest: tools/corpus/src/clean.ts isCleanPair), and
 * removing text cannot make a held-out pair occur in training text. `out` must not exist or be empty: nothing
 * already written is replaced. Throws with every verification error of the source.
 */
export async function cleanCorpus(src: string, out: string): Promise<CleanedFile[]> {
  const v = verifyCorpus(src);
  if (!v.ok) throw new Error(`${src}: ${v.errors.join('; ')}`);
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new Error(`${out} exists and is not empty: cleaning writes a new corpus directory, never over one`);
  mkdirSync(out, { recursive: true });
  const m = v.manifest;
  const files: Record<string, FileStats> = {};
  const totals: Record<string, { docChars: number; docWords: number; docs: number }> = {};
  const report: CleanedFile[] = [];
  for (const [name, st] of Object.entries(m.files)) {
    const lang = docFileLang(name);
    if (!lang) {
      await writeFileAtomic(join(out, name), readFileSync(join(src, name)));
      files[name] = st;
      continue;
    }
    const L = langProfile(lang);
    const lines = gunzipSync(readFileSync(join(src, name)))
      .toString('utf8')
      .split('\n');
    const before: { text: string }[] = [];
    const after: { text: string }[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let rec: { text?: unknown };
      try {
        rec = JSON.parse(line) as { text?: unknown };
      } catch (err) {
        throw new Error(`${join(src, name)}:${i + 1}: not JSON (${(err as Error).message})`);
      }
      if (typeof rec?.text !== 'string') throw new Error(`${join(src, name)}:${i + 1}: no text`);
      before.push(rec as { text: string });
      const text = proseText(rec.text, L);
      if ([...text].length >= L.minDocChars) after.push({ ...rec, text });
    });
    const buf = jsonl(after);
    await writeFileAtomic(join(out, name), buf);
    const chars = after.reduce((s, d) => s + [...d.text].length, 0);
    const words = after.reduce((s, d) => s + wordCount(d.text), 0);
    files[name] = {
      records: after.length,
      chars,
      words,
      bytes: buf.length,
      sha256: createHash('sha256').update(buf).digest('hex'),
    };
    const t = (totals[lang] ??= { docChars: 0, docWords: 0, docs: 0 });
    t.docChars += chars;
    t.docWords += words;
    t.docs += after.length;
    report.push({
      file: name,
      docs: { before: before.length, after: after.length },
      chars: { before: st.chars, after: chars },
      composition: {
        before: scriptComposition(
          before.map((d) => d.text),
          L,
        ),
        after: scriptComposition(
          after.map((d) => d.text),
          L,
        ),
      },
    });
  }
  for (const extra of ['ATTRIBUTION.md'])
    if (existsSync(join(src, extra))) await writeFileAtomic(join(out, extra), readFileSync(join(src, extra)));
  const manifest: CleanedManifest = { ...m, files, totals, prose: { ...PROSE_RULE, from: m.pair } };
  await writeJsonAtomic(join(out, 'manifest.json'), manifest);
  return report;
}
