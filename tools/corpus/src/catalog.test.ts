import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mo, po } from 'gettext-parser';
import { parseMo, parsePo, readCatalog } from './catalog.ts';

/** A compiled catalog as a translation team would ship it. */
export function makeMo(
  charset: string,
  entries: { id: string; str: string[]; ctx?: string; plural?: string; fuzzy?: boolean }[],
): Buffer {
  const translations: Record<
    string,
    Record<
      string,
      { msgid: string; msgctxt?: string; msgid_plural?: string; msgstr: string[]; comments?: { flag: string } }
    >
  > = {
    '': { '': { msgid: '', msgstr: [`Content-Type: text/plain; charset=${charset}\n`] } },
  };
  for (const e of entries) {
    const ctx = e.ctx ?? '';
    translations[ctx] ??= {};
    translations[ctx][e.id] = {
      msgid: e.id,
      msgstr: e.str,
      ...(e.ctx ? { msgctxt: e.ctx } : {}),
      ...(e.plural ? { msgid_plural: e.plural } : {}),
      ...(e.fuzzy ? { comments: { flag: 'fuzzy' } } : {}),
    };
  }
  return mo.compile({
    charset,
    headers: { 'Content-Type': `text/plain; charset=${charset}` },
    translations,
  } as Parameters<typeof mo.compile>[0]);
}

test('UTF-8 catalog: first plural form kept, msgctxt dropped from text but kept as context', () => {
  const buf = makeMo('UTF-8', [
    { id: 'Open the file', str: ['ファイルを開く'] },
    { id: '%d file', plural: '%d files', str: ['%d 個のファイル', 'unused'] },
    { id: 'Open', ctx: 'menu', str: ['開く'] },
  ]);
  const r = parseMo(buf, 'x.mo');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.charset, 'utf-8');
  const byId = new Map(r.entries.map((e) => [e.msgid, e]));
  assert.is(byId.get('Open the file')?.msgstr, 'ファイルを開く');
  assert.is(byId.get('%d file')?.msgstr, '%d 個のファイル');
  assert.is(byId.get('Open')?.context, 'menu');
  assert.is(byId.get('Open')?.msgstr, '開く');
  assert.not.ok(byId.has(''));
});

test('EUC-JP catalog is decoded through its header charset', () => {
  const r = parseMo(makeMo('EUC-JP', [{ id: 'Save the document now', str: ['文書を今すぐ保存します'] }]), 'euc.mo');
  assert.ok(r.ok);
  if (r.ok) {
    assert.is(r.charset, 'euc-jp');
    assert.is(r.entries[0]?.msgstr, '文書を今すぐ保存します');
  }
});

test('truncated and garbage files are errors naming the file, not exceptions', () => {
  const good = makeMo('UTF-8', [{ id: 'Hello there my friend', str: ['こんにちは'] }]);
  const r = parseMo(good.subarray(0, 20), 'cut.mo');
  assert.not.ok(r.ok);
  if (!r.ok) assert.match(r.error, /^cut\.mo: unreadable catalog/);
  const g = parseMo(Buffer.from('not a catalog at all'), 'junk.mo');
  assert.not.ok(g.ok);
  const dir = mkdtempSync(join(tmpdir(), 'mo-'));
  const missing = readCatalog(join(dir, 'none.mo'));
  assert.not.ok(missing.ok);
  if (!missing.ok) assert.match(missing.error, /none\.mo: cannot read \(ENOENT\)/);
  writeFileSync(join(dir, 'ok.mo'), good);
  assert.ok(readCatalog(join(dir, 'ok.mo')).ok);
});

test('fuzzy entries are skipped; a .po catalog is read through its header charset', () => {
  const translations = {
    '': {
      '': { msgid: '', msgstr: ['Content-Type: text/plain; charset=EUC-JP\n'] },
      'Close the window now': { msgid: 'Close the window now', msgstr: ['今すぐウィンドウを閉じる'] },
      'Guessed translation here': {
        msgid: 'Guessed translation here',
        msgstr: ['推測の訳'],
        comments: { flag: 'fuzzy, c-format' },
      },
    },
  };
  const buf = po.compile({
    charset: 'EUC-JP',
    headers: { 'Content-Type': 'text/plain; charset=EUC-JP' },
    translations,
  } as Parameters<typeof po.compile>[0]);
  assert.not.ok(buf.includes(Buffer.from('今すぐ', 'utf8')), 'the .po bytes are EUC-JP, not UTF-8');
  const r = parsePo(buf, 'x.po');
  assert.ok(r.ok);
  if (r.ok) {
    assert.is(r.charset, 'euc-jp');
    assert.equal(
      r.entries.map((e) => [e.msgid, e.msgstr]),
      [['Close the window now', '今すぐウィンドウを閉じる']],
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'po-'));
  writeFileSync(join(dir, 'x.po'), buf);
  const f = readCatalog(join(dir, 'x.po'));
  assert.ok(f.ok && f.entries.length === 1);
  // A .mo built with a fuzzy entry kept (msgfmt --use-fuzzy) cannot flag it: it is read as translated.
  const m = parseMo(makeMo('UTF-8', [{ id: 'Guessed translation here', str: ['推測の訳'], fuzzy: true }]), 'f.mo');
  assert.ok(m.ok && m.entries.length === 1);
  const bad = parsePo(Buffer.from('msgid "a" junk\nmsgstr "b"\n'), 'bad.po');
  assert.not.ok(bad.ok);
  if (!bad.ok) assert.match(bad.error, /^bad\.po: unreadable catalog/);
});

test.run();
