import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
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
    assert.is(readFileSync(path, 'utf8').trim(), `${process.pid} ${hostname()}`);
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

test("withFileLock: another host's lock is waited for while its holder touches it, taken over once stale", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, 'z.lock');
  // A pid that is alive or dead here says nothing about another host: only the heartbeat (mtime) counts.
  writeFileSync(path, `${2 ** 22 + 1} some-other-node\n`);
  let waitedOn: string | null = null;
  const taken = withFileLock(path, async () => 'mine', {
    pollMs: 5,
    staleMs: 60_000,
    onWait: (_pid, host) => (waitedOn = host),
  });
  await new Promise((r) => setTimeout(r, 40));
  assert.is(waitedOn, 'some-other-node', 'a fresh lock of another host is waited for, though its pid is dead here');
  assert.ok(existsSync(path));
  const old = new Date(Date.now() - 120_000);
  utimesSync(path, old, old);
  assert.is(await taken, 'mine', 'untouched for longer than staleMs: taken over');
  assert.not.ok(existsSync(path));
  rmSync(dir, { recursive: true });
});

test('withFileLock: the holder touches its lock (heartbeat) while fn runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, 'h.lock');
  await withFileLock(
    path,
    async () => {
      const old = new Date(Date.now() - 120_000);
      utimesSync(path, old, old);
      await new Promise((r) => setTimeout(r, 60));
      const { mtimeMs } = statSync(path);
      assert.ok(Date.now() - mtimeMs < 10_000, 'the heartbeat refreshed the mtime');
    },
    { heartbeatMs: 10 },
  );
  rmSync(dir, { recursive: true });
});

test.run();
