import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonRecord } from '@saetrace/engine';
import type { CorpusManifest } from './build.ts';

export type StatsResult =
  | { readonly ok: true; readonly manifest: CorpusManifest }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Reads a pair's manifest and verifies every listed file's sha256; mismatches are errors naming the file. */
export function verifyCorpus(dir: string): StatsResult {
  const mpath = join(dir, 'manifest.json');
  if (!existsSync(mpath)) return { ok: false, errors: [`${mpath}: no manifest`] };
  let manifest: CorpusManifest;
  try {
    manifest = readJsonRecord<CorpusManifest>(
      mpath,
      'restore it from git (git checkout -- data/corpus) or harvest the corpus again',
    );
  } catch (err) {
    return { ok: false, errors: [(err as Error).message] };
  }
  if (!manifest.files || typeof manifest.files !== 'object') return { ok: false, errors: [`${mpath}: no files table`] };
  const errors: string[] = [];
  for (const [name, st] of Object.entries(manifest.files)) {
    const p = join(dir, name);
    if (!existsSync(p)) {
      errors.push(`${p}: listed in the manifest but missing`);
      continue;
    }
    const sha = createHash('sha256').update(readFileSync(p)).digest('hex');
    if (sha !== st.sha256) errors.push(`${p}: sha256 ${sha} does not match the manifest's ${st.sha256}`);
  }
  return errors.length ? { ok: false, errors } : { ok: true, manifest };
}
