import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { writeCorpus } from './build.ts';
import { CorpusUsageError, harvestCommand, statsCommand } from './cli.ts';
import { downloadDebs, findDeb, summariseLicence } from './debian.ts';
import type { HarvestResult } from './harvest.ts';

/** A stand-in `apt-get` on PATH: `download` makes an empty .deb per name, and fails for the name 'nosuchpkg'. */
function withFakeApt<T>(fn: () => T): T {
  const bin = mkdtempSync(join(tmpdir(), 'fakeapt-'));
  writeFileSync(
    join(bin, 'apt-get'),
    [
      '#!/bin/sh',
      'shift; shift', // 'download' '-q'
      'for p in "$@"; do if [ "$p" = nosuchpkg ]; then echo "E: Unable to locate package $p" >&2; exit 100; fi; done',
      'for p in "$@"; do : > "${p}_1.0_all.deb"; done',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'apt-get'), 0o755);
  const old = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${old ?? ''}`;
  try {
    return fn();
  } finally {
    process.env.PATH = old;
  }
}

test('downloadDebs fetches what is missing, retries one by one after a failed batch, and names what failed', () => {
  const cache = mkdtempSync(join(tmpdir(), 'debs-'));
  writeFileSync(join(cache, 'cached_2.0_all.deb'), '');
  const { missing } = withFakeApt(() => downloadDebs(['cached', 'alpha', 'nosuchpkg', 'beta'], cache));
  assert.equal(
    missing.map((m) => m.pkg),
    ['nosuchpkg'],
  );
  assert.match(missing[0]?.reason ?? '', /Unable to locate package nosuchpkg/);
  assert.ok(findDeb(cache, 'alpha') && findDeb(cache, 'beta'));
  assert.ok(findDeb(cache, 'cached')?.endsWith('cached_2.0_all.deb'));
  assert.is(findDeb(join(cache, 'absent'), 'alpha'), null);
});

test('harvest without --no-download downloads first and warns about failures; package lists from a file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hcmd-'));
  writeFileSync(join(root, 'list.txt'), 'nosuchpkg\n');
  const logs: string[] = [];
  await withFakeApt(() =>
    harvestCommand(
      {
        lang: 'ko',
        packages: `@${join(root, 'list.txt')}`,
        docPackages: 'nosuchpkg',
        cache: join(root, 'debs'),
        work: join(root, 'work'),
        out: join(root, 'out'),
        download: true,
        heldOutPercent: 22,
        evalPercent: 8,
      },
      (s) => logs.push(s),
    ),
  );
  assert.ok(
    logs.some((l) => /warning: nosuchpkg: download failed/.test(l)),
    logs.join('\n'),
  );
  assert.ok(existsSync(join(root, 'out/manifest.json')));
  try {
    const o = { cache: 'c', work: 'w', heldOutPercent: 22, evalPercent: 8, download: true };
    await harvestCommand({ ...o, lang: 'ja', packages: '@/nonexistent/list' }, () => {});
    assert.unreachable();
  } catch (err) {
    assert.instance(err, CorpusUsageError);
    assert.match((err as Error).message, /list file \/nonexistent\/list not found/);
  }
});

test('stats prints a line per verified pair and names a tampered file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'stats-'));
  const result: HarvestResult = { docs: [], pairs: [], sources: [], warnings: [] };
  await writeCorpus(join(root, 'en-ja'), ['en', 'ja'], result, { heldOutPercent: 20, evalPercent: 10 });
  await writeCorpus(join(root, 'en-ko'), ['en', 'ko'], result, { heldOutPercent: 20, evalPercent: 10 });
  mkdirSync(join(root, 'en-ko'), { recursive: true });
  writeFileSync(join(root, 'en-ko', 'train.ko.jsonl.gz'), 'tampered');
  const out: string[] = [];
  const err: string[] = [];
  const code = statsCommand(
    { root, json: false },
    (s) => out.push(s),
    (s) => err.push(s),
  );
  assert.is(code, 1);
  assert.match(out[0] ?? '', /^en-ja: .*\(sha256 verified\)$/);
  // Then one composition line per file and language: train/eval one language each, parallel splits both.
  assert.ok(
    out.slice(1).length > 0 && out.slice(1).every((l) => /^  \S+\.jsonl\.gz (en|ja): own script /.test(l)),
    out.join('\n'),
  );
  assert.ok(out.some((l) => l.startsWith('  parallel-train.jsonl.gz ja: ')));
  assert.ok(!out.some((l) => l.includes('en-ko')));
  assert.match(err.join('\n'), /en-ko\/train\.ko\.jsonl\.gz: sha256 [0-9a-f]+ does not match/);
  const json: string[] = [];
  assert.is(
    statsCommand(
      { root, pair: 'en-ja', json: true },
      (s) => json.push(s),
      () => {},
    ),
    0,
  );
  const doc = JSON.parse(json[0] ?? 'null') as {
    verified: boolean;
    files: Record<string, { composition: Record<string, { chars: number }> }>;
  };
  assert.equal(doc.verified, true);
  assert.equal(Object.keys(doc.files['parallel-dev.jsonl.gz']?.composition ?? {}), ['en', 'ja']);
  assert.equal(Object.keys(doc.files['train.ja.jsonl.gz']?.composition ?? {}), ['ja']);
});

test('licence summaries come from DEP-5 License lines, else from names in the text', () => {
  assert.is(
    summariseLicence('Files: *\nLicense: GPL-2+\n\nFiles: x\nLicense: MIT\nLicense: GPL-2+\n'),
    'GPL-2+ and MIT',
  );
  assert.is(summariseLicence('This program is under the GPL version 2 or the MPL.'), 'GPL and MPL');
  assert.is(summariseLicence('All rights granted.'), 'see copyright file');
});

test.run();
