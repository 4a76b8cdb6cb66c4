// What a feature-dynamics run of a spec computes, in counts: the model it reads, the checkpoints it measures
// (the random init too where the profile asks for it) and the layers. `saetrace plan` (stage-plan.ts) turns it into
// jobs with cache keys; the cost estimates (stage-calibrate.ts) read it without computing a key.
import { readLlamaConfig, type FamilyManifest, type LlamaConfig } from '@saetrace/lm';
import { cachedFamily, familySlot, randomInitDir, resolveCheckpoints, type ResolvedCheckpoint } from './family.ts';
import { layersOf, selectCheckpoints } from './kinds/feature-dynamics.ts';
import type { ExperimentSpec, ProfileSpec } from './spec.ts';

export interface PlanShape {
  /** The embedded family's manifest when the profile has one and it is trained; null for paths or not trained. */
  readonly manifest: FamilyManifest | null;
  /** family:<size> for an embedded family, null for a paths profile. */
  readonly familyId: string | null;
  /** null while the family is not trained: the checkpoints are not known yet. */
  readonly measured: readonly { readonly step: number; readonly dir: string }[] | null;
  readonly layers: readonly number[];
  readonly config: LlamaConfig | null;
}

/** The checkpoints and layers a run of a feature-dynamics spec measures, read as `run` reads them. */
export async function planShape(spec: ExperimentSpec, p: ProfileSpec): Promise<PlanShape> {
  let checkpoints: ResolvedCheckpoint[];
  let familyId: string | null = null;
  let manifest: FamilyManifest | null = null;
  if ('paths' in p.family) checkpoints = (await resolveCheckpoints(p, spec.pair)).checkpoints;
  else {
    const slot = familySlot(p, spec.pair);
    manifest = cachedFamily(p, spec.pair);
    familyId = `family:${slot.size}`;
    const member = manifest?.members.find((m) => m.size === slot.size);
    if (!member) return { manifest, familyId, measured: null, layers: [], config: null };
    checkpoints = member.checkpoints.map((c) => ({ size: slot.size, step: c.step, tokens: c.tokens, dir: c.dir }));
  }
  const final = checkpoints.at(-1) as ResolvedCheckpoint;
  const config = await readLlamaConfig(final.dir);
  const layers = layersOf(p, config.numLayers);
  const chosen = selectCheckpoints(checkpoints, p.checkpoints, `spec ${spec.id}`, final.size);
  const measured = chosen.map((c) => ({ step: c.step, dir: c.dir }));
  if (p.randomInit) measured.push({ step: 0, dir: randomInitDir(p, spec.pair, final.size) });
  return { manifest, familyId, measured, layers, config };
}
