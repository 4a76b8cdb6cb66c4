import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASELINES_FILE,
  FAMILY_PROFILES,
  familyBaselines,
  familyCorpusRoot,
  readFamilyManifest,
  trainFamily,
} from '@saetrace/lm';
import { choiceOption, defineCommand, defineGroup, UsageError } from '../command.ts';
import { threadsOption } from '../options.ts';
import { formatIssue, readPair } from '../../../harness/src/spec.ts';
import { readBaselines, writeZooReport } from '../zoo-report.ts';
import { familyStages } from '../../../harness/src/progress-stages.ts';
import { createProgress, intervalFromEnv, progressMode } from '../progress.ts';

const PROFILE_LIST = `Profiles: ${Object.values(FAMILY_PROFILES)
  .map((p) => `${p.name} (${p.members.map((m) => m.size).join(', ')})`)
  .join('; ')}`;

/** What train and baseline both read: the family of a profile for a pair, its tokenizer, corpus and output. */
const FAMILY = {
  profile: { type: 'string' },
  pair: { type: 'string', default: 'en-ja' },
  out: { type: 'string' },
  'report-dir': { type: 'string', default: 'reports' },
  // Absent: the profile's own corpus (data/corpus, or data/corpus-prose for a prose family).
  corpus: { type: 'string' },
  tokenizer: { type: 'string' },
  quiet: { type: 'boolean', default: false },
} as const;

/** The family a --profile names for a pair (a usage error unless one of FAMILY_PROFILES) and where it reads and writes. */
export function family(values: { profile?: string; pair: string; tokenizer?: string; out?: string; corpus?: string }) {
  const names = Object.keys(FAMILY_PROFILES) as (keyof typeof FAMILY_PROFILES)[];
  const named = choiceOption('profile', values.profile, names);
  // A pair whose file gives a profile another family (experiments/pairs/<pair>.yaml `families`) trains that
  // one: `--profile default` is the family the pair's default-profile runs use.
  const pairFile = join('experiments/pairs', `${values.pair}.yaml`);
  const pair = existsSync(pairFile) ? readPair(pairFile) : null;
  if (pair && !pair.ok) throw new UsageError(pair.issues.map(formatIssue).join('\n'));
  const profile = FAMILY_PROFILES[(pair?.ok && pair.spec.families?.[named]) || named];
  const tokenizerDir = values.tokenizer ?? join('data/tokenizer', values.pair);
  const outDir = values.out ?? join('.cache/zoo', values.pair, profile.name);
  return { profile, pair: values.pair, tokenizerDir, outDir, corpusRoot: values.corpus ?? familyCorpusRoot(profile) };
}

/** Refuses a pair without a trained tokenizer, before any work. */
function needTokenizer(tokenizerDir: string, pair: string): void {
  if (!existsSync(join(tokenizerDir, 'tokenizer.json')))
    throw new UsageError(`no tokenizer at ${tokenizerDir}: run 'saetrace tokenizer train --pair ${pair}' first`);
}

const train = defineCommand({
  name: 'train',
  summary: 'train every member of a profile (or the sizes named), with checkpoints at log-spaced steps',
  usage: [
    'Usage: saetrace zoo train --profile smoke|default|default-2 [--pair en-ja] [--size S ...] [--out DIR] [--threads N] [--report-dir reports] [--quiet]',
    '',
    'Trains every member of the profile (or the sizes named) with AdamW on data/corpus/<pair> (data/corpus-prose/<pair> for a prose profile), writing',
    'checkpoints at log-spaced steps to DIR/<size>/step-N (default .cache/zoo/<pair>/<profile>), DIR/family.json',
    'and reports/zoo.md. An interrupted run resumes from its last checkpoint. Needs data/tokenizer/<pair>.',
    'Progress per member (step/total, tokens/s, loss, ETA) goes to stderr: a live bar on a terminal, a line every 30 s otherwise.',
    PROFILE_LIST,
  ].join('\n'),
  options: { ...FAMILY, size: { type: 'string', multiple: true }, threads: { type: 'string' } },
  async run({ values }) {
    const { profile, pair, tokenizerDir, outDir, corpusRoot } = family(values);
    const sizes = profile.members.map((m) => m.size);
    for (const s of values.size ?? []) choiceOption('size', s, sizes);
    const threads = threadsOption(values.threads);
    needTokenizer(tokenizerDir, pair);
    const mode = progressMode({ quiet: values.quiet }, process.stderr.isTTY === true);
    const intervalMs = mode === 'tty' ? undefined : intervalFromEnv();
    const progress = createProgress({
      mode,
      write: (t) => process.stderr.write(t),
      ...(intervalMs !== undefined && { intervalMs }),
    });
    const stages = familyStages(progress, profile);
    const members = profile.members.filter((m) => !values.size?.length || values.size.includes(m.size));
    progress.plan(
      `train ${members.length} model${members.length > 1 ? 's' : ''} of the ${profile.name} family for ${pair} (${members.map((m) => `${m.size} ${m.steps} steps`).join(', ')}) into ${outDir}`,
    );
    let manifest: Awaited<ReturnType<typeof trainFamily>>;
    try {
      manifest = await trainFamily({
        profile,
        pair,
        corpusRoot,
        tokenizerDir,
        outDir,
        sizes: values.size,
        threads,
        onProgress: stages.onProgress,
      });
      stages.end();
    } finally {
      progress.close();
    }
    const report = await writeZooReport(
      manifest,
      values['report-dir'],
      '',
      readBaselines(join(outDir, BASELINES_FILE), manifest.tokenizer),
    );
    console.log(`trained ${manifest.members.map((m) => m.size).join(', ')} -> ${outDir}/family.json; report ${report}`);
    return 0;
  },
});

const baseline = defineCommand({
  name: 'baseline',
  summary: "Kneser-Ney bigram and trigram baselines on the family's own training and eval windows",
  usage: [
    'Usage: saetrace zoo baseline --profile smoke|default [--pair en-ja] [--out DIR] [--report-dir reports]',
    '',
    "Bigram and trigram interpolated modified Kneser-Ney models on the family's own training windows",
    "(those the largest member saw, and all of them), scored on the family's eval windows; DIR/baselines.json and",
    'a table in reports/zoo.md beside the family (when the family is trained).',
    PROFILE_LIST,
  ].join('\n'),
  options: FAMILY,
  async run({ values }) {
    const { profile, pair, tokenizerDir, outDir, corpusRoot } = family(values);
    needTokenizer(tokenizerDir, pair);
    const b = await familyBaselines({
      profile,
      pair,
      corpusRoot,
      tokenizerDir,
      outDir,
      onProgress: values.quiet ? undefined : (l) => process.stderr.write(`${l}\n`),
    });
    const manifestPath = join(outDir, 'family.json');
    const report = existsSync(manifestPath)
      ? await writeZooReport(readFamilyManifest(manifestPath), values['report-dir'], '', b)
      : null;
    console.log(
      `wrote ${join(outDir, BASELINES_FILE)}${report ? `; report ${report}` : ' (no trained family yet: reports/zoo.md is written when it is)'}`,
    );
    return 0;
  },
});

export const zooCommand = defineGroup({
  name: 'zoo',
  summary: 'train the self-trained bilingual model family (checkpoints in Hugging Face layout)',
  subcommands: [train, baseline],
});
