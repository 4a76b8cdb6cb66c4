import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../testing.ts';
import { slurmCommand } from './slurm.ts';

const slurm = (...argv: string[]) => runCaptured(['slurm', ...argv], [slurmCommand]);

function withTemp(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slurm-cli-'));
    try {
      await fn(dir);
    } finally {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  '--dry-run writes the scripts and round.json and submits nothing; a second submission to the folder is refused',
  withTemp(async (dir) => {
    const run = join(dir, 'run');
    const r = await slurm('submit', 'en-ja/table1', '--profile', 'smoke', '--dir', run, '--dry-run', '--account', 'p1');
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /wrote \(not submitted\): 1 specs at profile smoke/);
    assert.match(readFileSync(join(run, 'specs.sbatch'), 'utf8'), /#SBATCH --account=p1\n/);
    const round = JSON.parse(readFileSync(join(run, 'round.json'), 'utf8')) as {
      round: number;
      array: { specs: string[] };
    };
    assert.equal([round.round, round.array.specs], [0, ['en-ja/table1']]);
    const again = await slurm('submit', 'en-ja/table1', '--profile', 'smoke', '--dir', run, '--dry-run');
    assert.is(again.code, 2);
    assert.match(again.err, /already holds a sweep: name another --dir, or --resume it/);
  }),
);

test(
  'without sbatch on PATH (and no --dry-run) the submission exits 2 saying so, writing nothing',
  withTemp(async (dir) => {
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'empty');
    try {
      const r = await slurm('submit', 'en-ja/table1', '--profile', 'smoke', '--dir', join(dir, 'run'));
      assert.is(r.code, 2);
      assert.match(r.err, /sbatch not found on PATH .*or use --dry-run/);
    } finally {
      process.env.PATH = path;
    }
    assert.not.ok(existsSync(join(dir, 'run')), 'nothing written');
  }),
);

test(
  '--resume of a folder that is no sweep, or with specs named, is a usage error',
  withTemp(async (dir) => {
    const r = await slurm('submit', '--resume', dir);
    assert.is(r.code, 2);
    assert.match(r.err, /is not a sweep directory \(no specs\.json\)/);
    const both = await slurm('submit', 'en-ja/table1', '--resume', dir);
    assert.is(both.code, 2);
    assert.match(both.err, /--resume DIR takes the specs, profile and mode of the sweep in DIR/);
    const status = await slurm('status', dir);
    assert.is(status.code, 2);
  }),
);

test.run();
