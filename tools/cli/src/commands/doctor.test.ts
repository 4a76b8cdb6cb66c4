import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirBytes, doctorChecks, formatBytes, formatChecks } from './doctor.ts';

test('this checkout passes: node, onnxruntime, both pairs with corpus and tokenizer', () => {
  const checks = doctorChecks({ root: process.cwd(), nodeVersion: process.version, env: {} });
  assert.equal(
    checks.filter((c) => c.status === 'fail'),
    [],
  );
  assert.ok(checks.some((c) => c.name === 'pair en-ja' && /corpus and tokenizer; smoke /.test(c.detail)));
  assert.ok(checks.some((c) => c.name === 'onnxruntime-node' && /providers cpu/.test(c.detail)));
});

test('a broken install fails with the fix: old node, no onnxruntime, a pair without tokenizer', () => {
  const root = mkdtempSync(join(tmpdir(), 'saetrace-doctor-'));
  try {
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'data/corpus/en-xx'), { recursive: true });
    const checks = doctorChecks({ root, nodeVersion: 'v18.19.0', env: { SAETRACE_NATIVE: '0' } });
    const byName = new Map(checks.map((c) => [c.name, c]));
    assert.is(byName.get('node')?.status, 'fail');
    assert.is(byName.get('onnxruntime-node')?.fix, 'npm ci');
    assert.is(byName.get('native SAE kernel')?.status, 'warn');
    assert.equal(
      [byName.get('pair en-xx')?.status, byName.get('pair en-xx')?.fix],
      ['fail', 'npx saetrace tokenizer train --pair en-xx'],
    );
    assert.match(
      formatChecks(checks),
      /FAIL {2}node +v18\.19\.0; package\.json engines needs >= 20\n +fix: install Node\.js 20 or newer/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('dirBytes sums files; formatBytes picks a unit', () => {
  const root = mkdtempSync(join(tmpdir(), 'saetrace-doctor-'));
  try {
    mkdirSync(join(root, 'a/b'), { recursive: true });
    writeFileSync(join(root, 'a/x'), 'abc');
    writeFileSync(join(root, 'a/b/y'), 'de');
    assert.is(dirBytes(root), 5);
    assert.is(dirBytes(join(root, 'none')), 0);
    assert.equal([formatBytes(5), formatBytes(3 * 2 ** 20), formatBytes(2 ** 31)], ['5 B', '3.0 MiB', '2.00 GiB']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
