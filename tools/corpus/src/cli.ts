import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { heldOutBy, writeCorpus } from './build.ts';
import { downloadDebs } from './debian.ts';
import { harvest } from './harvest.ts';
import { langProfile } from './langs.ts';
import { verifyCorpus } from './stats.ts';
import { cleanCorpus } from './clean-corpus.ts';
import { corpusTexts, docFileLang, scriptComposition, type ScriptComposition } from './composition.ts';

export class CorpusUsageError extends Error {}

const DEFAULT_PACKAGES = new URL('../packages/catalogs.txt', import.meta.url);

function packageList(arg: string | undefined): string[] {
  if (arg === undefined)
    return readFileSync(DEFAULT_PACKAGES, 'utf8')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  if (arg.startsWith('@')) {
    const p = arg.slice(1);
    if (!existsSync(p)) throw new CorpusUsageError(`--packages: list file ${p} not found`);
    return readFileSync(p, 'utf8').split(/\s+/).filter(Boolean);
  }
  return arg
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** What `saetrace corpus harvest` passes on, its flags parsed and checked (tools/cli/src/commands/corpus.ts). */
export interface HarvestOptions {
  /** The target language's code, one langProfile knows. */
  readonly lang: string;
  /** Default data/corpus/en-<lang>. */
  readonly out?: string | undefined;
  /** Comma-separated package names or @file (default the catalog list beside this tool). */
  readonly packages?: string | undefined;
  /** The same for documentation packages (default each language's own). */
  readonly docPackages?: string | undefined;
  readonly cache: string;
  readonly work: string;
  readonly heldOutPercent: number;
  readonly evalPercent: number;
  /** False: use only the .debs already in the cache. */
  readonly download: boolean;
}

/** `corpus harvest`: download, extract, filter, split and write one language pair. Returns the exit code. */
export async function harvestCommand(o: HarvestOptions, log: (s: string) => void): Promise<number> {
  const tgt = langProfile(o.lang);
  const en = langProfile('en');
  const out = o.out ?? join('data/corpus', `en-${tgt.code}`);
  const { heldOutPercent, evalPercent } = o;
  const catalogs = packageList(o.packages);
  const docs =
    o.docPackages !== undefined
      ? packageList(o.docPackages).map((pkg) => ({
          pkg,
          lang: /-en(-us)?$|^manpages(-dev)?$/.test(pkg) ? en : tgt,
        }))
      : [...en.docPackages.map((pkg) => ({ pkg, lang: en })), ...tgt.docPackages.map((pkg) => ({ pkg, lang: tgt }))];
  const cache = resolve(o.cache);
  if (o.download) {
    log(`downloading ${catalogs.length + docs.length} packages into ${cache}`);
    const { missing } = downloadDebs([...catalogs, ...docs.map((d) => d.pkg)], cache);
    for (const m of missing) log(`warning: ${m.pkg}: download failed (${m.reason})`);
  }
  const result = harvest({
    tgt,
    en,
    catalogPackages: catalogs,
    docPackages: docs,
    cacheDir: cache,
    workDir: resolve(o.work, tgt.code),
    heldOut: heldOutBy(heldOutPercent),
    onProgress: log,
  });
  for (const w of result.warnings) log(`warning: ${w}`);
  const manifest = await writeCorpus(out, ['en', tgt.code], result, { heldOutPercent, evalPercent });
  log(`wrote ${out}: ${JSON.stringify(manifest.totals)} parallel ${JSON.stringify(manifest.parallel)}`);
  return 0;
}

/** What `saetrace corpus stats` passes on: one pair (default every pair under root), JSON or lines. */
export interface StatsOptions {
  readonly pair?: string | undefined;
  readonly root: string;
  readonly json: boolean;
}

/** `corpus stats`: counts per split and language, after verifying every file's sha256. */
export function statsCommand(o: StatsOptions, print: (s: string) => void, err: (s: string) => void): number {
  const { root } = o;
  const pairs = o.pair ? [o.pair] : existsSync(root) ? readdirSorted(root) : [];
  if (pairs.length === 0) throw new CorpusUsageError(`no corpus under ${root}`);
  const report: Record<string, unknown> = {};
  let failed = false;
  for (const pair of pairs) {
    const r = verifyCorpus(join(root, pair));
    if (!r.ok) {
      failed = true;
      for (const e of r.errors) err(e);
      continue;
    }
    const files = Object.fromEntries(
      Object.entries(r.manifest.files).map(([k, v]) => [
        k,
        {
          records: v.records,
          chars: v.chars,
          words: v.words,
          bytes: v.bytes,
          composition: fileComposition(join(root, pair), k, r.manifest.languages),
        },
      ]),
    );
    report[pair] = { files, totals: r.manifest.totals, parallel: r.manifest.parallel, verified: true };
  }
  if (o.json) print(JSON.stringify(o.pair ? (report[o.pair] ?? null) : report, null, 2));
  else
    for (const [pair, r] of Object.entries(report)) {
      const { totals, files } = r as {
        totals: unknown;
        files: Record<string, { composition: Record<string, ScriptComposition> }>;
      };
      print(`${pair}: ${JSON.stringify(totals)} (sha256 verified)`);
      for (const [file, f] of Object.entries(files))
        for (const [lang, c] of Object.entries(f.composition)) print(`  ${file} ${lang}: ${compositionLine(c)}`);
    }
  return failed ? 1 : 0;
}

/** Script composition of each language a corpus file holds: `<split>.<lang>.jsonl.gz` one, `parallel-*` both. */
function fileComposition(dir: string, file: string, languages: readonly string[]): Record<string, ScriptComposition> {
  const own = docFileLang(file);
  const langs = own ? [own] : file.startsWith('parallel-') ? languages : [];
  return Object.fromEntries(langs.map((l) => [l, scriptComposition(corpusTexts(join(dir, file), l), langProfile(l))]));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** One line of a composition: own script, Latin, other letters, digits, punctuation and symbols, other. */
export function compositionLine(c: ScriptComposition): string {
  return `own script ${pct(c.own)}, Latin ${pct(c.latin)}, other letters ${pct(c.otherLetters)}, digits ${pct(c.digits)}, punctuation/symbols ${pct(c.punctuation)}, other ${pct(c.other)} of ${c.chars} characters`;
}

function readdirSorted(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** What `saetrace corpus clean` passes on. */
export interface CleanOptions {
  readonly pair: string;
  readonly root: string;
  readonly out: string;
}

/** `corpus clean`: a copy of a pair's corpus with only the prose of its documents; a line per document file. */
export async function cleanCommand(o: CleanOptions, print: (s: string) => void): Promise<number> {
  if (!o.out) throw new CorpusUsageError('--out is required: cleaning writes a new corpus directory');
  const report = await cleanCorpus(join(o.root, o.pair), o.out);
  for (const f of report)
    print(
      `${f.file}: docs ${f.docs.before} -> ${f.docs.after}, characters ${f.chars.before} -> ${f.chars.after} (${pct(f.chars.after / Math.max(1, f.chars.before))} kept); before: ${compositionLine(f.composition.before)}; after: ${compositionLine(f.composition.after)}`,
    );
  print(`wrote ${o.out} (parallel files copied unchanged)`);
  return 0;
}
