import { existsSync } from 'node:fs';
import { buildSite, DEFAULT_THRESHOLD } from '../../../browse/src/build.ts';
import { formatLineageReport, lineageReport, scanCache, selectForSpec } from '../../../browse/src/lineage-report.ts';
import { serveSite } from '../../../browse/src/serve.ts';
import type { CachedSae } from '../../../browse/src/scan.ts';
import { specFiles } from '../../../harness/src/spec.ts';
import { defineCommand, defineGroup, intOption, numberOption, positiveIntOption, UsageError } from '../command.ts';

const PROFILES = ['smoke', 'default'] as const;

/** The spec name `<pair>/<id>`, refused when either file is missing. */
function specFile(pair: string, spec: string): string {
  const f = specFiles(`${pair}/${spec}`);
  for (const file of [f.experiment, f.pair])
    if (!existsSync(file)) throw new UsageError(`no spec ${pair}/${spec}: ${file} does not exist`);
  return `${pair}/${spec}`;
}

function profile(v: string | undefined): 'smoke' | 'default' {
  if (!PROFILES.includes(v as 'smoke')) throw new UsageError(`--profile must be smoke or default, got '${v}'`);
  return v as 'smoke' | 'default';
}

/** The SAEs build and lineage read: a pair's cache at a profile, features matched at a decoder cosine. */
const SELECT = {
  pair: { type: 'string', default: 'en-ja' },
  profile: { type: 'string', default: 'default' },
  threshold: { type: 'string' },
  spec: { type: 'string' },
} as const;

const threshold = (v: string | undefined) => numberOption('threshold', v, 0, 1, DEFAULT_THRESHOLD);

const build = defineCommand({
  name: 'build',
  summary: 'write a static feature browser of the cached SAEs and measurements (trains and measures nothing)',
  usage: [
    'Usage: saetrace browse build [--pair en-ja] [--profile default|smoke] [--out site] [--threshold 0.7] [--spec figure3,figure5] [--contexts 6]',
    '',
    'Reads the SAEs and measurements the runs cached under .cache (it trains and measures nothing; a',
    'feature-dynamics spec such as figure5 makes them) and writes a site that opens from file:// or serve;',
    '--spec keeps only the SAEs those specs made, --contexts sets the top contexts kept per feature.',
  ].join('\n'),
  options: { ...SELECT, out: { type: 'string', default: 'site' }, contexts: { type: 'string' } },
  async run({ values: v }) {
    const prof = profile(v.profile);
    const contexts = positiveIntOption('contexts', v.contexts, 6);
    const files = (v.spec ?? '')
      .split(',')
      .filter(Boolean)
      .map((s) => specFile(v.pair, s));
    const select =
      files.length === 0
        ? undefined
        : (saes: CachedSae[]) => {
            const keep = new Set(files.flatMap((f) => selectForSpec(saes, f, prof).map((s) => s.key)));
            return saes.filter((s) => keep.has(s.key));
          };
    const r = await buildSite({
      pair: v.pair,
      profile: prof,
      out: v.out,
      threshold: threshold(v.threshold),
      contexts,
      ...(select ? { select } : {}),
      log: (s) => console.error(s),
    });
    console.log(`wrote ${r.out}: ${r.saes} SAEs, ${(r.bytes / 1e6).toFixed(2)} MB, in ${r.seconds.toFixed(1)} s`);
    return 0;
  },
});

const serve = defineCommand({
  name: 'serve',
  summary: 'serve a built browser on 127.0.0.1',
  usage: 'Usage: saetrace browse serve [--out site] [--port 8080]',
  options: { out: { type: 'string', default: 'site' }, port: { type: 'string' } },
  async run({ values: v }) {
    const port = intOption('port', v.port, 0, 65535, 8080);
    const server = await serveSite(v.out, port);
    const addr = server.address();
    console.log(
      `serving ${v.out} on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}/ (Ctrl-C stops)`,
    );
    await new Promise<void>((done) => server.once('close', () => done()));
    return 0;
  },
});

const lineage = defineCommand({
  name: 'lineage',
  summary: 'feature lineage across checkpoints: persisting, merged, split and new features',
  usage: [
    'Usage: saetrace browse lineage [--pair en-ja] [--profile default|smoke] [--spec figure3] [--threshold 0.7]',
    '',
    'Prints, per checkpoint pair, the persisting / merged / split / new features (decoder cosine at or above the',
    "threshold, optimal one-to-one matching) and where the last checkpoint's Mixed features came from.",
  ].join('\n'),
  options: SELECT,
  async run({ values: v }) {
    const prof = profile(v.profile);
    const t = threshold(v.threshold);
    let saes = scanCache('.cache', v.pair, prof);
    if (v.spec) saes = selectForSpec(saes, specFile(v.pair, v.spec), prof);
    const reports = await lineageReport(saes, t);
    if (reports.length === 0)
      throw new Error(
        `no two cached checkpoints of one SAE recipe and layer for ${v.pair} ${prof}${v.spec ? ` ${v.spec}` : ''} (run the spec first)`,
      );
    console.log(formatLineageReport(reports, t));
    return 0;
  },
});

export const browseCommand = defineGroup({
  name: 'browse',
  summary: 'a static feature browser of the cached SAEs (build, serve) and feature lineage across checkpoints',
  subcommands: [build, serve, lineage],
});
