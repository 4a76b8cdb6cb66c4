import { formatIssue, readSpec } from '../../../harness/src/spec.ts';
import { knownSpecs } from '../../../harness/src/run.ts';
import type { Command } from '../command.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check every pair x experiment combination against the schemas without running it',
  usage:
    'Usage: saetrace validate [<pair>/<id> ...]   (default: every experiments/pairs/<pair>.yaml with every experiments/<id>.yaml)',
  async run(argv) {
    const names = argv.length > 0 ? [...argv] : knownSpecs();
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
};
