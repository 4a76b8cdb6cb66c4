import { planOf, PlanFileError, readPlanFile } from '../../../harness/src/plan-file.ts';
import { type JobOptions, type JobOutcome, runJobs, UnknownJobError } from '../../../harness/src/stage-job.ts';
import { defineCommand, UsageError } from '../command.ts';
import { profileOption } from '../options.ts';
import { createProgress, intervalFromEnv, progressMode } from '../progress.ts';

export const jobCommand = defineCommand({
  name: 'job',
  summary: "run jobs of a spec's stage plan (saetrace plan): nothing when cached, exit 1 when an input is missing",
  usage: [
    'Usage: saetrace job <pair>/<id> <job-id>... [--profile smoke|default|paper] [--plan FILE] [--quiet]',
    '',
    'Runs jobs of `saetrace plan <pair>/<id>` in turn with the functions `saetrace run` uses for their stages, so a',
    'run afterwards finds their outputs cached, and prints one line per job: computed (and in how long), cached, or',
    'cached by another process while this one waited (each job runs under a lock of its own: the same job started',
    'twice at once is computed once). A job whose inputs are not cached exits 1 naming the jobs to run first; an',
    'unknown job id is a usage error listing the ids. The report job runs the spec (exit 1 on golden drift).',
    '--plan FILE: the plan.json of a Slurm run (saetrace slurm submit); each job must still be the one the code plans',
    'now (same inputs and output keys), else a usage error naming the file: plan again.',
  ].join('\n'),
  options: {
    profile: { type: 'string', default: 'default' },
    plan: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
  positionals: {
    min: 2,
    max: Number.POSITIVE_INFINITY,
    what: 'a spec and job ids, e.g. en-ja/figure3 sae:step-000024@L2',
  },
  async run(parsed) {
    const [name, ...ids] = parsed.positionals as [string, ...string[]];
    const profile = profileOption(parsed.values.profile);
    const mode = progressMode({ quiet: parsed.values.quiet, json: false }, process.stderr.isTTY === true);
    const intervalMs = mode === 'tty' ? undefined : intervalFromEnv();
    const progress = createProgress({
      mode,
      write: (t) => process.stderr.write(t),
      ...(intervalMs !== undefined && { intervalMs }),
    });
    let outs: JobOutcome[];
    try {
      let stored: JobOptions['stored'];
      if (parsed.values.plan !== undefined) {
        const path = parsed.values.plan;
        const file = readPlanFile(path);
        if (file.profile !== profile)
          throw new PlanFileError(`${path}: a plan of profile ${file.profile}, not ${profile} (--profile)`);
        stored = { plan: planOf(file, path, name), path };
      }
      outs = await runJobs(name, profile, ids, { log: (t) => progress.note(t), progress, ...(stored && { stored }) });
    } catch (err) {
      if (err instanceof UnknownJobError || err instanceof PlanFileError) throw new UsageError(err.message);
      throw err;
    } finally {
      progress.close();
    }
    let rc = 0;
    for (const out of outs) {
      const id = out.job.id;
      if (out.status === 'cached')
        console.log(
          `${name} (${profile}) ${id}: ${out.waited ? 'cached by another process while this one waited' : 'cached, nothing to do'}`,
        );
      else if (out.status === 'missing') {
        console.log(`${name} (${profile}) ${id}: inputs not cached; run first: ${out.missing.join(', ')}`);
        rc = 1;
      } else {
        const golden = out.run ? `; golden ${out.run.golden}` : '';
        console.log(`${name} (${profile}) ${id}: computed in ${out.seconds.toFixed(1)} s${golden}`);
        if (out.run?.golden === 'failed') rc = 1;
      }
    }
    return rc;
  },
});
