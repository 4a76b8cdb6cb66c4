import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DELETE_CACHE,
  fields,
  isArray,
  isNumber,
  jsonErrorOffset,
  parseJsonRecord,
  readJsonRecord,
  readJsonRecordAsync,
  RecordError,
} from './records.ts';

const dir = mkdtempSync(join(tmpdir(), 'records-'));

test('a record that is not JSON is an error naming the file, line and column, and what to do', async () => {
  const p = join(dir, 'family.json');
  writeFileSync(p, '{\n  "members": [1,\n  2,,\n}');
  const fix = 'delete it and run again';
  const err = (() => {
    try {
      readJsonRecord(p, fix);
      return null;
    } catch (e) {
      return e as RecordError;
    }
  })();
  assert.instance(err, RecordError);
  assert.match(
    err!.message,
    new RegExp(
      `^${p.replace(/[/.]/g, '\\$&')}: is not valid JSON at line 3, column 5 \\(.*\\); delete it and run again$`,
    ),
  );
  assert.is(err!.file, p);
  await readJsonRecordAsync(p, fix).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /line 3, column 5/),
  );
});

test('a missing record and a record of the wrong shape name the file and the fix', () => {
  assert.throws(
    () => readJsonRecord(join(dir, 'none.json'), DELETE_CACHE('x')),
    /none\.json: cannot be read \(ENOENT\); delete x and run again to rebuild it/,
  );
  const p = join(dir, 'golden.json');
  writeFileSync(p, '{"version": "2", "metrics": {}}');
  assert.throws(
    () => readJsonRecord(p, 'restore it from git', fields({ version: isNumber })),
    /golden\.json: has the wrong shape: field 'version' is missing or of the wrong type; restore it from git/,
  );
  assert.throws(
    () => parseJsonRecord('[1]', 'a.json', 'fix it', fields({ members: isArray })),
    /a\.json: has the wrong shape: not a JSON object; fix it/,
  );
  assert.equal(readJsonRecord<{ metrics: object }>(p, 'x').metrics, {});
});

test('the offset of the first bad character, where V8 gives none: truncation, stray bytes, bad escapes', () => {
  assert.is(jsonErrorOffset('{"a": [1, 2]'), 12);
  assert.is(jsonErrorOffset('{"a": 1} x'), 9);
  assert.is(jsonErrorOffset('{"a": "b\\q"}'), 9);
  assert.is(jsonErrorOffset('[1, -, 2]'), 4);
  assert.is(jsonErrorOffset(' {"a": [true, null, -1.5e3, "\\u00e9"]} '), -1);
  assert.throws(
    () => parseJsonRecord('{"a": [1, 2]', 'cut.json', 'fix'),
    /cut\.json: is not valid JSON at line 1, column 13/,
  );
});

test.run();
