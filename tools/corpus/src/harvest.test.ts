import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { po } from 'gettext-parser';
import { makeMo } from './catalog.test.ts';
import { heldOutBy, writeCorpus } from './build.ts';
import { harvest } from './harvest.ts';
import { harvestCommand } from './cli.ts';
import { langProfile } from './langs.ts';
import { verifyCorpus } from './stats.ts';

const SENTENCES = Array.from(
  { length: 40 },
  (_, i) =>
    [`The operation number ${i} could not be completed today.`, `操作 ${i} は今日完了できませんでした。`] as const,
);

/** Builds a real .deb with dpkg-deb, holding a Japanese catalog, an optional man page and a copyright file. */
function buildDeb(root: string, pkg: string, files: Record<string, Buffer | string>): string {
  const dir = join(root, `${pkg}-build`);
  mkdirSync(join(dir, 'DEBIAN'), { recursive: true });
  writeFileSync(
    join(dir, 'DEBIAN/control'),
    `Package: ${pkg}\nVersion: 1.2-3\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n`,
  );
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  const deb = join(root, 'debs', `${pkg}_1.2-3_all.deb`);
  mkdirSync(join(root, 'debs'), { recursive: true });
  const r = spawnSync('dpkg-deb', ['--build', '--root-owner-group', dir, deb], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return deb;
}

const hasDpkg = spawnSync('dpkg-deb', ['--version']).status === 0;

test('harvests catalogs from real .deb files end to end, skips a corrupt catalog, and writes a verifiable corpus', async () => {
  if (!hasDpkg) {
    assert.ok(true, 'dpkg-deb absent');
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'harvest-'));
  const entries: { id: string; str: string[] }[] = SENTENCES.map(([en, ja]) => ({ id: en, str: [ja] }));
  entries.push(
    { id: 'File', str: ['ファイル(_F)'] },
    { id: 'Untranslated message stays English here', str: ['Untranslated message stays English here'] },
  );
  buildDeb(root, 'pkg-a', {
    'usr/share/locale/ja/LC_MESSAGES/a.mo': makeMo('UTF-8', entries),
    'usr/share/locale/ja/LC_MESSAGES/broken.mo': Buffer.from('garbage'),
    'usr/share/doc/pkg-a/copyright': 'Files: *\nLicense: GPL-2+\n',
  });
  buildDeb(root, 'pkg-b', {
    'usr/share/locale/ja/LC_MESSAGES/b.mo': makeMo(
      'EUC-JP',
      SENTENCES.slice(0, 5).map(([en, ja]) => ({ id: en, str: [ja] })),
    ),
    'usr/share/doc/pkg-b/copyright': 'License: MIT\n',
  });
  const result = harvest({
    tgt: langProfile('ja'),
    en: langProfile('en'),
    catalogPackages: ['pkg-b', 'pkg-a', 'pkg-missing'],
    docPackages: [],
    cacheDir: join(root, 'debs'),
    workDir: join(root, 'work'),
    heldOut: heldOutBy(30),
  });
  assert.ok(result.warnings.some((w) => /pkg-missing: not downloaded/.test(w)));
  assert.ok(
    result.warnings.some((w) => /broken\.mo: unreadable catalog/.test(w)),
    result.warnings.join('\n'),
  );
  // Duplicates across packages are kept once; untranslated and short labels never become pairs.
  assert.is(result.pairs.length, SENTENCES.length);
  assert.ok(result.pairs.every((p) => p.text.en !== p.text.ja));
  assert.equal(
    result.sources.map((s) => [s.package, s.version, s.licence]),
    [
      ['pkg-a', '1.2-3', 'GPL-2+'],
      ['pkg-b', '1.2-3', 'MIT'],
    ],
  );
  const held = heldOutBy(30);
  const ja = result.docs
    .filter((d) => d.lang === 'ja')
    .map((d) => d.text)
    .join('\n');
  for (const [en, jaText] of SENTENCES) {
    if (held(en)) assert.not.ok(ja.includes(jaText), `held-out pair leaked into documents: ${en}`);
  }
  const out = join(root, 'corpus');
  const m1 = await writeCorpus(out, ['en', 'ja'], result, { heldOutPercent: 30, evalPercent: 50 });
  const first = readFileSync(join(out, 'parallel-test.jsonl.gz'));
  await writeCorpus(out, ['en', 'ja'], result, { heldOutPercent: 30, evalPercent: 50 });
  assert.ok(first.equals(readFileSync(join(out, 'parallel-test.jsonl.gz'))), 'same input, same bytes');
  assert.is(m1.parallel.dev + m1.parallel.test + m1.parallel.train, SENTENCES.length);
  const test1 = gunzipSync(first)
    .toString('utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { text: { en: string } });
  assert.ok(test1.every((p) => held(p.text.en)));
  const v = verifyCorpus(out);
  assert.ok(v.ok);
  writeFileSync(join(out, 'train.ja.jsonl.gz'), Buffer.from('tampered'));
  const bad = verifyCorpus(out);
  assert.not.ok(bad.ok);
  if (!bad.ok) assert.match(bad.errors.join('\n'), /train\.ja\.jsonl\.gz: sha256 \w+ does not match/);
});

test('source catalogs (.po) are read too; files left in the work directory by an earlier run never enter the harvest', () => {
  if (!hasDpkg) {
    assert.ok(true, 'dpkg-deb absent');
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'stale-'));
  const poSource = po.compile({
    charset: 'utf-8',
    headers: { 'Content-Type': 'text/plain; charset=UTF-8' },
    translations: {
      '': Object.fromEntries(SENTENCES.slice(30, 32).map(([en, ja]) => [en, { msgid: en, msgstr: [ja] }])),
    },
  } as Parameters<typeof po.compile>[0]);
  buildDeb(root, 'pkg-c', {
    'usr/share/locale/ja/LC_MESSAGES/c.mo': makeMo(
      'UTF-8',
      SENTENCES.slice(0, 3).map(([en, ja]) => ({ id: en, str: [ja] })),
    ),
    'usr/share/locale/ja/LC_MESSAGES/d.po': poSource,
  });
  const stale = join(root, 'work/pkg/pkg-c/usr/share/locale/ja/LC_MESSAGES');
  mkdirSync(stale, { recursive: true });
  writeFileSync(
    join(stale, 'old.mo'),
    makeMo(
      'UTF-8',
      SENTENCES.slice(10, 20).map(([en, ja]) => ({ id: en, str: [ja] })),
    ),
  );
  const result = harvest({
    tgt: langProfile('ja'),
    en: langProfile('en'),
    catalogPackages: ['pkg-c'],
    docPackages: [],
    cacheDir: join(root, 'debs'),
    workDir: join(root, 'work'),
    heldOut: () => false,
  });
  assert.is(result.pairs.length, 5);
  assert.equal([...new Set(result.pairs.map((p) => p.id.split('/').slice(0, 2).join('/')))].sort(), [
    'pkg-c/c',
    'pkg-c/d',
  ]);
});

