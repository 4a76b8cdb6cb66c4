import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainFamily } from './zoo-report.ts';

test("reports/zoo.md is the family en-ja's default profile uses: its pair file's families, else default", () => {
  const dir = mkdtempSync(join(tmpdir(), 'zoo-main-'));
  const pair = 'pair: en-ja\nlanguages: [en, ja]\n';
  writeFileSync(join(dir, 'en-ja.yaml'), pair);
  assert.ok(isMainFamily({ pair: 'en-ja', profile: 'default' }, dir));
  assert.not.ok(isMainFamily({ pair: 'en-ja', profile: 'default-2' }, dir));
  writeFileSync(join(dir, 'en-ja.yaml'), `${pair}families: { default: default-2 }\n`);
  assert.ok(isMainFamily({ pair: 'en-ja', profile: 'default-2' }, dir));
  assert.not.ok(isMainFamily({ pair: 'en-ja', profile: 'default' }, dir));
  assert.not.ok(isMainFamily({ pair: 'en-ko', profile: 'default-2' }, dir));
  rmSync(dir, { recursive: true });
});

test.run();
