import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TensorData } from '@saetrace/engine';
import { FakeTapModel, fixtureDocs, writeFixtureDocs } from '@saetrace/activations';
import { UsageError } from '../command.ts';
import { activationsCommand, makeActivationsCommand } from './activations.ts';

const root = mkdtempSync(join(tmpdir(), 'cli-acts-'));
const corpus = join(root, 'corpus');
writeFixtureDocs(corpus, 'train', 'en', fixtureDocs('en', 8, [70], 'abcdef'));
writeFixtureDocs(corpus, 'train', 'ja', fixtureDocs('ja', 8, [70], 'あいうえ'));
const cache = join(root, 'cache');

const lines: string[] = [];
let firstStore = '';
const written: { path: string; tensors: Record<string, TensorData> }[] = [];
let model = new FakeTapModel();
const cmd = makeActivationsCommand({
  loadModel: async (dir) => {
    if (dir !== 'fake-model') throw new Error(`no model at ${dir}`);
    return model;
  },
  safetensorsWriter: async () => async (path, tensors) => {
    written.push({ path, tensors });
  },
  log: (l) => lines.push(l),
});
const extractArgs = [
  'extract',
  '--model',
  'fake-model',
  '--corpus',
  corpus,
  '--langs',
  'en,ja',
  '--layers',
  '0,2',
  '--cache',
  cache,
  '--tokens-per-lang',
  '320',
  '--seed',
  '4',
  '--docs-per-shard',
  '3',
  '--batch-docs',
  '2',
];

async function usage(argv: string[], re: RegExp): Promise<void> {
  await cmd.run(argv).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, UsageError);
      assert.match(e.message, re);
    },
  );
}

test('extract writes one store per layer, then a repeat is a cache hit', async () => {
  assert.is(await cmd.run(extractArgs), 0);
  assert.is(readdirSync(cache).length, 2);
  assert.match(lines.join('\n'), /layer 0: extracted .*L0-/);
  firstStore = /layer 2: extracted (\S+)/.exec(lines.join('\n'))![1]!;
  assert.match(lines.join('\n'), /5 documents per language, 7 forward calls, 0 shards resumed, \d+ tokens\/s/);
  model = new FakeTapModel();
  lines.length = 0;
  assert.is(await cmd.run(extractArgs), 0);
  assert.is(model.calls, 0);
  assert.match(lines.join('\n'), /layer 2: cached/);
  assert.match(lines.join('\n'), /0 forward calls/);
  lines.length = 0;
  assert.is(await cmd.run([...extractArgs.slice(0, -6), '--tokens-per-lang', '6400']), 0);
  assert.match(lines[0]!, /warning: only 512 tokens per language available \(asked 6400\)/);
});

test('verify and export a store', async () => {
  const store = firstStore;
  lines.length = 0;
  assert.is(await cmd.run(['verify', '--store', store]), 0);
  assert.match(lines[0]!, /4 shards, 640 rows x 8, layer 2: all checksums match/);
  assert.is(
    await cmd.run([
      'export',
      '--format',
      'safetensors',
      '--store',
      store,
      '--out',
      join(root, 'a.safetensors'),
      '--dtype',
      'fp16',
    ]),
    0,
  );
  assert.is(written.at(-1)!.tensors['activations']!.dtype, 'float16');
  assert.equal(written.at(-1)!.tensors['activations']!.shape, [640, 8]);
  assert.match(lines.at(-1)!, /wrote .*a\.safetensors: 640 rows x 8 \(float16\), layer 2/);
});

test('bad arguments are usage errors; real failures are errors', async () => {
  await usage([], /name a subcommand/);
  await usage(['nope'], /unknown subcommand 'nope'/);
  await usage(['export', '--format', 'npy', '--store', 'x', '--out', 'y'], /--format must be safetensors/);
  await usage(['export', '--store', 'x'], /--out is required/);
  await usage(['export', '--store', 'x', '--out', 'y', '--dtype', 'int8'], /--dtype must be float32 or float16/);
  await usage(['verify', '--bogus'], /bogus/);
  await usage(['extract', '--langs', 'en,ja', '--layers', 'a'], /--layers must be comma-separated/);
  await usage(['extract', '--langs', 'EN', '--layers', '1'], /--langs must be comma-separated language codes/);
  await usage(
    ['extract', '--langs', 'en', '--layers', '1', '--corpus', 'c', '--cache', 'x', '--batch-docs', '0'],
    /--batch-docs must be a positive integer/,
  );
  await usage(
    ['extract', '--langs', 'en', '--layers', '1', '--corpus', 'c', '--cache', 'x', '--docs-per-shard', '0'],
    /--docs-per-shard must be a positive integer/,
  );
  await usage(['extract', '--langs', 'en', '--layers', '1', '--corpus', 'c', '--cache', 'x'], /--model is required/);
  await cmd.run(['verify', '--store', join(root, 'none')]).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /manifest\.json missing/),
  );
});

test('the registered command loads models from @saetrace/lm', async () => {
  assert.is(activationsCommand.name, 'activations');
  const args = [
    'extract',
    '--model',
    join(root, 'm'),
    '--corpus',
    corpus,
    '--langs',
    'en,ja',
    '--layers',
    '0',
    '--cache',
    join(root, 'c2'),
  ];
  await activationsCommand.run(args).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /@saetrace\/lm|loadTapModel|no such file|ENOENT|config/i),
  );
  assert.not.ok(existsSync(join(root, 'c2')));
});

test.run();
