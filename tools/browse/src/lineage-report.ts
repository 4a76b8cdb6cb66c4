import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layersOf } from '../../harness/src/kinds/feature-dynamics.ts';
import { readSpec } from '../../harness/src/spec.ts';
import type { ProfileName } from '../../harness/src/spec.ts';
import { scanCache, type CachedSae } from './scan.ts';

export { formatLineageReport, lineageReport, type ChainReport } from './lineage-chains.ts';

/** The cached SAEs a spec's profile made (`specFile`: the spec's name, `<pair>/<id>`): its SAE recipe, sizes other than 'largest', layers and checkpoints. */
export function selectForSpec(saes: readonly CachedSae[], specFile: string, profile: ProfileName): CachedSae[] {
  const r = readSpec(specFile);
  if (!r.ok) throw new Error(`${specFile}: ${r.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
  const p = r.spec.profiles[profile];
  if (!p) throw new Error(`${specFile}: no profile '${profile}'`);
  return saes.filter((s) => {
    const c = s.record.config;
    if (
      c.n !== p.sae.n ||
      c.k !== p.sae.k ||
      c.lr !== p.sae.lr ||
      c.warmupSteps !== p.sae.warmupSteps ||
      c.batchSize !== p.sae.batchSize ||
      c.seed !== p.seed
    )
      return false;
    if (p.size !== 'largest' && s.size !== p.size) return false;
    // Saved positions name steps only with the family's list at hand: every step of a matching SAE is taken then.
    if (Array.isArray(p.checkpoints) && !p.checkpoints.includes(s.step)) return false;
    const numLayers = (
      JSON.parse(readFileSync(join(s.record.checkpoint, 'config.json'), 'utf8')) as { num_hidden_layers: number }
    ).num_hidden_layers;
    return layersOf(p, numLayers).includes(s.layer);
  });
}

export { scanCache };
