import { existsSync } from 'node:fs';
import { classifyExampleDir, type Detector } from '@saetrace/metrics';
import { defineCommand, defineGroup, numberOption, UsageError } from '../command.ts';

const classifyExamples = defineCommand({
  name: 'classify-examples',
  summary: "count the English, Japanese and mixed features among the authors' stored example files",
  usage: [
    'Usage: saetrace metrics classify-examples <dir> [--rule peak-token] [--detector script|llmjp-regex] [--cut 0.9] [--json]',
    '',
    'Each <dir>/*.json holds {"token_act": [[[token, act], ...], ...]} for one feature. A feature is English',
    '(Japanese) when more than --cut of its examples peak on an English (Japanese) token, else mixed.',
  ].join('\n'),
  options: {
    rule: { type: 'string', default: 'peak-token' },
    detector: { type: 'string', default: 'script' },
    cut: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  // Counted here rather than by min: 1, so that the message says what to name.
  positionals: { max: 1, what: 'the directory of example files' },
  async run({ values, positionals }) {
    const dir = positionals[0];
    if (!dir) throw new UsageError('name the directory of example files');
    if (!existsSync(dir)) throw new UsageError(`no such directory: ${dir}`);
    if (values.rule !== 'peak-token') throw new UsageError(`--rule must be peak-token, got '${values.rule}'`);
    const detector = values.detector as Detector;
    if (detector !== 'script' && detector !== 'llmjp-regex')
      throw new UsageError(`--detector must be script or llmjp-regex, got '${detector}'`);
    const cut = numberOption('cut', values.cut, 0.5, 1, 0.9);
    const c = classifyExampleDir(dir, detector, cut);
    if (values.json) console.log(JSON.stringify({ en: c.en, ja: c.ja, mixed: c.mixed }));
    else
      console.log(
        `en ${c.en}, ja ${c.ja}, mixed ${c.mixed}${c.none ? ` (${c.none} features without a usable example)` : ''}`,
      );
    return 0;
  },
});

export const metricsCommand = defineGroup({
  name: 'metrics',
  summary: "feature metrics utilities: classify the authors' stored example files",
  subcommands: [classifyExamples],
});
