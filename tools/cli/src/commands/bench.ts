import { defineCommand, UsageError } from '../command.ts';
import { threadsOption } from '../options.ts';
import { benches, type BenchOutcome } from '../bench/registry.ts';

export const benchCommand = defineCommand({
  name: 'bench',
  summary: 'run performance benchmarks (ratios against a reference measured in the same run)',
  usage: [
    'Usage: saetrace bench <name|all> [--json] [--threads N] [--quick]',
    '',
    `Benchmarks: ${Object.keys(benches).join(', ')}`,
    'Each writes reports/bench/<name>.md; --json prints the measurements; --quick shortens the runs.',
  ].join('\n'),
  options: {
    json: { type: 'boolean', default: false },
    threads: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
  positionals: { min: 1, max: 1, what: 'a benchmark name, or all' },
  async run({ values, positionals }) {
    const name = positionals[0] as string;
    const names = name === 'all' ? Object.keys(benches) : [name];
    for (const n of names)
      if (!benches[n]) throw new UsageError(`unknown benchmark '${n}' (known: ${Object.keys(benches).join(', ')})`);
    const threads = threadsOption(values.threads);
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
});
