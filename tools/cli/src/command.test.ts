import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs } from 'node:util';
import { choiceOption, defineCommand, intOption, UsageError } from './command.ts';
import { main } from './main.ts';

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

test.run();
