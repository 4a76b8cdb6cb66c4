// The plan of a paper-profile run where its LLM-jp-3 checkpoints are absent (stagePlan reads each checkpoint's
// config and fingerprint): the same jobs, counted from the spec (the pair file's paths, the profile's checkpoints and
// layers) on the published shape of the size (paper-models.ts), costed by the per-job model of stage-cost.ts. Output
// keys are stand-ins built from what keys a store or SAE, so a sweep counts a store two specs share once.
import { createHash } from 'node:crypto';
import { layersOf, selectCheckpoints } from './kinds/feature-dynamics.ts';
import { paperConfig } from './paper-models.ts';
import { type CostShape, costOf, extractJob, type Rates, reportJob, saeJob } from './stage-cost.ts';
import type { PlanJob, StagePlan } from './stage-plan.ts';
import type { ExperimentSpec, ProfileSpec } from './spec.ts';

/** The size a paths profile runs, as dry-run.ts resolves it. */
export function paperSize(p: ProfileSpec): string {
  if (!('paths' in p.family)) throw new Error(`profile family is the zoo '${p.family.zoo}', not checkpoint paths`);
  const sizes = Object.keys(p.family.paths);
  const size = p.size === 'largest' ? sizes.at(-1) : p.size === 'smallest' ? sizes[0] : p.size;
  if (!size || !p.family.paths[size])
    throw new Error(`profile size '${p.size}' is not among the family paths (${sizes.join(', ')})`);
  return size;
}

/** The jobs of a feature-dynamics spec at a paths profile, without its checkpoints. */
export function configPlan(spec: ExperimentSpec, p: ProfileSpec, profile: 'paper', rates: Rates): StagePlan {
  if (spec.kind !== 'feature-dynamics')
    throw new Error(`${spec.pair}/${spec.id}: kind ${spec.kind} is not planned per stage`);
  const size = paperSize(p);
  const list = ('paths' in p.family ? p.family.paths[size] : undefined) ?? [];
  const config = paperConfig(size);
  const layers = layersOf(p, config.numLayers);
  // resolveCheckpoints numbers a paths profile's checkpoints 1..n (family.ts), as the spec's checkpoints count them.
  const all = list.map((c, i) => ({ step: i + 1, dir: c.dir }));
  const chosen = selectCheckpoints(all, p.checkpoints, `spec ${spec.id}`, size);
  const s: CostShape = { p, config, langs: spec.languages.length };
  const settings = createHash('sha256')
    .update(JSON.stringify({ a: p.activations, sae: p.sae, seed: p.seed, pair: spec.pair }))
    .digest('hex')
    .slice(0, 12);
  const key = (...parts: (string | number)[]) => `paper:${settings}:${parts.join(':')}`;
  const jobs: PlanJob[] = [];
  const saeIds: string[] = [];
  for (const ck of chosen) {
    const name = ck.dir.split('/').at(-1) as string;
    const out = (what: string, k: string) => ({ what, key: k, path: null, cached: false });
    jobs.push({
      id: `extract:${name}`,
      kind: 'extract',
      inputs: [],
      outputs: layers.flatMap((l) => [
        out(`train store L${l}`, key(ck.dir, 'train', l)),
        out(`eval store L${l}`, key(ck.dir, 'eval', l)),
      ]),
      cached: false,
      estimate: 'from config',
      cost: costOf(extractJob(s, layers.length), rates),
      checkpoint: ck,
    });
    for (const l of layers) {
      const id = `sae:${name}@L${l}`;
      saeIds.push(id);
      jobs.push({
        id,
        kind: 'sae',
        inputs: [`extract:${name}`],
        outputs: [out(`SAE L${l}`, key(ck.dir, 'sae', l))],
        cached: false,
        estimate: 'from config',
        cost: costOf(saeJob(s), rates),
        checkpoint: ck,
        layer: l,
      });
    }
  }
  jobs.push({
    id: 'report',
    kind: 'report',
    inputs: saeIds,
    outputs: [{ what: 'results', key: null, path: null, cached: false }],
    cached: false,
    estimate: 'from config',
    cost: costOf(reportJob(s, saeIds.length), rates),
  });
  return {
    spec: `${spec.pair}/${spec.id}`,
    profile,
    kind: spec.kind,
    perStage: true,
    notes: [`planned from the LLM-jp-3 ${size} shape (tools/harness/src/paper-models.ts), no checkpoint read`],
    jobs,
    calibration: rates,
  };
}
