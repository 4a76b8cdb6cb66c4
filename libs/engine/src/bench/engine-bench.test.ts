import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineGemm } from './engine-bench.ts';
import { numpyGemmGflops } from './numpy-reference.ts';
import { timeIt } from './timing.ts';

test('timeIt reports a median no smaller than its minimum and rejects zero iterations', async () => {
  let calls = 0;
  const t = await timeIt(
    () => {
      calls++;
    },
    { warmup: 1, iters: 5 },
  );
  assert.is(calls, 6);
  assert.ok(t.medianMs >= t.minMs);
  await timeIt(() => {}, { iters: 0 }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /iters must be >= 1/),
  );
});

test('engine GEMM gives a positive GFLOP/s on a small product', async () => {
  const r = await engineGemm(64, 32, 16, 1, 2);
  assert.ok(r.gflops > 0 && Number.isFinite(r.gflops));
});

test('numpy reference either measures or says why it is missing', () => {
  const r = numpyGemmGflops([[32, 32, 32]], 1, 1);
  if ('gflops' in r) assert.ok((r.gflops[0] ?? 0) > 0);
  else assert.match(r.missing, /python3|numpy/);
});

test('a missing python3 is recorded, not thrown', () => {
  const path = process.env.PATH;
  process.env.PATH = mkdtempSync(join(tmpdir(), 'nopy-'));
  try {
    const r = numpyGemmGflops([[8, 8, 8]], 1, 1);
    assert.ok('missing' in r);
  } finally {
    process.env.PATH = path;
  }
});

test.run();
