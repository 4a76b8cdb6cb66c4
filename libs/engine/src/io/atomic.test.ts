import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  pidAlive,
  removeStaleTemps,
  tempName,
  tempOwner,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
} from './atomic.ts';

test('writes whole files and leaves no temp files behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  await writeFileAtomic(join(dir, 'a/b.txt'), 'hello');
  writeFileAtomicSync(join(dir, 'c.txt'), new Uint8Array([1, 2]));
  await writeJsonAtomic(join(dir, 'd.json'), { x: 1 });
  assert.is(readFileSync(join(dir, 'a/b.txt'), 'utf8'), 'hello');
  assert.is(readFileSync(join(dir, 'd.json'), 'utf8'), '{\n  "x": 1\n}\n');
  assert.equal(readdirSync(dir).sort(), ['a', 'c.txt', 'd.json']);
});

test('a failed write leaves the old file intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  const p = join(dir, 'x.txt');
  await writeFileAtomic(p, 'old');
  await writeFileAtomic(join(p, 'child'), 'new').then(
    () => assert.unreachable(),
    () => {},
  );
  assert.is(readFileSync(p, 'utf8'), 'old');
});

test('a write that fails leaves no directory it created behind; directories that existed stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  const bad = undefined as unknown as string; // writeFile rejects it after mkdir has run
  mkdirSync(join(dir, 'keep'));
  await writeFileAtomic(join(dir, 'n1/n2/f'), bad).then(
    () => assert.unreachable(),
    (e: Error) => assert.instance(e, TypeError),
  );
  assert.throws(() => writeFileAtomicSync(join(dir, 's1/s2/f'), bad), TypeError);
  await writeFileAtomic(join(dir, 'keep/new/f'), bad).then(
    () => assert.unreachable(),
    () => {},
  );
  assert.equal(readdirSync(dir), ['keep']);
  assert.equal(readdirSync(join(dir, 'keep')), []);
});

test('temp files are owned: named by pid, removed only when their process is gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  const mine = tempName(join(dir, 'a.bin'));
  assert.is(tempOwner(mine), process.pid);
  assert.is(tempOwner(join(dir, 'a.bin.tmp')), null);
  // Another host's temp file (same pid or not) is not this host's to judge; a name without a host part is local.
  assert.is(tempOwner(join(dir, `a.bin.${process.pid}-00000000.0123abcd.tmp`)), null);
  assert.is(tempOwner(join(dir, `a.bin.${process.pid}.0123abcd.tmp`)), process.pid);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
  assert.not.ok(pidAlive(dead));
  assert.ok(pidAlive(process.ppid));
  const names = {
    mine: mine.split('/').pop()!,
    live: `b.bin.${process.ppid}.0011aabb.tmp`,
    dead: `c.bin.${dead}.0011aabb.tmp`,
    other: 'notes.tmp',
  };
  for (const n of Object.values(names)) writeFileSync(join(dir, n), 'x');
  assert.equal(await removeStaleTemps(dir), [names.dead]);
  assert.equal(readdirSync(dir).sort(), [names.mine, names.live, names.other].sort());
  assert.equal(await removeStaleTemps(join(dir, 'absent')), []);
});

test.run();
