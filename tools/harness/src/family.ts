import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonRecord, type Progress, type TensorData } from '@saetrace/engine';
import {
  checkedMember,
  CORPUS_ROOTS,
  FAMILY_PROFILES,
  familyCorpusRoot,
  parseLlamaConfig,
  readFamilyManifest,
  readLlamaConfig,
  readLlamaWeights,
  saveInitCheckpoint,
  seededFamily,
  trainFamily,
  type FamilyManifest,
} from '@saetrace/lm';
import { familyStages } from './progress-stages.ts';
import type { ProfileSpec } from './spec.ts';

export interface ResolvedCheckpoint {
  readonly size: string;
  readonly step: number;
  readonly tokens: number;
  readonly dir: string;
}

/** Where a profile's embedded family lives and which member it uses (a profile of paths has none). */
export function familySlot(p: ProfileSpec, pair: string) {
  if ('paths' in p.family) throw new Error('a profile of checkpoint paths has no embedded family');
  const own = FAMILY_PROFILES[p.family.zoo];
  const { profile, dirName } = seededFamily(own, p.family.seed);
  const outDir = join('.cache/zoo', pair, dirName);
  const sizes = profile.members.map((m) => m.size);
  const size = p.size === 'largest' ? (sizes.at(-1) as string) : p.size === 'smallest' ? (sizes[0] as string) : p.size;
  if (!sizes.includes(size))
    throw new Error(`profile size '${p.size}' is not a member of the ${profile.name} family (${sizes.join(', ')})`);
  return { own, profile, dirName, outDir, manifestPath: join(outDir, 'family.json'), size, sizes };
}

/**
 * The documents a profile's runs read (train and eval windows, prompts): its embedded family's own corpus, so a
 * family and its activations come from the same text; the harvest for a profile of checkpoint paths.
 */
export function corpusDirOf(p: ProfileSpec, pair: string): string {
  return join('zoo' in p.family ? familyCorpusRoot(FAMILY_PROFILES[p.family.zoo]) : CORPUS_ROOTS.harvest, pair);
}

/** The family's manifest when the member the profile uses is trained under this code's definition, else null. */
export function cachedFamily(p: ProfileSpec, pair: string): FamilyManifest | null {
  const { profile, manifestPath, size } = familySlot(p, pair);
  const have = existsSync(manifestPath) ? readFamilyManifest(manifestPath) : null;
  return have && checkedMember(have, manifestPath, profile, size) ? have : null;
}

/**
 * The checkpoints a profile names: from the self-trained family (trained first if missing, via its own
 * resumable cache) or from user paths to real checkpoints.
 */
export async function resolveCheckpoints(
  p: ProfileSpec,
  pair: string,
  options: { threads?: number; log?: (s: string) => void; progress?: Progress } = {},
): Promise<{ size: string; checkpoints: ResolvedCheckpoint[]; sizes: string[] }> {
  if ('paths' in p.family) {
    const sizes = Object.keys(p.family.paths);
    const size =
      p.size === 'largest' ? (sizes.at(-1) as string) : p.size === 'smallest' ? (sizes[0] as string) : p.size;
    const list = p.family.paths[size];
    if (!list) throw new Error(`profile size '${p.size}' is not among the family paths (${sizes.join(', ')})`);
    for (const c of list)
      if (!existsSync(join(c.dir, 'config.json'))) throw new Error(`checkpoint directory ${c.dir} has no config.json`);
    return { size, sizes, checkpoints: list.map((c, i) => ({ size, step: i + 1, tokens: c.tokens, dir: c.dir })) };
  }
  const { own, profile, dirName, outDir, manifestPath, size, sizes } = familySlot(p, pair);
  let manifest: FamilyManifest;
  const have = cachedFamily(p, pair);
  if (have) manifest = have;
  else {
    options.log?.(`training the ${dirName} family for ${pair} (cached in ${outDir})`);
    const stages = options.progress && familyStages(options.progress, profile);
    manifest = await trainFamily({
      profile,
      pair,
      corpusRoot: familyCorpusRoot(profile),
      tokenizerDir: join('data/tokenizer', pair),
      outDir,
      // The profile's own family trains whole (every spec of the profile uses it); a family under another seed
      // trains only the sizes asked for, one spec's worth of spread (tools/harness/src/spread.ts).
      ...(profile !== own && { sizes: [size] }),
      threads: options.threads,
      ...(stages && { onProgress: stages.onProgress }),
    });
    stages?.end();
  }
  const member = manifest.members.find((m) => m.size === size);
  if (!member) throw new Error(`${manifestPath}: member '${size}' missing`);
  return {
    size,
    sizes,
    checkpoints: member.checkpoints.map((c) => ({ size, step: c.step, tokens: c.tokens, dir: c.dir })),
  };
}

