import { cleanCommand, CorpusUsageError, harvestCommand, statsCommand } from '../../../corpus/src/cli.ts';
import { langProfile } from '../../../corpus/src/langs.ts';
import { defineCommand, defineGroup, requiredOption, UsageError } from '../command.ts';

const quiet = () => process.env.CI === 'true' || !process.stderr.isTTY;

/** What the corpus tool refuses about its arguments (a package list file, an empty root) is a usage error too. */
async function usageOnCorpusError(run: () => number | Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CorpusUsageError) throw new UsageError(err.message);
    throw err;
  }
}

/** A share of the documents, in percent, strictly between 0 and 100. */
function percent(flag: string, raw: string): number {
  const v = Number(raw);
  if (!(v > 0 && v < 100)) throw new UsageError(`--${flag} must be a percentage in (0, 100), got '${raw}'`);
  return v;
}

const harvest = defineCommand({
  name: 'harvest',
  summary: 'download Debian packages, extract, filter and split the English and target-language documents',
  usage: [
    'Usage: saetrace corpus harvest --lang <ja|ko|zh> [--out DIR] [--packages a,b,c|@file] [--doc-packages ...]',
    '                               [--cache .cache/debs] [--held-out 22] [--eval 8] [--no-download]',
    '',
    'Writes data/corpus/en-<lang> (or DIR): documents of both languages split into train, held-out and eval',
    '(--held-out and --eval percent), parallel catalog pairs, and a manifest with every file sha256.',
    '--no-download uses only the .deb files already in the cache.',
  ].join('\n'),
  options: {
    lang: { type: 'string' },
    out: { type: 'string' },
    packages: { type: 'string' },
    'doc-packages': { type: 'string' },
    cache: { type: 'string', default: '.cache/debs' },
    work: { type: 'string', default: '.cache/corpus-work' },
    'held-out': { type: 'string', default: '22' },
    eval: { type: 'string', default: '8' },
    'no-download': { type: 'boolean', default: false },
  },
  async run({ values }) {
    const lang = requiredOption('lang', values.lang);
    try {
      langProfile(lang);
    } catch (err) {
      throw new UsageError(`--lang: ${(err as Error).message}`);
    }
    const options = {
      lang,
      out: values.out,
      packages: values.packages,
      docPackages: values['doc-packages'],
      cache: values.cache,
      work: values.work,
      heldOutPercent: percent('held-out', values['held-out']),
      evalPercent: percent('eval', values.eval),
      download: !values['no-download'],
    };
    return usageOnCorpusError(() =>
      harvestCommand(options, (s) => {
        if (!quiet() || s.startsWith('warning') || s.startsWith('wrote')) console.error(s);
      }),
    );
  },
});

const stats = defineCommand({
  name: 'stats',
  summary: "verify every file's sha256; count records, characters, words and script composition per split and language",
  usage: [
    'Usage: saetrace corpus stats [--pair en-ja] [--json] [--root data/corpus]',
    '',
    'Verifies each pair under the root (or the one named) against its manifest and prints its totals and,',
    "per file and language, its script composition (shares of non-whitespace characters in the language's own",
    'script, Latin, other letters, digits, punctuation and symbols); exits 1 when a file does not match.',
  ].join('\n'),
  options: {
    json: { type: 'boolean', default: false },
    pair: { type: 'string' },
    root: { type: 'string', default: 'data/corpus' },
  },
  async run({ values }) {
    return usageOnCorpusError(() =>
      statsCommand(
        values,
        (s) => console.log(s),
        (s) => console.error(s),
      ),
    );
  },
});

const clean = defineCommand({
  name: 'clean',
  summary: "write a copy of a pair's corpus whose documents keep only their prose",
  usage: [
    'Usage: saetrace corpus clean --pair en-ja --out DIR [--root data/corpus]',
    '',
    'Removes format placeholders, markup, command-line options and symbol rules from every line of the train and',
    'eval documents, keeps the lines that read as the language (tools/corpus/src/prose.ts), drops documents left',
    "shorter than the language's minimum, copies the parallel files, and prints each file's script composition",
    'before and after. DIR must be new or empty; the source is verified first and never changed.',
  ].join('\n'),
  options: {
    pair: { type: 'string' },
    out: { type: 'string' },
    root: { type: 'string', default: 'data/corpus' },
  },
  async run({ values }) {
    const pair = values.pair;
    if (!pair) throw new UsageError('--pair is required');
    return usageOnCorpusError(() =>
      cleanCommand({ pair, root: values.root, out: values.out ?? '' }, (s) => console.log(s)),
    );
  },
});

export const corpusCommand = defineGroup({
  name: 'corpus',
  summary: 'harvest a bilingual corpus from Debian packages; verify and count it',
  subcommands: [harvest, stats, clean],
});
