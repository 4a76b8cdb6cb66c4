import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './lock.ts';

test('withFileLock: a second taker waits for the first, then runs; the lock holds the pid and is gone after', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, 'sub', 'x.lock');
  const order: string[] = [];
  let waited: number | null = null;
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const first = withFileLock(path, async () => {
    order.push('first in');
    assert.is(readFileSync(path, 'utf8').trim(), String(process.pid));
    await gate;
    order.push('first out');
    return 1;
  });
  await new Promise((r) => setTimeout(r, 20));
  const second = withFileLock(
    path,
    async () => {
      order.push('second in');
      return 2;
    },
    { pollMs: 5, onWait: (pid) => (waited = pid) },
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(order, ['first in'], 'the second ran while the first held the lock');
  release();
  assert.equal(await Promise.all([first, second]), [1, 2]);
  assert.equal(order, ['first in', 'first out', 'second in']);
  assert.is(waited, process.pid);
  assert.not.ok(existsSync(path));
  rmSync(dir, { recursive: true });
});

test("withFileLock: a dead holder's lock is taken over; a throwing fn releases the lock", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, 'y.lock');
  // pid 2^22 + 1 is above Linux's pid_max default range and not a live process here.
  writeFileSync(path, `${2 ** 22 + 1}\n`);
  assert.is(await withFileLock(path, async () => 'took over', { pollMs: 5 }), 'took over');
  await withFileLock(path, async () => {
    throw new Error('boom');
  }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /boom/),
  );
  assert.not.ok(existsSync(path));
  rmSync(dir, { recursive: true });
});

test.run();