/** Where a member's random-init checkpoint is written (step 0, beside its trained checkpoints). */
export function randomInitDir(p: ProfileSpec, pair: string, size: string): string {
  return join(familySlot(p, pair).outDir, size, 'step-000000');
}

/**
 * The random-init baseline of a profile's member: its weights before training (step 0), written once beside the
 * member's checkpoints (`<member>/step-000000`; fixed by the family's seed and the member's config, so keyed by the
 * family cache itself). Only the embedded family has a known init: a profile of real checkpoints is refused.
 */
export async function randomInitCheckpoint(
  p: ProfileSpec,
  pair: string,
  trained: { readonly size: string; readonly checkpoints: readonly ResolvedCheckpoint[] },
  where: string,
): Promise<ResolvedCheckpoint> {
  if ('paths' in p.family)
    throw new Error(
      `${where}: randomInit needs the embedded family (its init is known); for real checkpoints list a step-0 checkpoint under the pair's paper paths instead`,
    );
  const { profile } = seededFamily(FAMILY_PROFILES[p.family.zoo], p.family.seed);
  const member = profile.members.find((m) => m.size === trained.size);
  const first = trained.checkpoints[0];
  if (!member || !first) throw new Error(`${where}: no member '${trained.size}' with checkpoints to start from`);
  const vocabSize = parseLlamaConfig(
    readJsonRecord<Record<string, unknown>>(join(first.dir, 'config.json'), 'retrain the family'),
  ).vocabSize;
  const dir = randomInitDir(p, pair, trained.size);
  await saveInitCheckpoint(dir, profile, member, vocabSize, join('data/tokenizer', pair));
  return { size: trained.size, step: 0, tokens: 0, dir };
}

/**
 * The input-embedding matrix semantic entropy embeds tokens with, for every size analysed: the largest member's
 * final checkpoint (../shared/SPEC.md section 4: the paper's 3.7B for every size). Resolving it trains that member
 * when the family cache lacks it (a family under another seed trains only the sizes asked for). `vocabRows` is the
 * analysed model's vocabulary size: the family must share one tokenizer, or token ids would index other rows.
 */
export async function largestMemberEmbeddings(
  p: ProfileSpec,
  pair: string,
  analysed: { readonly dir: string; readonly vocabRows: number },
  options: { threads?: number; log?: (s: string) => void; progress?: Progress } = {},
): Promise<{ size: string; dir: string; embeddings: TensorData }> {
  const { size, checkpoints } = await resolveCheckpoints({ ...p, size: 'largest' }, pair, options);
  const final = checkpoints.at(-1);
  if (!final) throw new Error(`the largest member '${size}' has no checkpoints`);
  const embeddings = (await readLlamaWeights(final.dir, await readLlamaConfig(final.dir)))['model.embed_tokens.weight'];
  if (!embeddings) throw new Error(`${final.dir}: no input embedding matrix`);
  if (embeddings.shape[0] !== analysed.vocabRows)
    throw new Error(
      `semantic entropy embeds tokens with the largest member's embedding matrix (${final.dir}, ${embeddings.shape[0]} rows), but ${analysed.dir} has a vocabulary of ${analysed.vocabRows}: every size of the family must share one tokenizer`,
    );
  return { size, dir: final.dir, embeddings };
}
