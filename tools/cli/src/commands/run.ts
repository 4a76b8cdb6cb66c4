import { dryRun, GPU_CLASSES, renderDryRun, thisMachine } from '../../../harness/src/dry-run.ts';
import { goldenTable } from '../../../harness/src/golden.ts';
import { runExperiment } from '../../../harness/src/run.ts';
import { spreadSummaryPath } from '../../../harness/src/spread.ts';
import { importRun, runVariant, writeSpreadSummary } from '../../../harness/src/spread-run.ts';
import { formatIssue, profileOf, readSpec } from '../../../harness/src/spec.ts';
import { defineCommand, intOption, UsageError } from '../command.ts';
import { profileOption } from '../options.ts';
import { createProgress, intervalFromEnv, progressMode } from '../progress.ts';

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run one experiment spec (table or figure) at a profile, compare with its golden, write the report',
  usage: [
    'Usage: saetrace run <pair>/<id> [--profile smoke|default|paper] [--update-golden] [--quiet | --json] [--dry-run] [--seeds N]',
    '',
    'Builds what is missing (family, activations, SAEs; all cached by content), writes',
    'reports/<pair>/<id>[.<profile>].md with figures, results and provenance JSON, and compares the results',
    'with golden/<pair>/<id>.<profile>.json (exit 1 on drift). --update-golden rewrites it (never under CI=true).',
    '',
    'Progress goes to stderr: a plan line first, then per stage (family training, extraction, SAE training,',
    'metric passes, intervention settings) a live bar with rate and ETA on a terminal, or one plain line at most',
    'every 30 s per stage otherwise (CI, a log file), and a one-line summary when it ends.',
    '--dry-run (a paths profile such as paper): checks every checkpoint directory (config.json, weights, tokenizer)',
    'and the layers, and prints per stage FLOPs, bytes and estimated times here and on A100/H100; computes nothing.',
    '--quiet prints only the final line; --json prints progress as JSON lines on stderr and the outcome as JSON on stdout.',
    '--seeds N also runs the spec under N - 1 more seeds (run seed and, where the profile trains its family, family',
    'seed moved together; each in its own scratch directory, `saetrace spread` variants seeds=...), summarises',
    "every metric's sd in reports/spread/<pair>/<id>.<profile>.md, and writes the report again with +- 1 sd bands.",
  ].join('\n'),
  options: {
    profile: { type: 'string', default: 'default' },
    'update-golden': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    seeds: { type: 'string' },
  },
  positionals: { min: 1, max: 1, what: 'a spec, e.g. en-ja/figure3' },
  async run(parsed) {
    const name = parsed.positionals[0] as string;
    const profile = profileOption(parsed.values.profile);
    if (parsed.values.quiet && parsed.values.json) throw new UsageError('--quiet and --json exclude each other');
    const seeds = intOption('seeds', parsed.values.seeds, 1, 32, 1);
    if (seeds > 1 && parsed.values['update-golden'])
      throw new UsageError('--seeds and --update-golden exclude each other: a golden records one run');
    if (parsed.values['dry-run']) {
      const spec = readSpec(name);
      if (!spec.ok) {
        for (const i of spec.issues) console.error(formatIssue(i));
        return 1;
      }
      const r = await dryRun(spec.spec, profileOf(spec.spec, profile));
      console.log(renderDryRun(name, profile, r, [thisMachine(), ...GPU_CLASSES]));
      return r.problems.length > 0 ? 1 : 0;
    }
    const mode = progressMode(parsed.values, process.stderr.isTTY === true);
    const intervalMs = mode === 'tty' ? undefined : intervalFromEnv();
    const progress = createProgress({
      mode,
      write: (t) => process.stderr.write(t),
      ...(intervalMs !== undefined && { intervalMs }),
    });
    let out: Awaited<ReturnType<typeof runExperiment>>;
    try {
      out = await runExperiment(name, profile, {
        updateGolden: parsed.values['update-golden'],
        log: (t) => progress.note(t),
        progress,
      });
      if (seeds > 1) {
        // The run above is this machine's base; the other seeds run beside it, then the report is written
        // again (every stage cached) with bands and tolerances from the summary.
        const spec = readSpec(name);
        if (!spec.ok) throw new Error(spec.issues.map(formatIssue).join('\n'));
        const p = profileOf(spec.spec, profile);
        await importRun(spec.spec, profile, out.resultsPath);
        for (let i = 1; i < seeds; i++)
          await runVariant(name, spec.spec, profile, { source: 'seeds', value: p.seed + i }, (t) => progress.note(t));
        const summary = await writeSpreadSummary(spec.spec, profile);
        progress.note(
          `${summary?.runs.length ?? 0} runs in ${spreadSummaryPath(spec.spec.pair, spec.spec.id, profile)}`,
        );
        out = await runExperiment(name, profile, { log: (t) => progress.note(t), progress });
      }
    } finally {
      progress.close();
    }
    if (parsed.values.json) {
      console.log(
        JSON.stringify({
          spec: name,
          profile,
          report: out.reportPath,
          results: out.resultsPath,
          golden: out.golden,
          drift: out.golden === 'failed' ? out.rows : [],
        }),
      );
      return out.golden === 'failed' ? 1 : 0;
    }
    console.log(`${name} (${profile}): report ${out.reportPath}; results ${out.resultsPath}; golden ${out.golden}`);
    if (out.golden === 'failed') {
      if (out.goldenNote) console.log(out.goldenNote);
      if (!out.goldenNote || out.rows.some((r) => !r.ok)) console.log(goldenTable(out.rows));
      return 1;
    }
    return 0;
  },
});
