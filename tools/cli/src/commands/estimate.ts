import { estimatesSection, writeEstimates } from '../../../harness/src/scale-estimates.ts';
import { defineCommand } from '../command.ts';

export const estimateCommand = defineCommand({
  name: 'estimate',
  summary:
    'the en-ja plans of every feature-dynamics spec (default and paper) with CPU/GPU hours and wall time on N nodes',
  usage: [
    'Usage: saetrace estimate [--write]',
    '',
    'Plans every en-ja feature-dynamics spec at the default profile (from the cache) and at the paper profile (from',
    'the LLM-jp-3 shapes, no checkpoint read), costs each job from the throughput the committed provenance files',
    'measured, and prints jobs per stage, CPU and GPU hours, critical path and wall time on 1, 8 and 64 nodes, with',
    "the paper's Table 3 beside the estimate. --write puts it into reports/scale/README.md between its markers.",
  ].join('\n'),
  options: { write: { type: 'boolean', default: false } },
  positionals: { min: 0, max: 0, what: 'nothing' },
  async run(parsed) {
    if (parsed.values.write) {
      await writeEstimates();
      console.log('wrote reports/scale/README.md (Plans and estimates)');
    } else console.log(await estimatesSection());
    return 0;
  },
});
