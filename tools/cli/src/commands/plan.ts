import { renderPlan, stagePlan } from '../../../harness/src/stage-plan.ts';
import { defineCommand } from '../command.ts';
import { profileOption } from '../options.ts';

export const planCommand = defineCommand({
  name: 'plan',
  summary: "a spec's stage graph: family, extraction, SAE and report jobs with their cache keys and whether cached",
  usage: [
    'Usage: saetrace plan <pair>/<id> [--profile smoke|default|paper] [--json]',
    '',
    'Lists the jobs a run of the spec executes, each after its inputs: family (the member the spec uses),',
    'extract:<checkpoint> (train and eval stores of every layer), sae:<checkpoint>@L<layer> and report (the run',
    'itself, which then finds every stage cached). Outputs are named by the keys the run computes; nothing is',
    'computed. Kinds other than feature-dynamics are one job (not planned per stage yet).',
    'Each job has a cost: seconds on the CPU the committed provenance timings measured (named under the table),',
    'an estimated peak memory and GPU seconds from FLOPs; under the table, the critical path and the wall time on',
    '1, 8 and 64 nodes. `saetrace estimate` tabulates every spec. Run one job with',
    '`saetrace job <pair>/<id> --profile P <job-id>`. --json prints the plan as JSON (cost and calibration included).',
  ].join('\n'),
  options: {
    profile: { type: 'string', default: 'default' },
    json: { type: 'boolean', default: false },
  },
  positionals: { min: 1, max: 1, what: 'a spec, e.g. en-ja/figure3' },
  async run(parsed) {
    const plan = await stagePlan(parsed.positionals[0] as string, profileOption(parsed.values.profile));
    console.log(parsed.values.json ? JSON.stringify(plan, null, 2) : renderPlan(plan));
    return 0;
  },
});
