import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  arrayScript,
  familyPairs,
  familyScript,
  formatStatuses,
  gatherScript,
  readStatuses,
  shellQuote,
  statusFile,
} from './submit.ts';

const o = {
  specs: ['en-ja/figure3', 'en-ko/figure5', 'en-ja/table1'],
  profile: 'smoke' as const,
  dir: "/runs/it's here",
  root: '/repo',
  node: '/usr/bin/node',
  partition: 'main',
  cpus: 2,
  timeMinutes: 30,
};

test('the family job trains each pair once, none for the paper profile', () => {
  assert.equal(familyPairs(o), ['en-ja', 'en-ko']);
  assert.equal(familyPairs({ ...o, profile: 'paper' }), []);
  const s = familyScript(o);
  assert.match(
    s,
    /saetrace zoo train --profile smoke --pair en-ja --quiet \|\| rc=1\nsaetrace zoo train --profile smoke --pair en-ko/,
  );
  assert.match(s, /#SBATCH --partition=main/);
});

test('the array has one task per spec, quotes paths, and writes its status atomically', () => {
  const s = arrayScript(o);
  assert.match(s, /#SBATCH --array=0-2\n/);
  assert.match(s, /specs=\('en-ja\/figure3' 'en-ko\/figure5' 'en-ja\/table1'\)/);
  assert.match(s, /saetrace run "\$spec" --profile smoke --quiet/);
  assert.ok(s.includes(`status=${shellQuote("/runs/it's here/status")}`), s);
  assert.match(s, /> "\$status\/\.\$name\.\$\$\.tmp"\nmv "\$status\/\.\$name\.\$\$\.tmp" "\$status\/\$name\.json"/);
  assert.match(s, /#SBATCH --partition=main\n/);
  assert.match(
    arrayScript({ ...o, account: 'proj1' }, ['en-ja/table1']),
    /#SBATCH --array=0-0\n[\s\S]*specs=\('en-ja\/table1'\)/,
  );
  assert.match(arrayScript({ ...o, account: 'proj1' }), /#SBATCH --account=proj1\n/);
  assert.match(s, /export SAETRACE_THREADS=2/);
  assert.match(gatherScript(o), /--cpus-per-task=1[\s\S]*saetrace slurm gather '\/runs\/it'\\''s here'/);
});

test('gather: passed, failed and unfinished specs; a status file that lies or is broken is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slurm-'));
  try {
    mkdirSync(join(dir, 'status'));
    writeFileSync(statusFile(dir, 'en-ja/figure3'), '{"task":0,"spec":"en-ja/figure3","rc":0,"seconds":90}');
    writeFileSync(statusFile(dir, 'en-ko/figure5'), '{"task":1,"spec":"en-ko/figure5","rc":1,"seconds":30}');
    writeFileSync(join(dir, 'status', '.en-ja__table1.77.tmp'), 'half');
    const rows = readStatuses(dir, o.specs);
    assert.equal(
      rows.map((r) => r.rc),
      [0, 1, null],
    );
    const t = formatStatuses(rows);
    assert.match(t, /\| 0 \| en-ja\/figure3 \| passed \| 1\.5 \|/);
    assert.match(t, /failed \(exit 1\)/);
    assert.match(t, /\| 2 \| en-ja\/table1 \| did not finish \| - \|/);
    assert.match(t, /1 of 3 specs passed\./);
    writeFileSync(statusFile(dir, 'en-ja/table1'), '{"task":2,"spec":"en-ja/figure9","rc":0,"seconds":1}');
    assert.throws(
      () => readStatuses(dir, o.specs),
      /en-ja__table1\.json: holds the status of en-ja\/figure9, not en-ja\/table1/,
    );
    writeFileSync(statusFile(dir, 'en-ja/table1'), '{"task":2');
    assert.throws(() => readStatuses(dir, o.specs), /en-ja__table1\.json: not JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
