import { parseArgs } from 'node:util';
import { goldenTable } from '../../../harness/src/golden.ts';
import { runExperiment } from '../../../harness/src/run.ts';
import type { ProfileName } from '../../../harness/src/spec.ts';
import { UsageError, type Command } from '../command.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'run one experiment spec (table or figure) at a profile, compare with its golden, write the report',
  usage: [
    'Usage: saetrace run <pair>/<id> [--profile smoke|default|paper] [--update-golden]',
    '',
    'Builds what is missing (family, activations, SAEs; all cached by content), writes',
    'reports/<pair>/<id>[.<profile>].md with figures, results and provenance JSON, and compares the results',
    'with golden/<pair>/<id>.<profile>.json (exit 1 on drift). --update-golden rewrites it (never under CI=true).',
  ].join('\n'),
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { profile: { type: 'string', default: 'default' }, 'update-golden': { type: 'boolean', default: false } } });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const name = parsed.positionals[0];
    if (!name) throw new UsageError('name a spec, e.g. en-ja/figure3');
    const profile = parsed.values.profile as ProfileName;
    if (!['smoke', 'default', 'paper'].includes(profile)) throw new UsageError(`--profile must be smoke, default or paper, got '${profile}'`);
    const quiet = process.env.CI === 'true' || !process.stderr.isTTY;
    const out = await runExperiment(name, profile, { updateGolden: parsed.values['update-golden'], log: (s) => { if (!quiet) console.error(s); } });
    console.log(`${name} (${profile}): report ${out.reportPath}; results ${out.resultsPath}; golden ${out.golden}`);
    if (out.golden === 'failed') {
      if (out.goldenNote) console.log(out.goldenNote);
      if (!out.goldenNote || out.rows.some((r) => !r.ok)) console.log(goldenTable(out.rows));
      return 1;
    }
    return 0;
  },
};
