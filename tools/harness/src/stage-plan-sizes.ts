// The stage graph of the sae-sizes kind (Tables 2 and 3, Figure 11): the whole family, then per size the last
// checkpoint's mid-layer stores (extract:<size>) and one SAE per rate of the paper's grid (sae:<size>@lr<rate>),
// each keyed as kinds/sae-sizes.ts caches it, then the report, which finds every row cached.
import { existsSync } from 'node:fs';
import { planStores, storeComplete } from '@saetrace/activations';
import { modelFingerprint, readLlamaConfig } from '@saetrace/lm';
import { PAPER_LR_GRID } from '@saetrace/sae';
import { cachedFamily, familySlot } from './family.ts';
import { storeRequest } from './kinds/checkpoint-stages.ts';
import { rateCacheFile, sizeCheckpoint } from './kinds/sae-sizes.ts';
import type { ExperimentSpec, ProfileSpec } from './spec.ts';
import { costOf, extractJob, familyJob, saeJob, type Rates } from './stage-cost.ts';
import type { PlanJob } from './stage-plan.ts';

/** The family, extract and rate jobs of a sae-sizes spec (the report job is the caller's), costed at `rates`. */
export async function sizesJobs(
  spec: ExperimentSpec,
  p: ProfileSpec,
  rates: Rates,
): Promise<{ jobs: PlanJob[]; notes: string[] }> {
  if ('paths' in p.family)
    return { jobs: [], notes: ['a paths profile of the sae-sizes kind is not planned per stage yet'] };
  const slot = familySlot(p, spec.pair);
  const sizes = slot.profile.members.map((m) => m.size);
  const trained = sizes.every((size) => cachedFamily({ ...p, size }, spec.pair) !== null);
  const familyId = `family:${slot.dirName}`;
  const family: PlanJob = {
    id: familyId,
    kind: 'family',
    inputs: [],
    outputs: [{ what: `every member of ${slot.dirName}`, key: null, path: slot.manifestPath, cached: trained }],
    cached: trained,
    estimate: `${sizes.length} members`,
    cost: costOf(familyJob(slot.profile, cachedFamily(p, spec.pair)), rates),
  };
  if (!trained)
    return { jobs: [family], notes: [`the checkpoints are known once ${familyId} has run: plan again then`] };
  const jobs: PlanJob[] = [family];
  for (const size of sizes) {
    const { dir, layer } = await sizeCheckpoint(spec, p, size);
    const config = await readLlamaConfig(dir);
    const model = { fingerprint: await modelFingerprint(dir), dModel: config.hiddenSize };
    const store = async (split: 'train' | 'eval') => {
      const [s] = await planStores({ ...storeRequest(spec, p, [layer], split), ...model });
      if (!s) throw new Error(`${spec.id}: no ${split} store planned for ${size}`);
      return { split, key: s.key, path: s.dir, manifest: await storeComplete(s) };
    };
    const [train, evalStore] = [await store('train'), await store('eval')];
    const shape = { p, config, langs: spec.languages.length };
    const extractId = `extract:${size}`;
    const ck = { step: Number(/step-(\d+)/.exec(dir)?.[1] ?? 0), dir };
    jobs.push({
      id: extractId,
      kind: 'extract',
      inputs: [familyId],
      outputs: [train, evalStore].map((s) => ({
        what: `${s.split} store L${layer}`,
        key: s.key,
        path: s.path,
        cached: s.manifest !== null,
      })),
      cached: train.manifest !== null && evalStore.manifest !== null,
      estimate: `${size}: layer ${layer} of its last checkpoint`,
      cost: costOf(extractJob(shape, 1), rates),
      checkpoint: ck,
      layer,
      size,
    });
    for (const lr of PAPER_LR_GRID) {
      // Its key needs the train store's rows: unknown until the store is extracted.
      const slotOf = train.manifest
        ? rateCacheFile(
            p,
            { trainKey: train.key, evalKey: evalStore.key, d: model.dModel, rows: train.manifest.rows },
            lr,
          )
        : null;
      const cached = slotOf !== null && existsSync(slotOf.file);
      jobs.push({
        id: `sae:${size}@lr${lr}`,
        kind: 'sae',
        inputs: [extractId],
        outputs: [{ what: `SAE at lr ${lr}`, key: slotOf?.key ?? null, path: slotOf?.file ?? null, cached }],
        cached,
        estimate: `lr ${lr}`,
        cost: costOf(saeJob(shape), rates),
        checkpoint: ck,
        layer,
        size,
        lr,
      });
    }
  }
  return { jobs, notes: [] };
}
