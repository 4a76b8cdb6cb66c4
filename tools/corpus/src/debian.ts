import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The .deb for a package in the cache directory, if downloaded. */
export function findDeb(cacheDir: string, pkg: string): string | null {
  if (!existsSync(cacheDir)) return null;
  const hit = readdirSync(cacheDir)
    .filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))
    .sort()
    .at(-1);
  return hit ? join(cacheDir, hit) : null;
}

/**
 * Downloads packages with `apt-get download` (no install) into cacheDir, skipping those already there.
 * Returns the packages that could not be downloaded, with apt's reason.
 */
export function downloadDebs(
  packages: readonly string[],
  cacheDir: string,
): { missing: { pkg: string; reason: string }[] } {
  mkdirSync(cacheDir, { recursive: true });
  const todo = packages.filter((p) => !findDeb(cacheDir, p));
  const missing: { pkg: string; reason: string }[] = [];
  for (let i = 0; i < todo.length; i += 25) {
    const chunk = todo.slice(i, i + 25);
    const res = spawnSync('apt-get', ['download', '-q', ...chunk], { cwd: cacheDir, encoding: 'utf8' });
    if (res.status !== 0) {
      // Retry one by one so one bad name does not lose the chunk.
      for (const p of chunk) {
        if (findDeb(cacheDir, p)) continue;
        const r = spawnSync('apt-get', ['download', '-q', p], { cwd: cacheDir, encoding: 'utf8' });
        if (r.status !== 0)
          missing.push({
            pkg: p,
            reason: (r.stderr || r.error?.message || 'apt-get failed').trim().split('\n').pop() ?? '',
          });
      }
    }
  }
  return { missing };
}

/** Package version from the .deb's control file. */
export function debVersion(deb: string): string {
  const r = spawnSync('dpkg-deb', ['-f', deb, 'Version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/** Extracts the members matching the shell patterns (e.g. './usr/share/locale/ja/*') into destDir. */
export function extractDeb(
  deb: string,
  destDir: string,
  patterns: readonly string[],
): { ok: true } | { ok: false; error: string } {
  // A fresh directory each time: files left by an earlier run with other patterns must not enter the corpus.
  rmSync(destDir, { recursive: true, force: true });
  mkdirSync(destDir, { recursive: true });
  const res = spawnSync(
    'bash',
    [
      '-c',
      'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards --no-wildcards-match-slash --ignore-zeros "${@:3}" 2>/dev/null; exit 0',
      'sh',
      deb,
      destDir,
      ...patterns,
    ],
    { encoding: 'utf8' },
  );
  if (res.status !== 0) return { ok: false, error: `${deb}: extraction failed (${res.stderr.trim()})` };
  return { ok: true };
}

/** The licence names a package's copyright file declares (DEP-5 `License:` lines), summarised. */
export function summariseLicence(copyrightText: string): string {
  const names = new Set<string>();
  for (const m of copyrightText.matchAll(/^License:\s*(.+)$/gm)) names.add((m[1] as string).trim());
  if (names.size === 0) {
    for (const key of ['GPL', 'LGPL', 'MIT', 'BSD', 'Apache', 'MPL', 'GFDL', 'CC-BY-SA', 'PostgreSQL', 'Artistic']) {
      if (new RegExp(`\\b${key}`).test(copyrightText)) names.add(key);
    }
  }
  return names.size ? [...names].sort().join(' and ') : 'see copyright file';
}

/** Licence of a package from its extracted copyright file, if present. */
export function packageLicence(root: string, pkg: string): string {
  const p = join(root, 'usr/share/doc', pkg, 'copyright');
  return existsSync(p) ? summariseLicence(readFileSync(p, 'utf8')) : 'see copyright file';
}
