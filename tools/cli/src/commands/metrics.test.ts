import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../testing.ts';
import { metricsCommand } from './metrics.ts';

const capture = (argv: string[]) => runCaptured(argv, [metricsCommand]);

test('classify-examples prints {"en","ja","mixed"} counts with the authors\' detector', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-cli-'));
  writeFileSync(
    join(dir, '0.json'),
    JSON.stringify({
      token_act: [
        [
          ['the', 1],
          [' cat', 3],
        ],
        [['a', 5]],
      ],
    }),
  );
  writeFileSync(join(dir, '1.json'), JSON.stringify({ token_act: [[['猫', 2]]] }));
  writeFileSync(join(dir, '2.json'), JSON.stringify({ token_act: [[['dog', 2]], [['犬', 4]]] }));
  const r = await capture([
    'metrics',
    'classify-examples',
    dir,
    '--rule',
    'peak-token',
    '--detector',
    'llmjp-regex',
    '--json',
  ]);
  assert.is(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out), { en: 1, ja: 1, mixed: 1 });
  assert.match((await capture(['metrics', 'classify-examples', dir])).out, /en 1, ja 1, mixed 1/);
  assert.match(
    (await capture(['metrics', 'classify-examples', dir, '--detector', 'x'])).err,
    /--detector must be script or llmjp-regex/,
  );
  assert.match(
    (await capture(['metrics', 'classify-examples', dir, '--rule', 'all'])).err,
    /--rule must be peak-token/,
  );
  assert.match((await capture(['metrics', 'classify-examples', dir, '--cut', '2'])).err, /--cut must be in/);
  assert.match((await capture(['metrics', 'classify-examples', '/nonexistent'])).err, /no such directory/);
  assert.match((await capture(['metrics', 'classify-examples'])).err, /name the directory/);
  assert.match((await capture(['metrics', 'nope'])).err, /unknown subcommand 'nope'/);
  assert.match((await capture(['metrics', 'classify-examples', dir, '--bogus'])).err, /Unknown option/);
});

test.run();
