import { specPath } from '../../../harness/src/run.ts';
import { formatIssue, profileOf, readSpec } from '../../../harness/src/spec.ts';
import {
  parseVariant,
  spreadDir,
  spreadSummaryPath,
  variantName,
  variantProfile,
} from '../../../harness/src/spread.ts';
import { importRun, runVariant, writeSpreadSummary } from '../../../harness/src/spread-run.ts';
import { defineCommand, UsageError } from '../command.ts';
import { profileOption } from '../options.ts';

export const spreadCommand = defineCommand({
  name: 'spread',
  summary: "re-run a spec under other seeds, thread counts or family seeds and summarise each metric's spread",
  usage: [
    'Usage: saetrace spread <pair>/<id> --profile smoke|default|paper [--variant V ...] [--import <results.json> [--carry WHY]] [--summarise]',
    '',
    'Each --variant runs the spec with one setting changed, in its own scratch directory under .cache/spread/',
    '(caches apart, the family cache shared), and stores the run as reports/spread/<pair>/<id>.<profile>/<cpu>.<variant>.json:',
    '  base             the spec as written',
    '  seed=N           run seed N (activation sampling, SAE init and batches)',
    "  family-seed=N    the family trained under seed N (its own cache, only the spec's size)",
    '  seeds=N          run seed N and the family seed moved by as much from its own (what run --seeds uses)',
    '  threads=N        N threads',
    'A run already stored for this CPU and variant is skipped. --import stores a results.json made elsewhere as',
    "that machine's base run (its CPU and threads read from the provenance.json beside it); results of another spec",
    'version are refused unless --carry says why their metrics hold under this one (the run records it). A stored run',
    'of another version is re-run, and left out of the summary until then. Every call then',
    'rewrites the summary reports/spread/<pair>/<id>.<profile>.{json,md}: the sd of each metric per source and',
    "over all runs, which the spec's `spread` golden tolerances are k times.",
  ].join('\n'),
  options: {
    profile: { type: 'string' },
    variant: { type: 'string', multiple: true },
    import: { type: 'string', multiple: true },
    carry: { type: 'string' },
    summarise: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, what: 'one spec, <pair>/<id>' },
  async run(parsed) {
    const profile = profileOption(parsed.values.profile);
    const name = parsed.positionals[0] as string;
    const variants = (parsed.values.variant ?? []).map((t) => {
      const v = parseVariant(t);
      if (!v)
        throw new UsageError(
          `--variant '${t}': expected base, seed=N, family-seed=N, seeds=N or threads=N (N an integer)`,
        );
      return v;
    });
    const imports = parsed.values.import ?? [];
    const carry = parsed.values.carry;
    if (carry !== undefined && (!imports.length || !carry.trim()))
      throw new UsageError('--carry needs --import and a reason (why the imported metrics still hold)');
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
    for (const file of imports) {
      let out: string;
      try {
        out = await importRun(spec, profile, file, carry);
      } catch (e) {
        throw new UsageError(`--import ${(e as Error).message}`);
      }
      console.log(`${name}: imported ${file} as ${out}`);
    }
    for (const v of variants) {
      const t0 = Date.now();
      const out = await runVariant(name, spec, profile, v, (s) => process.stderr.write(`${s}\n`));
      console.log(
        out
          ? `${name}: ${variantName(v)} in ${((Date.now() - t0) / 60000).toFixed(1)} min -> ${out}`
          : `${name}: ${variantName(v)} already stored for this CPU in ${spreadDir(spec.pair, spec.id, profile)}; skipped`,
      );
    }
    const summary = await writeSpreadSummary(spec, profile);
    if (!summary) {
      console.error(`${name}: no runs in ${spreadDir(spec.pair, spec.id, profile)}`);
      return 1;
    }
    console.log(
      `${name}: ${summary.runs.length} runs summarised in ${spreadSummaryPath(spec.pair, spec.id, profile)} (k for 5% family-wise: ${summary.k.value.toFixed(2)})`,
    );
    return 0;
  },
});
