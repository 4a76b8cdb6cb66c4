import { runJob, UnknownJobError } from '../../../harness/src/stage-job.ts';
import { defineCommand, UsageError } from '../command.ts';
import { profileOption } from '../options.ts';
import { createProgress, intervalFromEnv, progressMode } from '../progress.ts';

export const jobCommand = defineCommand({
  name: 'job',
  summary: "run one job of a spec's stage plan (saetrace plan): nothing when cached, exit 1 when an input is missing",
  usage: [
    'Usage: saetrace job <pair>/<id> <job-id> [--profile smoke|default|paper] [--quiet]',
    '',
    'Runs one job of `saetrace plan <pair>/<id>` with the functions `saetrace run` uses for that stage, so a run',
    'afterwards finds its outputs cached. A cached job does nothing (exit 0); a job whose inputs are not cached',
    'exits 1 naming the jobs to run first; an unknown job id is a usage error listing the ids. The report job runs',
    'the spec (exit 1 on golden drift).',
  ].join('\n'),
  options: {
    profile: { type: 'string', default: 'default' },
    quiet: { type: 'boolean', default: false },
  },
  positionals: { min: 2, max: 2, what: 'a spec and a job id, e.g. en-ja/figure3 sae:step-000024@L2' },
  async run(parsed) {
    const [name, id] = parsed.positionals as [string, string];
    const profile = profileOption(parsed.values.profile);
    const mode = progressMode({ quiet: parsed.values.quiet, json: false }, process.stderr.isTTY === true);
    const intervalMs = mode === 'tty' ? undefined : intervalFromEnv();
    const progress = createProgress({
      mode,
      write: (t) => process.stderr.write(t),
      ...(intervalMs !== undefined && { intervalMs }),
    });
    let out: Awaited<ReturnType<typeof runJob>>;
    try {
      out = await runJob(name, profile, id, { log: (t) => progress.note(t), progress });
    } catch (err) {
      if (err instanceof UnknownJobError) throw new UsageError(err.message);
      throw err;
    } finally {
      progress.close();
    }
    if (out.status === 'cached') {
      console.log(`${name} (${profile}) ${id}: cached, nothing to do`);
      return 0;
    }
    if (out.status === 'missing') {
      console.log(`${name} (${profile}) ${id}: inputs not cached; run first: ${out.missing.join(', ')}`);
      return 1;
    }
    const golden = out.run ? `; golden ${out.run.golden}` : '';
    console.log(`${name} (${profile}) ${id}: done${golden}`);
    return out.run?.golden === 'failed' ? 1 : 0;
  },
});
