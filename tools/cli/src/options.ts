// Options that several commands take, parsed the same way everywhere.
import { defaultThreads } from '@saetrace/engine';
import type { ProfileName } from '../../harness/src/spec.ts';
import { choiceOption, intOption } from './command.ts';

/** The spec profiles (run, spread, findings, slurm submit). */
const PROFILES: readonly ProfileName[] = ['smoke', 'default', 'paper'];

/** --profile of a spec command: one of PROFILES. */
export function profileOption(raw: string | undefined): ProfileName {
  return choiceOption('profile', raw, PROFILES);
}

/** --threads: worker threads in [1, 1024], this machine's default when absent. */
export function threadsOption(raw: string | undefined): number {
  return intOption('threads', raw, 1, 1024, defaultThreads());
}
