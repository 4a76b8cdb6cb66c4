import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAMILY_PROFILES, flopParams, logSpacedSteps } from './family.ts';
import { FAMILY_LOCK, lockFamilyDir } from './family-run.ts';

test('log-spaced steps start at 1, end at the last step, and are distinct and increasing', () => {
  const s = logSpacedSteps(1500, 10);
  assert.is(s.length, 10);
  assert.is(s[0], 1);
  assert.is(s.at(-1), 1500);
  for (let i = 1; i < s.length; i++) assert.ok((s[i] as number) > (s[i - 1] as number));
  assert.equal(logSpacedSteps(5, 8), [1, 2, 3, 4, 5]);
  assert.throws(() => logSpacedSteps(0, 8), /positive integer/);
  assert.throws(() => logSpacedSteps(10, 1), />= 2/);
});

test('the default family has five sizes as LLM-jp-3 does, growing in width and compute, never shrinking in depth; the largest has >= 6 blocks and width >= 192', () => {
  const m = FAMILY_PROFILES.default.members;
  assert.is(m.length, 5);
  // l+ sits between l (5 blocks) and xl (6 blocks), so two neighbours may share a depth.
  for (let i = 1; i < m.length; i++) {
    assert.ok(m[i]!.hiddenSize > m[i - 1]!.hiddenSize && m[i]!.layers >= m[i - 1]!.layers, `${m[i]!.size} after ${m[i - 1]!.size}`);
    assert.ok(flopParams(m[i]!, 8192) > flopParams(m[i - 1]!, 8192));
  }
  const last = m.at(-1)!;
  assert.ok(last.layers >= 6 && last.hiddenSize >= 192);
  for (const p of Object.values(FAMILY_PROFILES)) for (const x of p.members) {
    assert.is(x.hiddenSize % x.heads, 0);
    assert.is(x.heads % x.kvHeads, 0);
  }
});


test('lockFamilyDir: a second training of the same directory is refused naming the holder; a dead holder is taken over', () => {
  const dir = mkdtempSync(join(tmpdir(), 'family-lock-'));
  const release = lockFamilyDir(dir);
  assert.throws(() => lockFamilyDir(dir), new RegExp(`train\\.lock: process ${process.pid} is training this family now`));
  release();
  lockFamilyDir(dir)();
  // A pid no process has: the lock is stale and taken over.
  writeFileSync(join(dir, FAMILY_LOCK), '2147483646\n');
  const again = lockFamilyDir(dir);
  assert.is(readFileSync(join(dir, FAMILY_LOCK), 'utf8'), `${process.pid}\n`);
  again();
  rmSync(dir, { recursive: true });
});

test.run();
