import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fields, isNumber, isObject, readJsonRecord, writeFileAtomic, writeJsonAtomic } from '@saetrace/engine';
import { evaluateFindings, findingsMarkdown, verdict } from '../../../harness/src/findings.ts';
import { readGolden } from '../../../harness/src/golden.ts';
import { findingContext, knownSpecs, recordedFindings, specPath } from '../../../harness/src/run.ts';
import { formatIssue, readSpec } from '../../../harness/src/spec.ts';
import { defineCommand } from '../command.ts';
import { profileOption } from '../options.ts';

/** Puts `section` (a '## Findings' block) into a report: replacing the one there, else before '## Golden comparison failures' or '## Provenance'. */
export function withFindingsSection(md: string, section: string): string {
  const lines = md.split('\n');
  const start = lines.indexOf('## Findings');
  if (start >= 0) {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    return [...lines.slice(0, start), ...section.split('\n'), ...lines.slice(end)].join('\n');
  }
  const at = [lines.indexOf('## Golden comparison failures'), lines.indexOf('## Provenance')].filter((i) => i >= 0);
  const i = at.length ? Math.min(...at) : lines.length;
  return [...lines.slice(0, i), ...section.split('\n'), ...lines.slice(i)].join('\n');
}

export const findingsCommand = defineCommand({
  name: 'findings',
  summary: "evaluate the paper's findings a spec declares on its stored results, without running it",
  usage: [
    'Usage: saetrace findings [<pair>/<id> ...] --profile smoke|default|paper [--record]',
    '',
    "Evaluates each spec's `findings` on reports/<pair>/<id>.<profile>.results.json and prints the verdicts with",
    "their numbers (default: every spec that declares findings). With --record, the verdicts on the golden's own",
    'metrics (the recorded run) are written into golden/<pair>/<id>.<profile>.json, and the findings section of',
    'the report is rewritten; a run then fails its golden when a verdict changes.',
  ].join('\n'),
  options: { profile: { type: 'string' }, record: { type: 'boolean' } },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY, what: 'specs <pair>/<id>' },
  async run(parsed) {
    const profile = profileOption(parsed.values.profile);
    const names = parsed.positionals.length ? parsed.positionals : knownSpecs();
    let bad = 0;
    for (const name of names) {
      specPath(name);
      const r = readSpec(name);
      if (!r.ok) {
        for (const i of r.issues) console.error(formatIssue(i));
        bad++;
        continue;
      }
      const spec = r.spec;
      if (!spec.findings?.length) {
        if (parsed.positionals.length) console.log(`${name}: declares no findings`);
        continue;
      }
      const resultsPath = join('reports', spec.pair, `${spec.id}.${profile}.results.json`);
      const goldenPath = join('golden', spec.pair, `${spec.id}.${profile}.json`);
      const source = parsed.values.record ? goldenPath : resultsPath;
      if (!existsSync(source)) {
        // Named specs must have been run; in the every-spec sweep a pair never run at this profile is only noted.
        console.error(
          `${name}: ${source} does not exist (run \`saetrace run ${name} --profile ${profile}${parsed.values.record ? ' --update-golden' : ''}\` first)`,
        );
        if (parsed.positionals.length) bad++;
        continue;
      }
      const stored = parsed.values.record
        ? readGolden(goldenPath, name, profile)
        : readJsonRecord<{ version: number; metrics: Record<string, number>; size?: string }>(
            resultsPath,
            `run ${name} --profile ${profile} again`,
            fields({ version: isNumber, metrics: isObject }),
          );
      if (stored.version !== spec.version) {
        console.error(`${name}: ${source} is of spec version ${stored.version}, the spec is at ${spec.version}`);
        bad++;
        continue;
      }
      const results = existsSync(resultsPath)
        ? readJsonRecord<{ size?: string }>(resultsPath, `run ${name} --profile ${profile} again`)
        : {};
      const found = evaluateFindings(
        spec.findings,
        stored.metrics,
        findingContext(spec, profile, results.size ?? '', { from: parsed.values.record ? 'golden' : 'results' }),
      );
      for (const f of found) console.log(`${name} ${f.id}: ${verdict(f.holds)} (${f.numbers})`);
      if (parsed.values.record) {
        const golden = JSON.parse(readFileSync(goldenPath, 'utf8')) as Record<string, unknown>;
        await writeJsonAtomic(goldenPath, { ...golden, findings: recordedFindings(found) });
        const report = join('reports', spec.pair, profile === 'default' ? `${spec.id}.md` : `${spec.id}.${profile}.md`);
        if (existsSync(report))
          await writeFileAtomic(
            report,
            withFindingsSection(readFileSync(report, 'utf8'), findingsMarkdown(found, recordedFindings(found))),
          );
        console.log(`${name}: recorded ${found.filter((f) => f.holds !== null).length} verdicts in ${goldenPath}`);
      }
    }
    return bad > 0 ? 1 : 0;
  },
});