const hasGroff = spawnSync('groff', ['--version']).status === 0;

const EN_PARA =
  'The list command writes every entry of the directory to standard output, one entry on each line, sorted by name unless another order is asked for.';
const JA_PARA =
  'このコマンドはディレクトリの各項目を標準出力に一行ずつ書き出します。特に指定しない限り、名前の順に並べ替えます。';

test('the harvest command reads catalogs, man pages and help pages from cached .debs and writes the pair', async () => {
  if (!hasDpkg || !hasGroff) {
    assert.ok(true, 'dpkg-deb or groff absent');
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'cmd-'));
  buildDeb(root, 'pkg-a', {
    'usr/share/locale/ja/LC_MESSAGES/a.mo': makeMo(
      'UTF-8',
      SENTENCES.map(([en, ja]) => ({ id: en, str: [ja] })),
    ),
    'usr/share/doc/pkg-a/copyright': 'License: GPL-2+\n',
  });
  const roff = (title: string, para: string) =>
    `.TH ${title} 1\n.SH NAME\n${title} \\- list\n.SH DESCRIPTION\n${Array.from({ length: 4 }, () => para).join('\n.PP\n')}\n`;
  buildDeb(root, 'manpages', {
    'usr/share/man/man1/ls.1.gz': gzipSync(Buffer.from(roff('LS', EN_PARA))),
    'usr/share/man/man1/dir.1.gz': gzipSync(Buffer.from('.so man1/ls.1\n'.padEnd(80, '\n'))),
    'usr/share/doc/manpages/copyright': 'License: GPL-2+\n',
  });
  buildDeb(root, 'manpages-ja', {
    'usr/share/man/ja/man1/ls.1.gz': gzipSync(Buffer.from(roff('LS', JA_PARA))),
    'usr/share/doc/manpages-ja/copyright': 'License: GPL-2+\n',
  });
  buildDeb(root, 'gimp-help-ja', {
    'usr/share/gimp/2.0/help/ja/intro.html': `<html><head><title>x</title></head><body><p>${JA_PARA}</p><p>${JA_PARA}&amp;${JA_PARA}</p></body></html>`,
  });
  const out = join(root, 'out');
  const logs: string[] = [];
  const code = await harvestCommand(
    {
      lang: 'ja',
      packages: 'pkg-a',
      docPackages: 'manpages,manpages-ja,gimp-help-ja,gimp-help-absent',
      cache: join(root, 'debs'),
      work: join(root, 'work'),
      out,
      download: false,
      heldOutPercent: 40,
      evalPercent: 10,
    },
    (s) => logs.push(s),
  );
  assert.is(code, 0);
  assert.ok(
    logs.some((l) => /warning: gimp-help-absent: not downloaded/.test(l)),
    logs.join('\n'),
  );
  const read = (f: string) =>
    gunzipSync(readFileSync(join(out, f)))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; text: string; source: string });
  const en = [...read('train.en.jsonl.gz'), ...read('eval.en.jsonl.gz')];
  const ja = [...read('train.ja.jsonl.gz'), ...read('eval.ja.jsonl.gz')];
  const man = en.find((d) => d.source === 'usr/share/man/man1/ls.1.gz');
  assert.ok(man, en.map((d) => d.id).join(', '));
  assert.ok(man!.text.includes('The list command writes every entry'), 'roff rendered to plain text');
  assert.not.ok(
    en.some((d) => d.source.includes('dir.1')),
    '.so redirects are not documents',
  );
  assert.ok(ja.some((d) => d.source === 'usr/share/man/ja/man1/ls.1.gz' && d.text.includes('標準出力')));
  const help = ja.find((d) => d.source.endsWith('intro.html'));
  assert.ok(help && !help.text.includes('<p>') && help.text.includes('&'), 'HTML reduced to text, entities decoded');
  assert.ok(verifyCorpus(out).ok);
});

test('verifyCorpus reports a missing or broken manifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-'));
  const r = verifyCorpus(dir);
  assert.not.ok(r.ok);
  writeFileSync(join(dir, 'manifest.json'), '{bad');
  const r2 = verifyCorpus(dir);
  if (!r2.ok) assert.match(r2.errors[0] ?? '', /manifest\.json: is not valid JSON at line \d+, column \d+/);
  writeFileSync(join(dir, 'manifest.json'), '{"files": {"x.gz": {"sha256": "00"}}}');
  const r3 = verifyCorpus(dir);
  if (!r3.ok) assert.match(r3.errors[0] ?? '', /x\.gz: listed in the manifest but missing/);
  else assert.unreachable();
});

test.run();
