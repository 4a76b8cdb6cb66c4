import { CorpusUsageError, harvestCommand, statsCommand } from '../../../corpus/src/cli.ts';
import { UsageError, type Command } from '../command.ts';

const quiet = () => process.env.CI === 'true' || !process.stderr.isTTY;

export const corpusCommand: Command = {
  name: 'corpus',
  summary: 'harvest a bilingual corpus from Debian packages; verify and count it',
  usage: [
    'Usage:',
    '  saetrace corpus harvest --lang <ja|ko|zh> [--out DIR] [--packages a,b,c|@file] [--doc-packages ...]',
    '                          [--cache .cache/debs] [--held-out 22] [--eval 8] [--no-download]',
    '  saetrace corpus stats [--pair en-ja] [--json] [--root data/corpus]',
  ].join('\n'),
  async run(argv) {
    const [sub, ...rest] = argv;
    try {
      if (sub === 'harvest')
        return await harvestCommand(rest, (s) => {
          if (!quiet() || s.startsWith('warning') || s.startsWith('wrote')) console.error(s);
        });
      if (sub === 'stats')
        return statsCommand(
          rest,
          (s) => console.log(s),
          (s) => console.error(s),
        );
    } catch (err) {
      if (err instanceof CorpusUsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
        throw new UsageError((err as Error).message);
      throw err;
    }
    throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'name a subcommand: harvest or stats');
  },
};
