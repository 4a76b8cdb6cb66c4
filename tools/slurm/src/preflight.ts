// What stops a submission, checked before anything is written: a cache folder the jobs cannot write, no sbatch on
// PATH (without --dry-run), or a partition/account Slurm refuses (asked with `sbatch --test-only`, which submits
// nothing). The system calls come in as arguments so each refusal is testable without a cluster or a non-root user.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PreflightOptions {
  readonly 'dry-run'?: boolean;
  readonly partition?: string;
  readonly account?: string;
}

export interface PreflightDeps {
  readonly writable: (dir: string) => boolean;
  readonly sbatch: (args: string[]) => Pick<SpawnSyncReturns<string>, 'status' | 'stdout' | 'stderr' | 'error'>;
}

const system: PreflightDeps = {
  writable: (dir) => {
    try {
      accessSync(dir, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  sbatch: (args) => spawnSync('sbatch', args, { encoding: 'utf8' }),
};

/** The first reason this submission cannot go ahead (naming the folder or option), or null. */
export function preflight(o: PreflightOptions, root: string, deps: PreflightDeps = system): string | null {
  for (const d of ['.cache', '.cache/activations', '.cache/sae', '.cache/zoo'].map((d) => join(root, d)))
    if (existsSync(d) && !deps.writable(d))
      return `${d}: the cache folder is not writable; every job writes its outputs there`;
  if (o['dry-run']) return null;
  if (deps.sbatch(['--version']).error)
    return "sbatch not found on PATH (Slurm's client commands): install them, or use --dry-run";
  const test = deps.sbatch([
    '--test-only',
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
    '--wrap=true',
  ]);
  if (test.status === 0) return null;
  const why = `${test.stderr ?? ''}${test.stdout ?? ''}`.trim().replace(/^sbatch: error: /gm, '');
  const what = o.partition ? `--partition ${o.partition}` : o.account ? `--account ${o.account}` : 'the cluster';
  return `${what}: Slurm refuses a test job (sbatch --test-only): ${why}`;
}
