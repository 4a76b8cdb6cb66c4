import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkedMember, FAMILY_PROFILES, trainFlopsPerToken, type FamilyManifest } from '@saetrace/lm';
import { PAPER_LR_GRID } from '@saetrace/sae';
import { layersOf } from './kinds/feature-dynamics.ts';
import { checkpointCount as countOf, type ExperimentSpec, type ProfileSpec } from './spec.ts';

/** Minutes for a plan line: "45 s", "12 min", "1.5 h". */
export function formatMinutes(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function readManifest(path: string): FamilyManifest | null {
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as FamilyManifest) : null;
  } catch {
    return null;
  }
}

/** Training FLOP/s this machine reached per member size, from every family trained in this cache. */
function measuredFlops(zooRoot: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(zooRoot)) return out;
  for (const pair of readdirSync(zooRoot)) {
    const pairDir = join(zooRoot, pair);
    let names: string[] = [];
    try {
      names = readdirSync(pairDir);
    } catch {
      continue;
    }
    for (const name of names) {
      for (const m of readManifest(join(pairDir, name, 'family.json'))?.members ?? [])
        if (m.flopsPerSecond > 0) out.set(m.size, m.flopsPerSecond);
    }
  }
  return out;
}

/**
 * The run-level plan printed before any stage: what will be trained, extracted and measured, and how long
 * the family will take here when an earlier family on this machine measured its speed. Counts are upper
 * bounds: every stage already in the cache is reused.
 */
export function planLine(spec: ExperimentSpec, p: ProfileSpec, zooRoot = '.cache/zoo'): string {
  const parts: string[] = [];
  let layersPerModel = 1;
  let checkpointCount = 1;
  let sizesCount = 1;
  if ('paths' in p.family) {
    const sizes = Object.keys(p.family.paths);
    sizesCount = sizes.length;
    parts.push(`checkpoints from ${sizes.length} given model size${sizes.length > 1 ? 's' : ''}`);
    const size = p.size === 'largest' ? sizes.at(-1) : p.size === 'smallest' ? sizes[0] : p.size;
    checkpointCount = countOf(p.checkpoints, p.family.paths[size ?? '']?.length ?? 1);
  } else {
    const profile = FAMILY_PROFILES[p.family.zoo];
    const manifestPath = join(zooRoot, spec.pair, profile.name, 'family.json');
    const have = readManifest(manifestPath);
    const missing = profile.members.filter(
      (m) =>
        !(
          have &&
          (() => {
            try {
              return checkedMember(have, manifestPath, profile, m.size);
            } catch {
              return null;
            }
          })()
        ),
    );
    sizesCount = profile.members.length;
    const size =
      p.size === 'largest'
        ? profile.members.at(-1)
        : p.size === 'smallest'
          ? profile.members[0]
          : profile.members.find((m) => m.size === p.size);
    layersPerModel = size?.layers ?? 1;
    checkpointCount = countOf(p.checkpoints, profile.checkpoints);
    if (missing.length === 0) parts.push(`the ${profile.name} family is trained (${manifestPath})`);
    else {
      const flops = measuredFlops(zooRoot);
      const tokensPerStep = profile.batch * (profile.seqLen - 1);
      const seconds = missing.map((m) => {
        const f = flops.get(m.size);
        return f ? (m.steps * tokensPerStep * trainFlopsPerToken(profile, m, profile.vocabSize)) / f : NaN;
      });
      const total = seconds.reduce((a, b) => a + b, 0);
      parts.push(
        `train ${missing.length} model${missing.length > 1 ? 's' : ''} of the ${profile.name} family (${missing.map((m) => `${m.size} ${m.steps} steps`).join(', ')}${Number.isFinite(total) ? `; ~${formatMinutes(total)} here` : ''})`,
      );
    }
  }
  if (spec.kind === 'sae-sizes') {
    parts.push(
      `extract ${2 * sizesCount} stores (train and eval, mid layer of each size)`,
      `train ${sizesCount * PAPER_LR_GRID.length} SAEs (${PAPER_LR_GRID.length} learning rates per size)`,
    );
  } else if (spec.kind === 'intervention') {
    const iv = p.intervention;
    parts.push(
      'extract 2 stores and train 1 SAE at the injection layer',
      `evaluate ${iv ? iv.alphas.length * iv.features.length : 0} intervention settings x ${iv?.draws ?? 0} draws`,
    );
  } else {
    const layers = layersOf(p, layersPerModel).length;
    parts.push(
      `extract ${2 * checkpointCount * layers} stores (${checkpointCount} checkpoints x ${layers} layers, train and eval)`,
      `train and measure ${checkpointCount * layers} SAEs`,
    );
  }
  return `${spec.pair}/${spec.id}: ${parts.join('; ')} (cached stages are reused)`;
}
