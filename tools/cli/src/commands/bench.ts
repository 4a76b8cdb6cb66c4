import { parseArgs } from 'node:util';
import { defaultThreads } from '@saetrace/engine';
import { UsageError, type Command } from '../command.ts';
import { benches, type BenchOutcome } from '../bench/registry.ts';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'run performance benchmarks (ratios against a reference measured in the same run)',
  usage: [
    'Usage: saetrace bench <name|all> [--json] [--threads N] [--quick]',
    '',
    `Benchmarks: ${Object.keys(benches).join(', ')}`,
    'Each writes reports/bench/<name>.md; --json prints the measurements; --quick shortens the runs.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        threads: { type: 'string' },
        quick: { type: 'boolean', default: false },
      },
    });
    const name = positionals[0];
    if (!name) throw new UsageError('name a benchmark, or all');
    const names = name === 'all' ? Object.keys(benches) : [name];
    for (const n of names)
      if (!benches[n]) throw new UsageError(`unknown benchmark '${n}' (known: ${Object.keys(benches).join(', ')})`);
    const threads = values.threads !== undefined ? Number(values.threads) : defaultThreads();
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024)
      throw new UsageError(`--threads must be an integer in [1, 1024], got '${values.threads}'`);
    const outcomes: BenchOutcome[] = [];
    for (const n of names) outcomes.push(await benches[n]!.run({ threads, quick: values.quick ?? false }));
    if (values.json)
      console.log(
        JSON.stringify(
          names.length === 1 ? outcomes[0]?.json : Object.fromEntries(outcomes.map((o) => [o.name, o.json])),
          null,
          2,
        ),
      );
    else
      for (const o of outcomes)
        console.log(`${o.name}: ${o.targetsMet ? 'targets met' : 'TARGETS MISSED'} (report: ${o.report})`);
    return 0;
  },
};
