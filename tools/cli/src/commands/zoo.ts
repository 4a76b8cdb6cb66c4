import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultThreads } from '@saetrace/engine';
import { BASELINES_FILE, FAMILY_PROFILES, familyBaselines, readFamilyManifest, trainFamily } from '@saetrace/lm';
import { intOption, parseOrUsage, UsageError, type Command } from '../command.ts';
import { readBaselines, writeZooReport } from '../zoo-report.ts';
import { familyStages } from '../../../harness/src/progress-stages.ts';
import { createProgress, intervalFromEnv, progressMode } from '../progress.ts';

export const zooCommand: Command = {
  name: 'zoo',
  summary: 'train the self-trained bilingual model family (checkpoints in Hugging Face layout)',
  usage: [
    'Usage: saetrace zoo train --profile smoke|default [--pair en-ja] [--size S ...] [--out DIR] [--threads N] [--report-dir reports] [--quiet]',
    '       saetrace zoo baseline --profile smoke|default [--pair en-ja] [--out DIR] [--report-dir reports]',
    '',
    "baseline: bigram and trigram interpolated modified Kneser-Ney models on the family's own training windows",
    "(those the largest member saw, and all of them), scored on the family's eval windows; DIR/baselines.json and",
    'a table in reports/zoo.md beside the family (when the family is trained).',
    '',
    'Trains every member of the profile (or the sizes named) with AdamW on data/corpus/<pair>, writing',
    'checkpoints at log-spaced steps to DIR/<size>/step-N (default .cache/zoo/<pair>/<profile>), DIR/family.json',
    'and reports/zoo.md. An interrupted run resumes from its last checkpoint. Needs data/tokenizer/<pair>.',
    'Progress per member (step/total, tokens/s, loss, ETA) goes to stderr: a live bar on a terminal, a line every 30 s otherwise.',
    `Profiles: ${Object.values(FAMILY_PROFILES)
      .map((p) => `${p.name} (${p.members.map((m) => m.size).join(', ')})`)
      .join('; ')}`,
  ].join('\n'),
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'train' && sub !== 'baseline')
      throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'name a subcommand: train, baseline');
    const values = parseOrUsage(
      () =>
        parseArgs({
          args: rest,
          options: {
            profile: { type: 'string' },
            pair: { type: 'string', default: 'en-ja' },
            size: { type: 'string', multiple: true },
            out: { type: 'string' },
            threads: { type: 'string' },
            'report-dir': { type: 'string', default: 'reports' },
            corpus: { type: 'string', default: 'data/corpus' },
            tokenizer: { type: 'string' },
            quiet: { type: 'boolean', default: false },
          },
        }).values,
    );
    const profile = FAMILY_PROFILES[values.profile as keyof typeof FAMILY_PROFILES];
    if (!profile)
      throw new UsageError(
        `--profile must be one of ${Object.keys(FAMILY_PROFILES).join(', ')}, got '${values.profile ?? ''}'`,
      );
    const pair = values.pair ?? 'en-ja';
    const tokenizerDir = values.tokenizer ?? join('data/tokenizer', pair);
    if (!existsSync(join(tokenizerDir, 'tokenizer.json')))
      throw new UsageError(`no tokenizer at ${tokenizerDir}: run 'saetrace tokenizer train --pair ${pair}' first`);
    const threads = intOption('threads', values.threads, 1, 1024, defaultThreads());
    const outDir = values.out ?? join('.cache/zoo', pair, profile.name);
    if (sub === 'baseline') {
      const b = await familyBaselines({
        profile,
        pair,
        corpusRoot: values.corpus ?? 'data/corpus',
        tokenizerDir,
        outDir,
        onProgress: values.quiet ? undefined : (l) => process.stderr.write(`${l}\n`),
      });
      const manifestPath = join(outDir, 'family.json');
      const report = existsSync(manifestPath)
        ? await writeZooReport(readFamilyManifest(manifestPath), values['report-dir'] ?? 'reports', '', b)
        : null;
      console.log(
        `wrote ${join(outDir, BASELINES_FILE)}${report ? `; report ${report}` : ' (no trained family yet: reports/zoo.md is written when it is)'}`,
      );
      return 0;
    }
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
        corpusRoot: values.corpus ?? 'data/corpus',
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
      values['report-dir'] ?? 'reports',
      '',
      readBaselines(join(outDir, BASELINES_FILE), manifest.tokenizer),
    );
    console.log(`trained ${manifest.members.map((m) => m.size).join(', ')} -> ${outDir}/family.json; report ${report}`);
    return 0;
  },
};
