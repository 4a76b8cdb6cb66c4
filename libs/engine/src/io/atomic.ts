import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

/** This host, as 8 hex digits: temp names carry it because a pid means nothing on another node of a shared cache. */
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** A temp file's name: the writer's pid, its host and a random suffix, so each process knows its own (tempOwner). */
export function tempName(path: string): string {
  return `${path}.${process.pid}-${HOST}.${randomBytes(4).toString('hex')}.tmp`;
}

// The host part is optional: names written before it existed are this host's.
const TEMP = /\.(\d+)(?:-([0-9a-f]{8}))?\.[0-9a-f]{8}\.tmp$/;

/**
 * The pid that wrote a temp file named by tempName on this host; null for any other name and for a temp file of
 * another host (whose writer this host cannot see, so it is never taken for stale here).
 */
export function tempOwner(file: string): number | null {
  const m = TEMP.exec(file);
  if (!m || (m[2] !== undefined && m[2] !== HOST)) return null;
  return Number(m[1]);
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files in `dir` left by writes whose process is gone (killed mid-write); a live process's
 * temp files, this one's included, are its work in progress and are left alone. Returns the names removed.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw err;
  }
  for (const f of names) {
    const pid = tempOwner(f);
    if (pid === null || pidAlive(pid)) continue;
    await rm(join(dir, f), { force: true });
    removed.push(f);
  }
  return removed;
}

/**
 * After a failed write: removes the directories that mkdir created for it (`made`, its first, down to the
 * file's own), each only while empty, so a failed write leaves no empty cache directory behind.
 */
export function undoMkdir(made: string | undefined, path: string): void {
  if (made === undefined) return;
  for (let d = dirname(path); d.length >= made.length; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === made) return;
  }
}

/** Writes a file atomically: a temp file beside it, then a rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const made = await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    undoMkdir(made, path);
    throw err;
  }
}

/** Synchronous twin of writeFileAtomic. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const made = mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    undoMkdir(made, path);
    throw err;
  }
}

/** JSON with a trailing newline and stable two-space indentation, written atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
