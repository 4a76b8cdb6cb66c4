import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { resolveStepKernel } from '@saetrace/sae';

/** Where and how a result was made; kept apart from results.json so results stay byte-identical across runs. */
export function provenance(extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain'], { encoding: 'utf8' });
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const versions: Record<string, string> = {};
  for (const name of Object.keys({ ...pkg.dependencies })) {
    try {
      versions[name] = (
        JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }
      ).version;
    } catch {
      versions[name] = 'missing';
    }
  }
  return {
    ...extra,
    gitSha: git.status === 0 ? git.stdout.trim() : 'unknown',
    gitDirty: dirty.status === 0 ? dirty.stdout.trim().length > 0 : null,
    node: process.version,
    packages: versions,
    saeStepKernel: resolveStepKernel('auto', 'sparse'),
    machine: {
      platform: process.platform,
      arch: process.arch,
      cpus: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    },
    date: new Date().toISOString(),
  };
}
