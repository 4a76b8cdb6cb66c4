import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { benchCommand } from './bench.ts';
import { zooCommand } from './zoo.ts';

test('--threads is bounded: 0 and 100000 are usage errors naming the range, before any work', async () => {
  for (const [cmd, argv] of [
    [zooCommand, ['train', '--profile', 'smoke', '--threads']],
    [benchCommand, ['engine', '--threads']],
  ] as const) {
    for (const n of ['0', '100000']) {
      await cmd.run([...argv, n]).then(
        () => assert.unreachable(),
        (e: Error) => assert.match(e.message, new RegExp(`--threads must be an integer in \\[1, 1024\\], got '${n}'`)),
      );
    }
  }
});

test.run();
