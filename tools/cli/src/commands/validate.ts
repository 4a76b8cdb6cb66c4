import { formatIssue, readSpec } from '../../../harness/src/spec.ts';
import { knownSpecs } from '../../../harness/src/run.ts';
import type { Command } from '../command.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check experiment specs against the schema without running them',
  usage: 'Usage: saetrace validate [files...]   (default: every experiments/<pair>/<id>.yaml)',
  async run(argv) {
    const files = argv.length > 0 ? [...argv] : knownSpecs().map((s) => `experiments/${s}.yaml`);
    let bad = 0;
    for (const f of files) {
      const r = readSpec(f);
      if (r.ok) console.log(`${f}: ok`);
      else { bad++; for (const i of r.issues) console.error(formatIssue(i)); }
    }
    return bad > 0 ? 1 : 0;
  },
};
