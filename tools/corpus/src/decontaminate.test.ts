import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findOccurring, matchForm } from './decontaminate.ts';

test('matchForm collapses whitespace and case', () => {
  assert.is(matchForm('  Open\n the   File '), 'open the file');
});

test('findOccurring finds needles across wrapped lines and case, and leaves absent ones out', () => {
  const docs = [
    'NAME\nls - list\n\nThe Quick brown\nfox jumps over the lazy dog today.',
    '新しい接続を作成できませんでした\n別の行',
  ];
  const found = findOccurring(
    [
      'the quick brown fox jumps',
      'A sentence that is nowhere at all',
      '新しい接続を作成できませんでした',
      '接続を閉じる操作を取り消しました',
      'dog',
      '',
    ],
    docs,
  );
  assert.equal([...found].sort(), ['dog', 'the quick brown fox jumps', '新しい接続を作成できませんでした'].sort());
});

test('findOccurring keeps needles that share a prefix apart', () => {
  const found = findOccurring(
    ['Cannot open the file now', 'Cannot open the folder now'],
    ['error: cannot open the folder now.'],
  );
  assert.equal([...found], ['cannot open the folder now']);
  assert.is(findOccurring(['x'], []).size, 0);
  assert.is(findOccurring([], ['text']).size, 0);
});

test.run();
