import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync, writeJsonAtomic } from './atomic.ts';

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
  await writeFileAtomic(join(p, 'child'), 'new').then(() => assert.unreachable(), () => {});
  assert.is(readFileSync(p, 'utf8'), 'old');
});

test.run();
