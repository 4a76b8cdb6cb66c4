import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { classifyExampleDir, type Detector } from '@saetrace/metrics';
import { parseOrUsage, UsageError, type Command } from '../command.ts';

export const metricsCommand: Command = {
  name: 'metrics',
  summary: "feature metrics utilities: classify the authors' stored example files",
  usage: [
    'Usage: saetrace metrics classify-examples <dir> [--rule peak-token] [--detector script|llmjp-regex] [--cut 0.9] [--json]',
    '',
    'Each <dir>/*.json holds {"token_act": [[[token, act], ...], ...]} for one feature. A feature is English',
    '(Japanese) when more than --cut of its examples peak on an English (Japanese) token, else mixed.',
  ].join('\n'),
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'classify-examples')
      throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'name a subcommand: classify-examples');
    const parsed = parseOrUsage(() =>
      parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          rule: { type: 'string', default: 'peak-token' },
          detector: { type: 'string', default: 'script' },
          cut: { type: 'string', default: '0.9' },
          json: { type: 'boolean', default: false },
        },
      }),
    );
    const dir = parsed.positionals[0];
    if (!dir) throw new UsageError('name the directory of example files');
    if (!existsSync(dir)) throw new UsageError(`no such directory: ${dir}`);
    if (parsed.values.rule !== 'peak-token')
      throw new UsageError(`--rule must be peak-token, got '${parsed.values.rule}'`);
    const detector = parsed.values.detector as Detector;
    if (detector !== 'script' && detector !== 'llmjp-regex')
      throw new UsageError(`--detector must be script or llmjp-regex, got '${detector}'`);
    const cut = Number(parsed.values.cut);
    if (!(cut > 0.5 && cut <= 1)) throw new UsageError(`--cut must be in (0.5, 1], got '${parsed.values.cut}'`);
    const c = classifyExampleDir(dir, detector, cut);
    if (parsed.values.json) console.log(JSON.stringify({ en: c.en, ja: c.ja, mixed: c.mixed }));
    else
      console.log(
        `en ${c.en}, ja ${c.ja}, mixed ${c.mixed}${c.none ? ` (${c.none} features without a usable example)` : ''}`,
      );
    return 0;
  },
};
