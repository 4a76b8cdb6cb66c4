import { formatIssue, readSpec } from '../../../harness/src/spec.ts';
import { knownSpecs } from '../../../harness/src/run.ts';
import { defineCommand } from '../command.ts';

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'check every pair x experiment combination against the schemas without running it',
  usage:
    'Usage: saetrace validate [<pair>/<id> ...]   (default: every experiments/pairs/<pair>.yaml with every experiments/<id>.yaml)',
  options: {},
  positionals: { min: 0, max: Number.POSITIVE_INFINITY, what: 'specs <pair>/<id>' },
  async run({ positionals }) {
    const names = positionals.length > 0 ? positionals : knownSpecs();
    let bad = 0;
    for (const name of names) {
      const r = readSpec(name);
      if (r.ok) console.log(`${name}: ok`);
      else {
        bad++;
        for (const i of r.issues) console.error(formatIssue(i));
      }
    }
    return bad > 0 ? 1 : 0;
  },
});
