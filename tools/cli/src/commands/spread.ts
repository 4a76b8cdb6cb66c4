import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  fields,
  isArray,
  isNumber,
  isObject,
  readJsonRecord,
  writeFileAtomic,
  writeJsonAtomic,
} from '@saetrace/engine';
import { toleranceFor } from '../../../harness/src/golden.ts';
import { runExperiment, specPath } from '../../../harness/src/run.ts';
import { formatIssue, profileOf, readSpec, type ProfileName } from '../../../harness/src/spec.ts';
import {
  cpuModel,
  parseVariant,
  readSpreadRuns,
  runFileName,
  scratchDir,
  spreadDir,
  spreadMarkdown,
  spreadSummaryPath,
  summariseSpread,
  variantName,
  variantProfile,
  type SpreadRun,
  type Variant,
} from '../../../harness/src/spread.ts';
import { parseOrUsage, UsageError, type Command } from '../command.ts';

const PROFILES: readonly ProfileName[] = ['smoke', 'default', 'paper'];

interface StoredResults {
  readonly metrics: Record<string, number>;
  readonly findings?: readonly { id: string; holds: boolean | null }[];
  readonly seed: number;
  readonly resolved: { family: { seed?: number } | object; threads?: number };
}

function readResults(path: string): StoredResults {
  return readJsonRecord<StoredResults>(
    path,
    'run the spec again',
    fields({ metrics: isObject, seed: isNumber, resolved: isObject, findings: (x) => x === undefined || isArray(x) }),
  );
}

function asRun(r: StoredResults, variant: Variant, cpu: string, threads: number | null): SpreadRun {
  const fam = r.resolved.family as { seed?: number };
  return {
    variant: variantName(variant),
    source: variant.source,
    cpu,
    threads,
    seed: r.seed,
    familySeed: typeof fam.seed === 'number' ? fam.seed : null,
    metrics: r.metrics,
    findings: Object.fromEntries((r.findings ?? []).map((f) => [f.id, f.holds])),
  };
}

export const spreadCommand: Command = {
  name: 'spread',
  summary: "re-run a spec under other seeds, thread counts or family seeds and summarise each metric's spread",
  usage: [
    'Usage: saetrace spread <pair>/<id> --profile smoke|default|paper [--variant V ...] [--import <results.json>] [--summarise]',
    '',
    'Each --variant runs the spec with one setting changed, in its own scratch directory under .cache/spread/',
    '(caches apart, the family cache shared), and stores the run as reports/spread/<pair>/<id>.<profile>/<cpu>.<variant>.json:',
    '  base             the spec as written',
    '  seed=N           run seed N (activation sampling, SAE init and batches)',
    "  family-seed=N    the family trained under seed N (its own cache, only the spec's size)",
    '  threads=N        N threads',
    'A run already stored for this CPU and variant is skipped. --import stores a results.json made elsewhere as',
    "that machine's base run (its CPU and threads read from the provenance.json beside it). Every call then",
    'rewrites the summary reports/spread/<pair>/<id>.<profile>.{json,md}: the sd of each metric per source and',
    "over all runs, which the spec's `spread` golden tolerances are k times.",
  ].join('\n'),
  async run(argv) {
    const parsed = parseOrUsage(() =>
      parseArgs({
        args: [...argv],
        allowPositionals: true,
        options: {
          profile: { type: 'string' },
          variant: { type: 'string', multiple: true },
          import: { type: 'string', multiple: true },
          summarise: { type: 'boolean' },
        },
      }),
    );
    const profile = parsed.values.profile as ProfileName | undefined;
    if (!profile || !PROFILES.includes(profile))
      throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}, got '${profile ?? ''}'`);
    const [name, ...extra] = parsed.positionals;
    if (!name || extra.length) throw new UsageError('name exactly one spec, <pair>/<id>');
    const variants = (parsed.values.variant ?? []).map((t) => {
      const v = parseVariant(t);
      if (!v)
        throw new UsageError(`--variant '${t}': expected base, seed=N, family-seed=N or threads=N (N an integer)`);
      return v;
    });
    const imports = parsed.values.import ?? [];
    if (!variants.length && !imports.length && !parsed.values.summarise)
      throw new UsageError('give at least one --variant or --import, or --summarise');
    specPath(name);
    const r = readSpec(name);
    if (!r.ok) {
      for (const i of r.issues) console.error(formatIssue(i));
      return 1;
    }
    const spec = r.spec;
    const own = profileOf(spec, profile);
    for (const v of variants) variantProfile(own, v);
    const repo = process.cwd();
    const dir = spreadDir(spec.pair, spec.id, profile);
    for (const file of imports) {
      const prov = file.replace(/\.results\.json$/, '.provenance.json');
      if (!existsSync(prov)) throw new UsageError(`--import ${file}: no ${prov} beside it (its CPU and threads)`);
      const p = readJsonRecord<{ machine: { cpus: string }; threads: number | null }>(
        prov,
        'it is written by every run',
        fields({ machine: isObject }),
      );
      const results = readResults(file);
      const run = asRun(results, { source: 'base' }, p.machine.cpus.trim(), p.threads ?? null);
      const out = join(dir, runFileName(run.cpu, run.variant));
      await writeJsonAtomic(out, run);
      console.log(`${name}: imported ${file} as ${out}`);
    }
    const cpu = cpuModel();
    for (const v of variants) {
      const out = join(dir, runFileName(cpu, variantName(v)));
      if (existsSync(out)) {
        console.log(`${name}: ${out} exists (this CPU and variant already run); skipped`);
        continue;
      }
      const scratch = scratchDir(repo, spec.pair, profile, variantName(v));
      const t0 = Date.now();
      process.chdir(scratch);
      let results: StoredResults;
      try {
        const outcome = await runExperiment(name, profile, {
          override: (p) => variantProfile(p, v),
          log: (s) => process.stderr.write(`${s}\n`),
        });
        results = readResults(outcome.resultsPath);
      } finally {
        process.chdir(repo);
      }
      const threads = variantProfile(own, v).threads ?? null;
      await writeJsonAtomic(out, asRun(results, v, cpu, threads));
      console.log(`${name}: ${variantName(v)} in ${((Date.now() - t0) / 60000).toFixed(1)} min -> ${out}`);
    }
    const files = readSpreadRuns(dir);
    if (!files.length) {
      console.error(`${name}: no runs in ${dir}`);
      return 1;
    }
    const summary = summariseSpread(spec.pair, spec.id, profile, files, (m) => toleranceFor(m, spec.golden) !== null);
    const summaryPath = spreadSummaryPath(spec.pair, spec.id, profile);
    await writeJsonAtomic(summaryPath, summary);
    await writeFileAtomic(summaryPath.replace(/\.json$/, '.md'), spreadMarkdown(summary, spec.title));
    console.log(
      `${name}: ${files.length} runs summarised in ${resolve(summaryPath)} (k for 5% family-wise: ${summary.k.value.toFixed(2)})`,
    );
    return 0;
  },
};
