import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs } from 'node:util';
import {
  choiceOption,
  defineCommand,
  defineGroup,
  intOption,
  numberOption,
  positiveIntOption,
  requiredOption,
  UsageError,
} from './command.ts';
import { main } from './main.ts';
import { runCaptured } from './testing.ts';

const seen: unknown[] = [];
const cmd = defineCommand({
  name: 'demo',
  summary: 'a demo',
  usage: 'saetrace demo <x> [--n N] [--flag]',
  options: { n: { type: 'string' }, flag: { type: 'boolean', default: false } },
  positionals: { min: 1, max: 2, what: 'one or two names' },
  async run({ values, positionals }) {
    seen.push({ n: intOption('n', values.n, 1, 9, 3), flag: values.flag, positionals });
    return 0;
  },
});

function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const [log, err] = [console.log, console.error];
  console.log = () => {};
  console.error = () => {};
  return fn().finally(() => {
    console.log = log;
    console.error = err;
  });
}

test('defineCommand parses declared options and counts positionals', async () => {
  seen.length = 0;
  assert.is(await cmd.run(['a', '--n', '5', '--flag']), 0);
  assert.is(await cmd.run(['a', 'b']), 0);
  assert.equal(seen, [
    { n: 5, flag: true, positionals: ['a'] },
    { n: 3, flag: false, positionals: ['a', 'b'] },
  ]);
});

test('defineCommand: an unknown flag, too few or too many positionals are usage errors (rejections, not throws)', async () => {
  for (const [argv, re] of [
    [['a', '--bogus'], /Unknown option '--bogus'/],
    [[], /expected 1 to 2 positional arguments \(one or two names\), got 0/],
    [['a', 'b', 'c'], /got 3: a b c/],
    [['a', '--n', '0'], /--n must be an integer in \[1, 9\], got '0'/],
    [['a', '--n', '2.5'], /--n must be an integer/],
  ] as const) {
    const p = cmd.run([...argv]);
    assert.instance(p, Promise);
    try {
      await p;
      assert.unreachable(`accepted ${argv.join(' ')}`);
    } catch (e) {
      assert.instance(e, UsageError);
      assert.match((e as Error).message, re);
    }
  }
});

test('main exits 2 on usage errors of defined commands and on raw parseArgs errors alike', async () => {
  const raw = {
    name: 'raw',
    summary: 'parses by hand',
    usage: 'saetrace raw',
    async run(argv: readonly string[]) {
      parseArgs({ args: [...argv], options: {} });
      return 0;
    },
  };
  assert.is(await quiet(() => main(['demo', '--bogus'], [cmd])), 2);
  assert.is(await quiet(() => main(['raw', '--bogus'], [raw])), 2);
  assert.is(await quiet(() => main(['demo', 'x'], [cmd])), 0);
});

test('choiceOption names the choices; intOption keeps its default when absent', () => {
  assert.is(choiceOption('profile', 'smoke', ['smoke', 'default']), 'smoke');
  assert.throws(
    () => choiceOption('profile', 'big', ['smoke', 'default']),
    /--profile must be one of smoke, default, got 'big'/,
  );
  assert.throws(() => choiceOption('profile', undefined, ['smoke']), /got ''/);
  assert.is(intOption('threads', undefined, 1, 4, 2), 2);
  assert.throws(() => intOption('threads', '', 1, 4, 2), /--threads must be an integer in \[1, 4\], got ''/);
});

test('intOption without an upper bound, positiveIntOption, numberOption, requiredOption name the flag', () => {
  assert.is(intOption('vocab', '300', 261, Number.POSITIVE_INFINITY, 8192), 300);
  assert.throws(
    () => intOption('vocab', '100', 261, Number.POSITIVE_INFINITY, 8192),
    /--vocab must be an integer >= 261/,
  );
  assert.throws(
    () => intOption('layer', '-1', 0, Number.POSITIVE_INFINITY, 0),
    /--layer must be a non-negative integer/,
  );
  assert.is(positiveIntOption('rows', undefined), undefined);
  assert.is(positiveIntOption('rows', undefined, 32), 32);
  assert.is(positiveIntOption('rows', '7'), 7);
  for (const bad of ['0', '1.5', '1e3', ''])
    assert.throws(() => positiveIntOption('rows', bad), new RegExp(`--rows must be a positive integer, got '${bad}'`));
  assert.is(numberOption('cut', undefined, 0.5, 1, 0.9), 0.9);
  assert.is(numberOption('cut', '1', 0.5, 1, 0.9), 1);
  for (const bad of ['0.5', '1.1', 'x', ' '])
    assert.throws(() => numberOption('cut', bad, 0.5, 1, 0.9), /--cut must be in \(0\.5, 1\], got/);
  assert.is(requiredOption('out', 'd'), 'd');
  assert.throws(() => requiredOption('out', undefined), /^--out is required$/);
  assert.throws(() => requiredOption('out', '', 'DIR'), /^--out DIR is required$/);
});

