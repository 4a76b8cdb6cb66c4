import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { pidAlive } from './atomic.ts';

/** Who holds a lock file: its pid, or null when the file is gone or unreadable (being written). */
function holder(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Runs `fn` holding the lock file `path` (created exclusively, holding this process's pid), so that two processes
 * computing one cache entry (two Slurm array tasks sharing an SAE) do it once: the second waits until the first
 * releases, then runs `fn`, which should look in the cache again before computing. A lock whose process is gone
 * is taken over; the lock is released when `fn` returns or throws. Waiting polls every `pollMs`.
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { pollMs?: number; onWait?: (pid: number) => void } = {},
): Promise<T> {
  const poll = options.pollMs ?? 500;
  mkdirSync(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = holder(path);
      // A holder that has died leaves its lock behind: take it over. An unreadable pid is a lock being written.
      if (pid !== null && !pidAlive(pid)) {
        rmSync(path, { force: true });
        continue;
      }
      if (pid !== null && !told) {
        options.onWait?.(pid);
        told = true;
      }
      await new Promise((r) => setTimeout(r, poll));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
