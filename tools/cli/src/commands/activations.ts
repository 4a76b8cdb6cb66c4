import { parseArgs } from 'node:util';
import {
  ActivationStore,
  engineSafetensorsWriter,
  exportSafetensors,
  extractActivations,
  type SafetensorsWriter,
  type StoreDType,
  type TapModel,
} from '@saetrace/activations';
import { UsageError, type Command } from '../command.ts';

/** What the command needs from outside; tests pass fakes. */
export interface ActivationsDeps {
  loadModel(modelDir: string): Promise<TapModel>;
  safetensorsWriter(): Promise<SafetensorsWriter>;
  log(line: string): void;
}

/** The real model loader: `loadTapModel(dir)` from @saetrace/lm, looked up at run time until libs/lm provides it. */
async function loadLmModel(modelDir: string): Promise<TapModel> {
  const spec = '@saetrace/lm';
  let lm: Record<string, unknown>;
  try {
    lm = (await import(spec)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot load @saetrace/lm (${(err as Error).message})`);
  }
  const load = lm['loadTapModel'];
  if (typeof load !== 'function') throw new Error('@saetrace/lm does not export loadTapModel(modelDir) yet');
  return await (load as (dir: string) => Promise<TapModel>)(modelDir);
}

const USAGE = [
  'Usage:',
  '  saetrace activations extract --model DIR --corpus DIR --langs en,ja --layers 3,5 --cache DIR',
  '                               [--split train] [--tokens-per-lang N] [--seed S] [--dtype float32|float16]',
  '                               [--docs-per-shard N] [--batch-docs N]',
  '  saetrace activations export --store DIR --out FILE [--format safetensors] [--dtype float32|float16]',
  '  saetrace activations verify --store DIR',
  '',
  'extract: the first 64 tokens after BOS of each document (shorter ones dropped), languages balanced,',
  '  BOS dropped, unit-L2 rows; all layers from one forward pass. Each layer is a store under --cache',
  '  keyed by everything that changes its content; a repeat request reuses it, an interrupted one resumes.',
  'export: a store as one safetensors file (activations [rows,d]; token_ids, doc_ids, positions, langs int32 [rows]).',
  'verify: checks every shard of a store against its checksum.',
].join('\n');

function positiveInt(name: string, v: string | undefined, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

function required(name: string, v: string | undefined): string {
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function dtypeOf(v: string | undefined): StoreDType {
  if (v === undefined || v === 'float32' || v === 'fp32') return 'float32';
  if (v === 'float16' || v === 'fp16') return 'float16';
  throw new UsageError(`--dtype must be float32 or float16, got '${v}'`);
}

async function extract(argv: string[], deps: ActivationsDeps): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      corpus: { type: 'string' },
      langs: { type: 'string' },
      layers: { type: 'string' },
      cache: { type: 'string' },
      split: { type: 'string', default: 'train' },
      'tokens-per-lang': { type: 'string' },
      seed: { type: 'string', default: '0' },
      dtype: { type: 'string' },
      'docs-per-shard': { type: 'string' },
      'batch-docs': { type: 'string' },
    },
  });
  const layers = required('layers', values.layers)
    .split(',')
    .map((s) => {
      const n = Number(s);
      if (s.trim() === '' || !Number.isInteger(n) || n < 0)
        throw new UsageError(
          `--layers must be comma-separated sites (0 = embedding output, l = output of block l-1), got '${values.layers}'`,
        );
      return n;
    });
  const langs = required('langs', values.langs).split(',');
  if (langs.some((l) => !/^[a-z]{2,3}$/.test(l)))
    throw new UsageError(`--langs must be comma-separated language codes, got '${values.langs}'`);
  const req = {
    layers,
    langs,
    corpusDir: required('corpus', values.corpus),
    cacheDir: required('cache', values.cache),
    split: values.split!,
    seed: values.seed!,
    tokensPerLang: positiveInt('tokens-per-lang', values['tokens-per-lang'], 64 * 1000),
    dtype: dtypeOf(values.dtype),
    docsPerShard:
      values['docs-per-shard'] === undefined ? undefined : positiveInt('docs-per-shard', values['docs-per-shard']),
    batchDocs: positiveInt('batch-docs', values['batch-docs'], 32),
  };
  const modelDir = required('model', values.model);
  const model = await deps.loadModel(modelDir);
  const t0 = performance.now();
  const res = await extractActivations({ ...req, model });
  const seconds = (performance.now() - t0) / 1000;
  const requested = Math.floor(req.tokensPerLang / 64) * 64;
  if (res.tokensPerLangStored < requested)
    deps.log(
      `warning: only ${res.tokensPerLangStored} tokens per language available (asked ${requested}); languages kept balanced`,
    );
  for (const [layer, dir] of res.stores)
    deps.log(`layer ${layer}: ${res.cachedLayers.includes(layer) ? 'cached' : 'extracted'} ${dir}`);
  const tokens = res.forwardCalls === 0 ? 0 : res.docsPerLang * langs.length * 64;
  deps.log(
    `${res.docsPerLang} documents per language, ${res.forwardCalls} forward calls, ${res.shardsResumed} shards resumed` +
      (res.forwardCalls > 0 ? `, ${Math.round(tokens / seconds)} tokens/s` : ''),
  );
  return 0;
}

async function exportStore(argv: string[], deps: ActivationsDeps): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      store: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string', default: 'safetensors' },
      dtype: { type: 'string' },
    },
  });
  if (values.format !== 'safetensors') throw new UsageError(`--format must be safetensors, got '${values.format}'`);
  const storeDir = required('store', values.store);
  const out = required('out', values.out);
  const dtype = dtypeOf(values.dtype);
  const store = await ActivationStore.open(storeDir);
  await exportSafetensors(store, out, await deps.safetensorsWriter(), { dtype });
  deps.log(`wrote ${out}: ${store.rows} rows x ${store.d} (${dtype}), layer ${store.layer}`);
  return 0;
}

async function verify(argv: string[], deps: ActivationsDeps): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { store: { type: 'string' } } });
  const store = await ActivationStore.open(required('store', values.store));
  await store.verify();
  deps.log(
    `${store.dir}: ${store.numShards} shards, ${store.rows} rows x ${store.d}, layer ${store.layer}: all checksums match`,
  );
  return 0;
}

export function makeActivationsCommand(deps: ActivationsDeps): Command {
  return {
    name: 'activations',
    summary: 'extract, verify and export unit-norm residual activations (64-token windows, keyed cache)',
    usage: USAGE,
    async run(argv) {
      const [sub, ...rest] = argv;
      try {
        if (sub === 'extract') return await extract(rest, deps);
        if (sub === 'export') return await exportStore(rest, deps);
        if (sub === 'verify') return await verify(rest, deps);
      } catch (err) {
        // parseArgs reports unknown or malformed options as TypeErrors with an ERR_PARSE_ARGS code.
        if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))
          throw new UsageError((err as Error).message);
        throw err;
      }
      throw new UsageError(
        sub === undefined
          ? 'name a subcommand: extract, export or verify'
          : `unknown subcommand '${sub}' (extract, export, verify)`,
      );
    },
  };
}

export const activationsCommand = makeActivationsCommand({
  loadModel: loadLmModel,
  safetensorsWriter: engineSafetensorsWriter,
  log: (line) => console.log(line),
});
