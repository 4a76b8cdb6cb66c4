import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../testing.ts';
import { saeCommand } from './sae.ts';

const FIX = 'libs/sae/fixtures/interop';

const captured = (argv: string[]) => runCaptured(argv, [saeCommand]);

test('sae export writes a format, sae import reads it back with the site and model', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'saetrace-sae-cli-'));
  try {
    const e = await captured(['sae', 'export', `${FIX}/saetrace`, '--format', 'sparsify', '--out', join(tmp, 'sp')]);
    assert.is(e.code, 0, e.err);
    assert.match(e.out, /sparsify 1\.3\.0 SparseCoder\.load_from_disk/);
    assert.is(JSON.parse(await readFile(join(tmp, 'sp', 'cfg.json'), 'utf8')).d_in, 16);
    const i = await captured(['sae', 'import', join(tmp, 'sp'), '--out', join(tmp, 'back'), '--model', 'renamed']);
    assert.is(i.code, 0, i.err);
    assert.match(i.out, /\(sparsify\) -> .*: d 16, n 64, k 4, layer 3, model renamed/);
    assert.is(JSON.parse(await readFile(join(tmp, 'back', 'cfg.json'), 'utf8')).imported.format, 'sparsify');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('sae usage errors exit 2 naming the argument; a bad source exits 1 naming the file', async () => {
  assert.match(
    (await captured(['sae', 'export', `${FIX}/saetrace`, '--format', 'hdf5', '--out', '/tmp/x'])).err,
    /--format must be one of saelens, sparsify, llmjp, got 'hdf5'/,
  );
  assert.is((await captured(['sae', 'export', `${FIX}/saetrace`, '--format', 'llmjp'])).code, 2);
  assert.match(
    (await captured(['sae', 'import', `${FIX}/saelens`, '--out', '/tmp/x', '--layer=1.5'])).err,
    /--layer must be a non-negative integer/,
  );
  assert.match((await captured(['sae', 'eval', `${FIX}/saetrace`])).err, /--store DIR is required/);
  assert.match((await captured(['sae', 'frobnicate'])).err, /unknown subcommand 'frobnicate'/);
  const bad = await captured(['sae', 'import', FIX, '--out', '/tmp/never-written']);
  assert.is(bad.code, 1);
  assert.match(bad.err, /no SAE found/);
});

test.run();
