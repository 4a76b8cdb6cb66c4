import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { pidAlive } from './atomic.ts';

/** Who holds a lock file: its pid and host, or null when the file is gone or unreadable (being written). */
function holder(path: string): { pid: number; host: string | null; ageMs: number } | null {
  try {
    const [pidText, host] = readFileSync(path, 'utf8').trim().split(/\s+/);
    const pid = Number.parseInt(pidText ?? '', 10);
    if (!Number.isInteger(pid)) return null;
    return { pid, host: host ?? null, ageMs: Date.now() - statSync(path).mtimeMs };
  } catch {
    return null;
  }
}

export interface LockOptions {
  readonly pollMs?: number;
  readonly onWait?: (pid: number, host: string | null) => void;
  /** How often the holder touches its lock file, so waiters on other hosts can tell it is alive. */
  readonly heartbeatMs?: number;
  /** A lock of another host untouched this long is taken over (its holder's node died or was cut off). */
  readonly staleMs?: number;
}

/**
 * Runs `fn` holding the lock file `path` (created exclusively, holding this process's pid and host), so that two
 * processes computing one cache entry (two Slurm array tasks sharing an SAE) do it once: the second waits until the
 * first releases, then runs `fn`, which should look in the cache again before computing. The cache may be on a
 * filesystem several nodes share, where a pid means nothing on another host: a lock of this host whose process is
 * gone is taken over at once; one of another host only when its holder stopped touching it (heartbeat) for
 * `staleMs`. The lock is released when `fn` returns or throws. Waiting polls every `pollMs`.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const poll = options.pollMs ?? 500;
  const heartbeat = options.heartbeatMs ?? 30_000;
  const stale = options.staleMs ?? 10 * heartbeat;
  const me = hostname();
  mkdirSync(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid} ${me}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const h = holder(path);
      // A holder that has died leaves its lock behind: take it over. An unreadable pid is a lock being written.
      const local = h !== null && (h.host === null || h.host === me);
      if (h !== null && (local ? !pidAlive(h.pid) : h.ageMs > stale)) {
        rmSync(path, { force: true });
        continue;
      }
      if (h !== null && !told) {
        options.onWait?.(h.pid, h.host);
        told = true;
      }
      await new Promise((r) => setTimeout(r, poll));
    }
  }
  const beat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // Gone (taken over as stale): fn's own cache check after its write is what keeps the result right.
    }
  }, heartbeat);
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    rmSync(path, { force: true });
  }
}
