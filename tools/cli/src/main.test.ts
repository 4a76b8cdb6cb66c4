import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from './main.ts';
import { UsageError, type Command } from './command.ts';

const calls: string[][] = [];
const fake: Command = {
  name: 'echo',
  summary: 'echoes',
  usage: 'saetrace echo [args]',
  async run(argv) {
    calls.push([...argv]);
    if (argv[0] === 'bad') throw new UsageError('bad argument');
    if (argv[0] === 'boom') throw new Error('exploded');
    return 0;
  },
};

function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  const err = console.error;
  console.log = () => {};
  console.error = () => {};
  return fn().finally(() => {
    console.log = log;
    console.error = err;
  });
}

test('dispatches to the named command with the rest of argv', async () => {
  assert.is(await quiet(() => main(['echo', 'a', 'b'], [fake])), 0);
  assert.equal(calls.at(-1), ['a', 'b']);
});

test('--help lists commands and exits 0; no command exits 2', async () => {
  assert.is(await quiet(() => main(['--help'], [fake])), 0);
  assert.is(await quiet(() => main([], [fake])), 2);
});

test('unknown command exits 2, usage error exits 2, failure exits 1', async () => {
  assert.is(await quiet(() => main(['nope'], [fake])), 2);
  assert.is(await quiet(() => main(['echo', 'bad'], [fake])), 2);
  assert.is(await quiet(() => main(['echo', 'boom'], [fake])), 1);
  assert.is(await quiet(() => main(['echo', '--help'], [fake])), 0);
});

test.run();
