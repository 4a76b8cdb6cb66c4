import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preflight, type PreflightDeps } from './preflight.ts';

const ok = { status: 0, stdout: '', stderr: '', error: undefined };
const deps = (over: Partial<PreflightDeps> = {}): PreflightDeps => ({
  writable: () => true,
  sbatch: () => ok,
  ...over,
});

test('preflight: a writable cache and a test job Slurm takes pass; --dry-run asks Slurm nothing', () => {
  const root = mkdtempSync(join(tmpdir(), 'preflight-'));
  const asked: string[][] = [];
  try {
    mkdirSync(join(root, '.cache/sae'), { recursive: true });
    assert.is(
      preflight(
        { partition: 'main' },
        root,
        deps({
          sbatch: (a) => {
            asked.push(a);
            return ok;
          },
        }),
      ),
      null,
    );
    assert.equal(asked, [['--version'], ['--test-only', '--partition=main', '--wrap=true']]);
    asked.length = 0;
    assert.is(
      preflight(
        { 'dry-run': true },
        root,
        deps({
          sbatch: (a) => {
            asked.push(a);
            return ok;
          },
        }),
      ),
      null,
    );
    assert.equal(asked, []);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('preflight: an unwritable cache folder, no sbatch, a refused partition or account: each named', () => {
  const root = mkdtempSync(join(tmpdir(), 'preflight-'));
  try {
    mkdirSync(join(root, '.cache/sae'), { recursive: true });
    const sae = join(root, '.cache/sae');
    assert.is(
      preflight({ 'dry-run': true }, root, deps({ writable: (d) => d !== sae })),
      `${sae}: the cache folder is not writable; every job writes its outputs there`,
    );
    const missing = {
      ...ok,
      status: null,
      error: Object.assign(new Error('spawnSync sbatch ENOENT'), { code: 'ENOENT' }),
    };
    assert.match(
      preflight({}, root, deps({ sbatch: () => missing })) ?? '',
      /^sbatch not found on PATH .* or use --dry-run$/,
    );
    const refused = { ...ok, status: 1, stderr: 'sbatch: error: invalid partition specified: gpu-big\n' };
    assert.is(
      preflight({ partition: 'gpu-big' }, root, deps({ sbatch: (a) => (a[0] === '--version' ? ok : refused) })),
      '--partition gpu-big: Slurm refuses a test job (sbatch --test-only): invalid partition specified: gpu-big',
    );
    const account = {
      ...ok,
      status: 1,
      stderr: 'sbatch: error: Invalid account or account/partition combination specified\n',
    };
    assert.match(
      preflight({ account: 'nope' }, root, deps({ sbatch: (a) => (a[0] === '--version' ? ok : account) })) ?? '',
      /^--account nope: Slurm refuses a test job .*Invalid account/,
    );
  } finally {
    rmSync(root, { recursive: true });
  }
});

test.run();