const ran: string[] = [];
const group = defineGroup({
  name: 'kit',
  summary: 'a group',
  notes: 'Both subcommands are demos.',
  subcommands: [
    defineCommand({
      name: 'make',
      summary: 'makes a thing',
      usage: 'Usage: saetrace kit make <name> [--size N]\n               [--fast]\n\nMakes <name>.',
      options: { size: { type: 'string' }, fast: { type: 'boolean', default: false } },
      positionals: { min: 1, max: 1, what: 'a name' },
      async run({ values, positionals }) {
        ran.push(`make ${positionals[0]} ${intOption('size', values.size, 1, 9, 1)} ${values.fast}`);
        return 0;
      },
    }),
    defineCommand({
      name: 'check',
      summary: 'checks things',
      usage: 'Usage: saetrace kit check\n\nChecks.',
      options: {},
      async run() {
        ran.push('check');
        return 3;
      },
    }),
  ],
});

const captured = (argv: string[]) => runCaptured(argv, [group]);

test('defineGroup dispatches on the first argument with the rest, and returns the exit code', async () => {
  ran.length = 0;
  assert.is(await group.run(['make', 'box', '--size', '4', '--fast']), 0);
  assert.is(await group.run(['check']), 3);
  assert.is((await captured(['kit', 'make', 'cup'])).code, 0);
  assert.equal(ran, ['make box 4 true', 'check', 'make cup 1 false']);
});

test('defineGroup: no, an unknown or a flag as subcommand are usage errors listing the subcommands', async () => {
  for (const [argv, re] of [
    [[], /^a subcommand is required; name a subcommand: make, check$/],
    [['mend'], /^unknown subcommand 'mend'; name a subcommand: make, check$/],
    [['--size'], /^unknown subcommand '--size'/],
  ] as const) {
    await group.run([...argv]).then(
      () => assert.unreachable(`accepted ${argv.join(' ')}`),
      (e: Error) => {
        assert.instance(e, UsageError);
        assert.match(e.message, re);
        assert.is((e as UsageError).usage, undefined, "the group's own usage");
      },
    );
    const r = await captured(['kit', ...argv]);
    assert.is(r.code, 2);
    assert.match(r.err, /Subcommands:\n {2}make {3}makes a thing\n {2}check {2}checks things/);
  }
});

test("defineGroup: a subcommand's bad flag, value or positionals exit 2 with that subcommand's usage", async () => {
  for (const [argv, re] of [
    [['make', 'box', '--bogus'], /saetrace kit: Unknown option '--bogus'/],
    [['make', 'box', '--size'], /saetrace kit: Option '--size <value>' argument missing/],
    [['make', 'box', '--size', '10'], /saetrace kit: --size must be an integer in \[1, 9\], got '10'/],
    [['make'], /expected 1 positional argument \(a name\), got 0/],
    [['check', 'extra'], /expected 0 positional arguments/],
  ] as const) {
    const r = await captured(['kit', ...argv]);
    assert.is(r.code, 2, argv.join(' '));
    assert.match(r.err, re);
    assert.match(r.err, new RegExp(`\n\nUsage: saetrace kit ${argv[0]}`));
    assert.not.match(r.err, /Subcommands:/);
  }
  await group.run(['make', 'box', '--bogus']).then(
    () => assert.unreachable(),
    (e: UsageError) => assert.match(e.usage ?? '', /^Usage: saetrace kit make <name>/),
  );
});

test('defineGroup help: the group lists synopses and subcommands with summaries; a subcommand prints its usage', async () => {
  const top = await captured(['kit', '--help']);
  assert.is(top.code, 0);
  assert.is(
    top.out,
    [
      'Usage: saetrace kit make <name> [--size N]',
      '               [--fast]',
      '       saetrace kit check',
      '',
      'Subcommands:',
      '  make   makes a thing',
      '  check  checks things',
      '',
      'Both subcommands are demos.',
      '',
      "Run `saetrace kit <subcommand> --help` for a subcommand's options.",
      '',
    ].join('\n'),
  );
  assert.is(top.out, `${group.usage}\n`);
  for (const argv of [
    ['make', '--help'],
    ['make', 'box', '-h'],
    ['make', '--bogus', '--help'],
  ]) {
    const r = await captured(['kit', ...argv]);
    assert.is(r.code, 0);
    assert.is(r.out, 'Usage: saetrace kit make <name> [--size N]\n               [--fast]\n\nMakes <name>.\n');
  }
  assert.is((await captured(['kit', 'nope', '--help'])).out, `${group.usage}\n`);
});

test.run();
