import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { heldOutBy, writeCorpus } from './build.ts';
import { downloadDebs } from './debian.ts';
import { harvest } from './harvest.ts';
import { langProfile } from './langs.ts';
import { verifyCorpus } from './stats.ts';

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

/** `corpus harvest`: download, extract, filter, split and write one language pair. Returns the exit code. */
export async function harvestCommand(argv: readonly string[], log: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      lang: { type: 'string' },
      out: { type: 'string' },
      packages: { type: 'string' },
      'doc-packages': { type: 'string' },
      cache: { type: 'string', default: '.cache/debs' },
      work: { type: 'string', default: '.cache/corpus-work' },
      'held-out': { type: 'string', default: '22' },
      eval: { type: 'string', default: '8' },
      'no-download': { type: 'boolean', default: false },
    },
  });
  if (!values.lang) throw new CorpusUsageError('--lang is required (e.g. --lang ja)');
  const tgt = langProfile(values.lang);
  const en = langProfile('en');
  const out = values.out ?? join('data/corpus', `en-${tgt.code}`);
  const heldOutPercent = Number(values['held-out']);
  const evalPercent = Number(values.eval);
  if (!(heldOutPercent > 0 && heldOutPercent < 100))
    throw new CorpusUsageError(`--held-out must be a percentage in (0, 100), got '${values['held-out']}'`);
  if (!(evalPercent > 0 && evalPercent < 100))
    throw new CorpusUsageError(`--eval must be a percentage in (0, 100), got '${values.eval}'`);
  const catalogs = packageList(values.packages);
  const docs =
    values['doc-packages'] !== undefined
      ? packageList(values['doc-packages']).map((pkg) => ({
          pkg,
          lang: /-en(-us)?$|^manpages(-dev)?$/.test(pkg) ? en : tgt,
        }))
      : [...en.docPackages.map((pkg) => ({ pkg, lang: en })), ...tgt.docPackages.map((pkg) => ({ pkg, lang: tgt }))];
  const cache = resolve(values.cache ?? '.cache/debs');
  if (!values['no-download']) {
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
    workDir: resolve(values.work ?? '.cache/corpus-work', tgt.code),
    heldOut: heldOutBy(heldOutPercent),
    onProgress: log,
  });
  for (const w of result.warnings) log(`warning: ${w}`);
  const manifest = await writeCorpus(out, ['en', tgt.code], result, { heldOutPercent, evalPercent });
  log(`wrote ${out}: ${JSON.stringify(manifest.totals)} parallel ${JSON.stringify(manifest.parallel)}`);
  return 0;
}

/** `corpus stats`: counts per split and language, after verifying every file's sha256. */
export function statsCommand(argv: readonly string[], print: (s: string) => void, err: (s: string) => void): number {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean', default: false },
      pair: { type: 'string' },
      root: { type: 'string', default: 'data/corpus' },
    },
  });
  const root = values.root ?? 'data/corpus';
  const pairs = values.pair ? [values.pair] : existsSync(root) ? readdirSorted(root) : [];
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
        { records: v.records, chars: v.chars, words: v.words, bytes: v.bytes },
      ]),
    );
    report[pair] = { files, totals: r.manifest.totals, parallel: r.manifest.parallel, verified: true };
  }
  if (values.json) print(JSON.stringify(values.pair ? (report[values.pair] ?? null) : report, null, 2));
  else
    for (const [pair, r] of Object.entries(report))
      print(`${pair}: ${JSON.stringify((r as { totals: unknown }).totals)} (sha256 verified)`);
  return failed ? 1 : 0;
}

function readdirSorted(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}
