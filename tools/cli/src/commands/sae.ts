import { parseArgs } from 'node:util';
import { ActivationStore } from '@saetrace/activations';
import {
  FORMAT_TARGET,
  SAE_FORMATS,
  SaeEncoder,
  evaluateSae,
  exportSae,
  importSae,
  isSaeFormat,
  loadSae,
  type SaeFormat,
  type SaeOrigin,
} from '@saetrace/sae';
import { parseOrUsage, UsageError, type Command } from '../command.ts';

const USAGE = [
  'Usage:',
  '  saetrace sae export <dir> --format saelens|sparsify|llmjp --out DIR',
  '  saetrace sae import <dir> --out DIR [--format saelens|sparsify|llmjp] [--layer L] [--model NAME]',
  '                             [--checkpoint NAME] [--assume-unit-norm]',
  '  saetrace sae eval <dir> --store DIR [--rows N] [--json]',
  '',
  "export: a saetrace SAE (cfg.json + sae.safetensors) in the layout another library's loader reads:",
  ...SAE_FORMATS.map((f) => `  ${f.padEnd(9)} ${FORMAT_TARGET[f]}`),
  '  saelens stores normalize_activations "constant_norm_rescale" with the weights folded by sqrt(d_in), so',
  "  SAELens applies saetrace's unit-L2 input convention itself; sparsify and llm-jp-sae have no such field",
  '  (their cfg records it under "saetrace"; llm-jp-sae calls it normalization "Scalar"): scale inputs to unit norm.',
  "import: the reverse, into saetrace's layout; the format is detected from the file names when not given.",
  '  Only safetensors + JSON are read; pickled .pth/.bin files are refused (unpickling runs code).',
  '  --layer/--model/--checkpoint fill or override what the source does not record (../shared/SPEC.md section 2 sites).',
  '  --assume-unit-norm accepts a SAELens SAE with normalize_activations "none" as trained on unit-norm inputs.',
  'eval: FVU, L0 and dead latents of an SAE on an activation store (e.g. one from `saetrace activations extract`).',
].join('\n');

function parse(
  rest: readonly string[],
  options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>,
): { values: Record<string, string | boolean | undefined>; dir: string } {
  const parsed = parseOrUsage(() => parseArgs({ args: [...rest], allowPositionals: true, options }));
  const dir = parsed.positionals[0];
  if (!dir) throw new UsageError('name the SAE directory');
  if (parsed.positionals.length > 1)
    throw new UsageError(`one SAE directory, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  return { values: parsed.values as Record<string, string | boolean | undefined>, dir };
}

function format(value: string | boolean | undefined, required: boolean): SaeFormat | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !isSaeFormat(value))
    throw new UsageError(
      `--format must be one of ${SAE_FORMATS.join(', ')}, got ${value === undefined ? 'nothing' : `'${String(value)}'`}`,
    );
  return value;
}

function out(value: string | boolean | undefined): string {
  if (typeof value !== 'string' || value === '') throw new UsageError('--out DIR is required');
  return value;
}

export const saeCommand: Command = {
  name: 'sae',
  summary: 'export an SAE for SAELens, sparsify or llm-jp-sae, import one from them, evaluate one on a store',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'export') {
      const { values, dir } = parse(rest, { format: { type: 'string' }, out: { type: 'string' } });
      const f = format(values.format, true) as SaeFormat;
      const o = out(values.out);
      await exportSae(dir, f, o);
      console.log(`${dir} -> ${o} (${FORMAT_TARGET[f]})`);
      return 0;
    }
    if (sub === 'import') {
      const { values, dir } = parse(rest, {
        format: { type: 'string' },
        out: { type: 'string' },
        layer: { type: 'string' },
        model: { type: 'string' },
        checkpoint: { type: 'string' },
        'assume-unit-norm': { type: 'boolean', default: false },
      });
      const o = out(values.out);
      const origin: { -readonly [K in keyof SaeOrigin]: SaeOrigin[K] } = {};
      if (values.layer !== undefined) {
        const l = Number(values.layer);
        if (!Number.isInteger(l) || l < 0)
          throw new UsageError(`--layer must be a non-negative integer, got '${String(values.layer)}'`);
        origin.layer = l;
      }
      if (typeof values.model === 'string') origin.model = values.model;
      if (typeof values.checkpoint === 'string') origin.checkpoint = values.checkpoint;
      const f = format(values.format, false);
      const r = await importSae(dir, o, {
        ...(f && { format: f }),
        assumeUnitNorm: values['assume-unit-norm'] === true,
        origin,
      });
      console.log(
        `${dir} (${r.imported?.format}) -> ${o}: d ${r.config.d}, n ${r.config.n}, k ${r.config.k}, layer ${r.layer}, model ${r.model}`,
      );
      return 0;
    }
    if (sub === 'eval') {
      const { values, dir } = parse(rest, {
        store: { type: 'string' },
        rows: { type: 'string' },
        json: { type: 'boolean', default: false },
      });
      if (typeof values.store !== 'string') throw new UsageError('--store DIR is required');
      const maxRows = values.rows === undefined ? Infinity : Number(values.rows);
      if (!(maxRows >= 1)) throw new UsageError(`--rows must be a positive integer, got '${String(values.rows)}'`);
      const { params, record } = await loadSae(dir);
      const store = await ActivationStore.open(values.store);
      const { d, n, k } = record.config;
      if (store.d !== d)
        throw new Error(`${values.store}: activations have d ${store.d}, the SAE in ${dir} reads d ${d}`);
      const enc = await SaeEncoder.create(params, d, n, k);
      try {
        async function* limited(): AsyncGenerator<Float32Array> {
          let seen = 0;
          for await (const b of store.batches({ batchRows: 4096 })) {
            if (seen >= maxRows) return;
            const take = Math.min(b.rows, maxRows - seen);
            seen += take;
            yield take === b.rows ? b.x : b.x.subarray(0, take * d);
          }
        }
        const e = await evaluateSae(enc, limited());
        if (values.json) console.log(JSON.stringify(e));
        else
          console.log(
            `${dir} on ${values.store}: FVU ${e.fvu.toFixed(4)}, L0 ${e.l0.toFixed(2)}, dead ${(100 * e.deadFraction).toFixed(1)}% over ${e.tokens} tokens`,
          );
      } finally {
        await enc.release();
      }
      return 0;
    }
    throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'name a subcommand: export, import, eval');
  },
};
