import { ActivationStore } from '@saetrace/activations';
import {
  FORMAT_TARGET,
  SAE_FORMATS,
  SaeEncoder,
  evaluateSae,
  exportSae,
  importSae,
  loadSae,
  type SaeOrigin,
} from '@saetrace/sae';
import { choiceOption, defineCommand, defineGroup, intOption, positiveIntOption, requiredOption } from '../command.ts';

const SAE_DIR = { min: 1, max: 1, what: 'an SAE directory' } as const;

const exportCommand = defineCommand({
  name: 'export',
  summary: "write a saetrace SAE in the layout SAELens', sparsify's or llm-jp-sae's loader reads",
  usage: [
    'Usage: saetrace sae export <dir> --format saelens|sparsify|llmjp --out DIR',
    '',
    "A saetrace SAE (cfg.json + sae.safetensors) in the layout another library's loader reads:",
    ...SAE_FORMATS.map((f) => `  ${f.padEnd(9)} ${FORMAT_TARGET[f]}`),
    'saelens stores normalize_activations "constant_norm_rescale" with the weights folded by sqrt(d_in), so',
    "SAELens applies saetrace's unit-L2 input convention itself; sparsify and llm-jp-sae have no such field",
    '(their cfg records it under "saetrace"; llm-jp-sae calls it normalization "Scalar"): scale inputs to unit norm.',
  ].join('\n'),
  options: { format: { type: 'string' }, out: { type: 'string' } },
  positionals: SAE_DIR,
  async run({ values, positionals }) {
    const dir = positionals[0] as string;
    const f = choiceOption('format', values.format, SAE_FORMATS);
    const o = requiredOption('out', values.out, 'DIR');
    await exportSae(dir, f, o);
    console.log(`${dir} -> ${o} (${FORMAT_TARGET[f]})`);
    return 0;
  },
});

const importCommand = defineCommand({
  name: 'import',
  summary: "read an SAELens, sparsify or llm-jp-sae SAE into saetrace's layout",
  usage: [
    'Usage: saetrace sae import <dir> --out DIR [--format saelens|sparsify|llmjp] [--layer L] [--model NAME]',
    '                             [--checkpoint NAME] [--assume-unit-norm]',
    '',
    "The reverse of export, into saetrace's layout; the format is detected from the file names when not given.",
    'Only safetensors + JSON are read; pickled .pth/.bin files are refused (unpickling runs code).',
    '--layer/--model/--checkpoint fill or override what the source does not record (../shared/SPEC.md section 2 sites).',
    '--assume-unit-norm accepts a SAELens SAE with normalize_activations "none" as trained on unit-norm inputs.',
  ].join('\n'),
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    layer: { type: 'string' },
    model: { type: 'string' },
    checkpoint: { type: 'string' },
    'assume-unit-norm': { type: 'boolean', default: false },
  },
  positionals: SAE_DIR,
  async run({ values, positionals }) {
    const dir = positionals[0] as string;
    const o = requiredOption('out', values.out, 'DIR');
    const origin: { -readonly [K in keyof SaeOrigin]: SaeOrigin[K] } = {};
    if (values.layer !== undefined) origin.layer = intOption('layer', values.layer, 0, Number.POSITIVE_INFINITY, 0);
    if (values.model !== undefined) origin.model = values.model;
    if (values.checkpoint !== undefined) origin.checkpoint = values.checkpoint;
    const f = values.format === undefined ? undefined : choiceOption('format', values.format, SAE_FORMATS);
    const r = await importSae(dir, o, {
      ...(f && { format: f }),
      assumeUnitNorm: values['assume-unit-norm'],
      origin,
    });
    console.log(
      `${dir} (${r.imported?.format}) -> ${o}: d ${r.config.d}, n ${r.config.n}, k ${r.config.k}, layer ${r.layer}, model ${r.model}`,
    );
    return 0;
  },
});

const evalCommand = defineCommand({
  name: 'eval',
  summary: 'FVU, L0 and dead latents of an SAE on an activation store',
  usage: [
    'Usage: saetrace sae eval <dir> --store DIR [--rows N] [--json]',
    '',
    'FVU, L0 and dead latents of an SAE on an activation store (e.g. one from `saetrace activations extract`),',
    'over its first N rows (default all).',
  ].join('\n'),
  options: { store: { type: 'string' }, rows: { type: 'string' }, json: { type: 'boolean', default: false } },
  positionals: SAE_DIR,
  async run({ values, positionals }) {
    const dir = positionals[0] as string;
    const storeDir = requiredOption('store', values.store, 'DIR');
    const maxRows = positiveIntOption('rows', values.rows) ?? Number.POSITIVE_INFINITY;
    const { params, record } = await loadSae(dir);
    const store = await ActivationStore.open(storeDir);
    const { d, n, k } = record.config;
    if (store.d !== d) throw new Error(`${storeDir}: activations have d ${store.d}, the SAE in ${dir} reads d ${d}`);
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
          `${dir} on ${storeDir}: FVU ${e.fvu.toFixed(4)}, L0 ${e.l0.toFixed(2)}, dead ${(100 * e.deadFraction).toFixed(1)}% over ${e.tokens} tokens`,
        );
    } finally {
      await enc.release();
    }
    return 0;
  },
});

export const saeCommand = defineGroup({
  name: 'sae',
  summary: 'export an SAE for SAELens, sparsify or llm-jp-sae, import one from them, evaluate one on a store',
  subcommands: [exportCommand, importCommand, evalCommand],
});
