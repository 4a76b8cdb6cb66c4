// For tests that need an empty activation and SAE cache: a working directory of their own, the repository's
// specs, data and trained families linked in (as tools/harness/src/spread.ts scratchDir makes one).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveCheckpoints } from './family.ts';
import { readSpec } from './spec.ts';

/**
 * Enters a fresh scratch working directory, first training (once, in the repository's own cache) the smoke family
 * of `pair` so that the linked `.cache/zoo` holds it on a clean clone too. Returns the function that leaves it.
 * Call it in a suite's `before` hook and the returned function in `after`: modules are all imported before any
 * suite runs, so a directory change at import time would reach every other suite.
 */
export async function enterScratch(prefix: string, pair = 'en-ja'): Promise<() => void> {
  const repo = process.cwd();
  const spec = readSpec(`${pair}/figure3`);
  if (!spec.ok) throw new Error(`${pair}/figure3: ${spec.issues.map((i) => i.message).join('; ')}`);
  await resolveCheckpoints(spec.spec.profiles.smoke, pair, { threads: 2 });
  const scratch = scratchWorkdir(repo, prefix);
  process.chdir(scratch);
  return () => {
    process.chdir(repo);
    rmSync(scratch, { recursive: true, force: true });
  };
}

/**
 * A fresh working directory in the system temp folder: empty .cache (but the repository's trained families) and
 * reports, the repository's specs, goldens, data and packages linked in. The CLI runs there by its full path
 * (tools/cli/bin/saetrace.mjs names its checkout's tsconfig), as a Slurm sweep's tasks do.
 */
export function scratchWorkdir(repo: string, prefix: string): string {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(scratch, '.cache'));
  for (const f of ['experiments', 'data', 'golden', 'package.json', 'node_modules', '.cache/zoo'])
    symlinkSync(resolve(repo, f), join(scratch, f));
  return scratch;
}
