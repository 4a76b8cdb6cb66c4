import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run.ts';
import { spreadCommand } from './spread.ts';

const refused = (argv: string[], re: RegExp) =>
  spreadCommand.run(argv).then(
    () => assert.unreachable(`accepted ${argv.join(' ')}`),
    (e: Error) => assert.match(e.message, re),
  );

test('spread: bad arguments are usage errors naming what is wrong, before any run', async () => {
  await refused(['en-ja/figure3', '--variant', 'base'], /--profile must be one of smoke, default, paper/);
  await refused(
    ['--profile', 'smoke', '--variant', 'base'],
    /expected 1 positional argument \(one spec, <pair>\/<id>\), got 0/,
  );
  await refused(['en-ja/figure3', '--profile', 'smoke'], /give at least one --variant or --import, or --summarise/);
  await refused(
    ['en-ja/figure3', '--profile', 'smoke', '--variant', 'seed=x'],
    /--variant 'seed=x': expected base, seed=N/,
  );
  await refused(['en-ja/nope', '--profile', 'smoke', '--variant', 'base'], /unknown spec 'en-ja\/nope'/);
  // An import needs the provenance beside it: the CPU and threads it was made with.
  const dir = mkdtempSync(join(tmpdir(), 'spread-cli-'));
  const results = join(dir, 'figure3.smoke.results.json');
  writeFileSync(results, '{}');
  await refused(
    ['en-ja/figure3', '--profile', 'smoke', '--import', results],
    /no .*figure3\.smoke\.provenance\.json beside it/,
  );
  // Results of another spec version are refused unless --carry says why they still hold.
  writeFileSync(results, JSON.stringify({ version: 1, metrics: {}, seed: 1, resolved: { family: {} } }));
  writeFileSync(results.replace('.results.', '.provenance.'), JSON.stringify({ machine: { cpus: 'X' }, threads: 2 }));
  await refused(
    ['en-ja/figure3', '--profile', 'smoke', '--import', results],
    /results of spec version 1, but experiments\/figure3\.yaml is at version \d+; .*--carry/,
  );
  await refused(['en-ja/figure3', '--profile', 'smoke', '--variant', 'base', '--carry', 'x'], /--carry needs --import/);
  rmSync(dir, { recursive: true });
});

test('run --seeds: bounded, and not with --update-golden (a golden records one run)', async () => {
  for (const [argv, re] of [
    [['en-ja/figure3', '--profile', 'smoke', '--seeds', '0'], /--seeds must be an integer in \[1, 32\], got '0'/],
    [['en-ja/figure3', '--profile', 'smoke', '--seeds', '2.5'], /--seeds must be an integer/],
    [
      ['en-ja/figure3', '--profile', 'smoke', '--seeds', '3', '--update-golden'],
      /--seeds and --update-golden exclude each other/,
    ],
  ] as const)
    await runCommand.run([...argv]).then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, re),
    );
});

test.run();
