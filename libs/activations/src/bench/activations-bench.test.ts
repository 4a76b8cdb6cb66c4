import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationsBench } from './activations-bench.ts';

test('bench measures extraction and reading and writes its report', async () => {
  const reportDir = mkdtempSync(join(tmpdir(), 'bench-act-report-'));
  const r = await activationsBench({ quick: true, reportDir, d: 16 });
  assert.is(r.json.tokens, 64 * 2 * 64);
  assert.is(r.json.rows.length, 4);
  for (const row of r.json.rows) assert.ok(row.tokensPerSecond > 0 && Number.isFinite(row.tokensPerSecond));
  assert.match(readFileSync(r.report, 'utf8'), /\| extract \(2 layers\) \| float16 \| \d+ \|/);
});

test.run();
