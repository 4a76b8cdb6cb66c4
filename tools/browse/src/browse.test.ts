import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FeatureClass } from '@saetrace/metrics';
import { dataScript, readDataScript } from './build.ts';
import { lineageEdges, mixedDescent, type LineageNode } from './chains.ts';
import { parseCheckpointDir, scanCache } from './scan.ts';
import { serveSite } from './serve.ts';
import { browseCommand } from '../../cli/src/commands/browse.ts';
import { UsageError } from '../../cli/src/command.ts';

const d = 3;
const e = (i: number) => [0, 1, 2].map((c) => (c === i ? 1 : 0));
function node(step: number, layer: number, rows: number[][], classes: FeatureClass[], recipe = 'r'): LineageNode {
  return {
    id: `s${step}L${layer}${recipe}`,
    size: 'xs',
    recipe,
    step,
    layer,
    d,
    W_dec: Float32Array.from(rows.flat()),
    classes,
  };
}

test('checkpoint directories give zoo, size and step; other paths none', () => {
  assert.equal(parseCheckpointDir('.cache/zoo/en-ja/smoke/xs/step-000024'), { zoo: 'smoke', size: 'xs', step: 24 });
  assert.equal(parseCheckpointDir('/models/llm-jp-3-3.7b/iter_0000010'), null);
});

test('edges join consecutive checkpoints of one recipe and layer, and adjacent layers of one checkpoint', () => {
  const rows = [e(0), e(1), e(2)];
  const cls: FeatureClass[] = ['first', 'second', 'mixed'];
  const nodes = [
    node(1, 0, rows, cls),
    node(4, 0, rows, cls),
    node(2, 0, rows, cls),
    node(1, 1, rows, cls),
    node(1, 3, rows, cls),
    node(4, 0, rows, cls, 'other'),
  ];
  const edges = lineageEdges(nodes, 0.7);
  const names = edges.map((x) => `${x.axis}:${x.from.id}->${x.to.id}`).sort();
  // Steps 1 -> 2 -> 4 in order; layers 0 -> 1 only (1 -> 3 is not adjacent); the other recipe stands alone.
  assert.equal(names, ['checkpoint:s1L0r->s2L0r', 'checkpoint:s2L0r->s4L0r', 'layer:s1L0r->s1L1r']);
  assert.equal(edges[0]?.lineage.counts, { persist: 3, split: 0, merge: 0, appear: 0, vanish: 0 });
});

test('dead features take no part, and Mixed descent counts monolingual parents, merges of both languages and new features', () => {
  // Earlier: 0 English e0, 1 Japanese e0 + a little e1, 2 dead; later: 0 Mixed near e0 (a merge of both), 1 Mixed e2 (new), 2 Mixed e1.
  const a = node(1, 0, [e(0), [0.95, 0.3, 0], e(2)], ['first', 'second', 'dead']);
  const b = node(2, 0, [[1, 0.1, 0], e(2), e(1)], ['mixed', 'mixed', 'mixed']);
  const [edge] = lineageEdges([a, b], 0.9, ['checkpoint']);
  assert.ok(edge);
  assert.is(edge.lineage.parents.get(1), undefined, 'the dead earlier feature along e2 is no parent');
  assert.equal(
    edge.lineage.parents
      .get(0)
      ?.map((l) => l.from)
      .sort(),
    [0, 1],
  );
  assert.equal(mixedDescent([edge]), {
    mixed: 3,
    fromMonolingual: 1,
    fromBoth: 1,
    fromMixedOnly: 0,
    new: 2,
    monolingualAncestor: 1,
  });
  assert.throws(() => mixedDescent([]), /empty chain/);
});

test('a cache without SAEs is an error naming the run that makes them; a measurement whose store is gone is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'saetrace-browse-'));
  try {
    assert.throws(() => scanCache(dir, 'en-ja', 'smoke'), /no cached SAEs.*figure5 --profile smoke/);
    const sae = join(dir, 'sae', 'abc');
    mkdirSync(join(sae, 'metrics-0123456789abcdef'), { recursive: true });
    writeFileSync(
      join(sae, 'cfg.json'),
      JSON.stringify({
        config: { n: 2, k: 1, d: 2, lr: 1, batchSize: 1, warmupSteps: 0, seed: 1 },
        model: 'en-ja',
        checkpoint: '.cache/zoo/en-ja/smoke/xs/step-000001',
        layer: 0,
      }),
    );
    writeFileSync(join(sae, 'sae.safetensors'), '');
    writeFileSync(join(sae, 'measured-x.json'), '{}');
    assert.equal(scanCache(dir, 'en-ja', 'default'), [], 'another profile is not listed');
    assert.throws(
      () => scanCache(dir, 'en-ja', 'smoke'),
      /metrics-0123456789abcdef: no activation store .* starting 0123456789abcdef/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data files hand their value to the page plain or packed (gzip, base64); both read back; other text is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'browse-data-'));
  try {
    const value = { id: 'x', rows: Array.from({ length: 500 }, (_, i) => [i, i % 7, 0.123456]), s: 'ja "テキスト"\n' };
    const plain = dataScript('x', value);
    const packed = dataScript('x', value, true);
    assert.match(plain, /^window\.saetraceData\("x",\{/);
    assert.match(packed, /^window\.saetraceData\("x","[A-Za-z0-9+/=]+"\);\n$/);
    assert.ok(packed.length < plain.length / 3, `packed ${packed.length} vs plain ${plain.length} bytes`);
    const want = { ...value, rows: value.rows.map(([i, m]) => [i, m, 0.123]) }; // 3 significant digits
    for (const [name, text] of [
      ['plain.js', plain],
      ['packed.js', packed],
    ] as const) {
      writeFileSync(join(dir, name), text);
      assert.equal(readDataScript(join(dir, name)), want);
    }
    writeFileSync(join(dir, 'bad.js'), 'alert(1)\n');
    assert.throws(() => readDataScript(join(dir, 'bad.js')), /bad\.js: not a saetrace data file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve answers the site files on 127.0.0.1 and 404 outside it; a folder without index.html is an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'saetrace-serve-'));
  try {
    assert.throws(() => serveSite(dir, 0), /no index.html/);
    writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
    const server = await serveSite(dir, 0);
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const ok = await fetch(`http://127.0.0.1:${port}/`);
    assert.is(ok.status, 200);
    assert.is(ok.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.is(await ok.text(), '<p>hi</p>');
    assert.is((await fetch(`http://127.0.0.1:${port}/%2e%2e/%2e%2e/etc/passwd`)).status, 404);
    assert.is((await fetch(`http://127.0.0.1:${port}/missing.js`)).status, 404);
    await new Promise((r) => server.close(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('browse rejects a bad subcommand, profile, threshold and port with usage errors naming them', async () => {
  const err = async (argv: string[], re: RegExp) => {
    try {
      await browseCommand.run(argv);
      assert.unreachable(`${argv.join(' ')} was accepted`);
    } catch (e) {
      assert.instance(e, UsageError);
      assert.match((e as Error).message, re);
    }
  };
  await err(['show'], /unknown subcommand 'show'/);
  await err([], /name a subcommand/);
  await err(['build', '--profile', 'paper'], /--profile must be smoke or default, got 'paper'/);
  await err(['lineage', '--threshold', '2'], /--threshold must be in \(0, 1\], got '2'/);
  await err(['serve', '--port', 'x'], /--port must be an integer/);
  await err(['build', '--bogus'], /bogus/);
});

test.run();
