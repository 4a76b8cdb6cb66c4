import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { buildSite, DEFAULT_THRESHOLD } from '../../../browse/src/build.ts';
import { formatLineageReport, lineageReport, scanCache, selectForSpec } from '../../../browse/src/lineage-report.ts';
import { serveSite } from '../../../browse/src/serve.ts';
import type { CachedSae } from '../../../browse/src/scan.ts';
import { specFiles } from '../../../harness/src/spec.ts';
import { UsageError, type Command } from '../command.ts';

const PROFILES = ['smoke', 'default'] as const;

/** The spec name `<pair>/<id>`, refused when either file is missing. */
function specFile(pair: string, spec: string): string {
  const f = specFiles(`${pair}/${spec}`);
  for (const file of [f.experiment, f.pair])
    if (!existsSync(file)) throw new UsageError(`no spec ${pair}/${spec}: ${file} does not exist`);
  return `${pair}/${spec}`;
}

function parse(rest: readonly string[], extra: Record<string, { type: 'string'; default?: string }>) {
  try {
    return parseArgs({
      args: [...rest],
      allowPositionals: false,
      options: {
        pair: { type: 'string', default: 'en-ja' },
        profile: { type: 'string', default: 'default' },
        out: { type: 'string', default: 'site' },
        threshold: { type: 'string', default: String(DEFAULT_THRESHOLD) },
        ...extra,
      },
    }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function threshold(v: string | undefined): number {
  const t = Number(v);
  if (!(t > 0 && t <= 1)) throw new UsageError(`--threshold must be in (0, 1], got '${v}'`);
  return t;
}

function profile(v: string | undefined): 'smoke' | 'default' {
  if (!PROFILES.includes(v as 'smoke')) throw new UsageError(`--profile must be smoke or default, got '${v}'`);
  return v as 'smoke' | 'default';
}

export const browseCommand: Command = {
  name: 'browse',
  summary: 'a static feature browser of the cached SAEs (build, serve) and feature lineage across checkpoints',
  usage: [
    'Usage: saetrace browse build [--pair en-ja] [--profile default|smoke] [--out site] [--threshold 0.7] [--spec figure3,figure5] [--contexts 6]',
    '       saetrace browse serve [--out site] [--port 8080]',
    '       saetrace browse lineage [--pair en-ja] [--profile default|smoke] [--spec figure3] [--threshold 0.7]',
    '',
    'build reads the SAEs and measurements the runs cached under .cache (it trains and measures nothing; a',
    'feature-dynamics spec such as figure5 makes them) and writes a site that opens from file:// or serve;',
    '--spec keeps only the SAEs those specs made, --contexts sets the top contexts kept per feature.',
    'lineage prints, per checkpoint pair, the persisting / merged / split / new features (decoder cosine at',
    "or above the threshold, optimal one-to-one matching) and where the last checkpoint's Mixed features came from.",
  ].join('\n'),
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'build') {
      const v = parse(rest, { spec: { type: 'string' }, contexts: { type: 'string', default: '6' } });
      const prof = profile(v.profile);
      const contexts = Number(v.contexts);
      if (!Number.isInteger(contexts) || contexts < 1)
        throw new UsageError(`--contexts must be a positive integer, got '${v.contexts}'`);
      const files = (v.spec ?? '')
        .split(',')
        .filter(Boolean)
        .map((s) => specFile(v.pair as string, s));
      const select =
        files.length === 0
          ? undefined
          : (saes: CachedSae[]) => {
              const keep = new Set(files.flatMap((f) => selectForSpec(saes, f, prof).map((s) => s.key)));
              return saes.filter((s) => keep.has(s.key));
            };
      const r = await buildSite({
        pair: v.pair as string,
        profile: prof,
        out: v.out as string,
        threshold: threshold(v.threshold),
        contexts,
        ...(select ? { select } : {}),
        log: (s) => console.error(s),
      });
      console.log(`wrote ${r.out}: ${r.saes} SAEs, ${(r.bytes / 1e6).toFixed(2)} MB, in ${r.seconds.toFixed(1)} s`);
      return 0;
    }
    if (sub === 'serve') {
      const v = parse(rest, { port: { type: 'string', default: '8080' } });
      const port = Number(v.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be an integer in 0..65535, got '${v.port}'`);
      const server = await serveSite(v.out as string, port);
      const addr = server.address();
      console.log(
        `serving ${v.out} on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}/ (Ctrl-C stops)`,
      );
      await new Promise<void>((done) => server.once('close', () => done()));
      return 0;
    }
    if (sub === 'lineage') {
      const v = parse(rest, { spec: { type: 'string' } });
      const prof = profile(v.profile);
      const t = threshold(v.threshold);
      let saes = scanCache('.cache', v.pair as string, prof);
      if (v.spec) {
        saes = selectForSpec(saes, specFile(v.pair as string, v.spec), prof);
      }
      const reports = await lineageReport(saes, t);
      if (reports.length === 0)
        throw new Error(
          `no two cached checkpoints of one SAE recipe and layer for ${v.pair} ${prof}${v.spec ? ` ${v.spec}` : ''} (run the spec first)`,
        );
      console.log(formatLineageReport(reports, t));
      return 0;
    }
    throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'name a subcommand: build, serve or lineage');
  },
};
