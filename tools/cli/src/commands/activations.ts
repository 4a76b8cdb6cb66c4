import {
  ActivationStore,
  engineSafetensorsWriter,
  exportSafetensors,
  extractActivations,
  type SafetensorsWriter,
  type StoreDType,
  type TapModel,
} from '@saetrace/activations';
import { defineCommand, defineGroup, positiveIntOption, requiredOption, UsageError, type Command } from '../command.ts';

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

function dtypeOf(v: string | undefined): StoreDType {
  if (v === undefined || v === 'float32' || v === 'fp32') return 'float32';
  if (v === 'float16' || v === 'fp16') return 'float16';
  throw new UsageError(`--dtype must be float32 or float16, got '${v}'`);
}

/** The three subcommands over the given dependencies. */
function subcommands(deps: ActivationsDeps) {
  const extract = defineCommand({
    name: 'extract',
    summary: 'unit-norm residual activations of a model on a corpus, one keyed store per layer',
    usage: [
      'Usage: saetrace activations extract --model DIR --corpus DIR --langs en,ja --layers 3,5 --cache DIR',
      '                               [--split train] [--tokens-per-lang N] [--seed S] [--dtype float32|float16]',
      '                               [--docs-per-shard N] [--batch-docs N]',
      '',
      'The first 64 tokens after BOS of each document (shorter ones dropped), languages balanced, BOS dropped,',
      'unit-L2 rows; all layers from one forward pass. Each layer is a store under --cache keyed by everything',
      'that changes its content; a repeat request reuses it, an interrupted one resumes.',
    ].join('\n'),
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
    async run({ values }) {
      const layers = requiredOption('layers', values.layers)
        .split(',')
        .map((s) => {
          const n = Number(s);
          if (s.trim() === '' || !Number.isInteger(n) || n < 0)
            throw new UsageError(
              `--layers must be comma-separated sites (0 = embedding output, l = output of block l-1), got '${values.layers}'`,
            );
          return n;
        });
      const langs = requiredOption('langs', values.langs).split(',');
      if (langs.some((l) => !/^[a-z]{2,3}$/.test(l)))
        throw new UsageError(`--langs must be comma-separated language codes, got '${values.langs}'`);
      const req = {
        layers,
        langs,
        corpusDir: requiredOption('corpus', values.corpus),
        cacheDir: requiredOption('cache', values.cache),
        split: values.split,
        seed: values.seed,
        tokensPerLang: positiveIntOption('tokens-per-lang', values['tokens-per-lang'], 64 * 1000),
        dtype: dtypeOf(values.dtype),
        docsPerShard: positiveIntOption('docs-per-shard', values['docs-per-shard']),
        batchDocs: positiveIntOption('batch-docs', values['batch-docs'], 32),
      };
      const model = await deps.loadModel(requiredOption('model', values.model));
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
    },
  });

  const exportStore = defineCommand({
    name: 'export',
    summary: 'a store as one safetensors file',
    usage: [
      'Usage: saetrace activations export --store DIR --out FILE [--format safetensors] [--dtype float32|float16]',
      '',
      'A store as one safetensors file (activations [rows,d]; token_ids, doc_ids, positions, langs int32 [rows]).',
    ].join('\n'),
    options: {
      store: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string', default: 'safetensors' },
      dtype: { type: 'string' },
    },
    async run({ values }) {
      if (values.format !== 'safetensors') throw new UsageError(`--format must be safetensors, got '${values.format}'`);
      const storeDir = requiredOption('store', values.store);
      const out = requiredOption('out', values.out);
      const dtype = dtypeOf(values.dtype);
      const store = await ActivationStore.open(storeDir);
      await exportSafetensors(store, out, await deps.safetensorsWriter(), { dtype });
      deps.log(`wrote ${out}: ${store.rows} rows x ${store.d} (${dtype}), layer ${store.layer}`);
      return 0;
    },
  });

  const verify = defineCommand({
    name: 'verify',
    summary: 'check every shard of a store against its checksum',
    usage: 'Usage: saetrace activations verify --store DIR\n\nChecks every shard of a store against its checksum.',
    options: { store: { type: 'string' } },
    async run({ values }) {
      const store = await ActivationStore.open(requiredOption('store', values.store));
      await store.verify();
      deps.log(
        `${store.dir}: ${store.numShards} shards, ${store.rows} rows x ${store.d}, layer ${store.layer}: all checksums match`,
      );
      return 0;
    },
  });
  return [extract, exportStore, verify];
}

export function makeActivationsCommand(deps: ActivationsDeps): Command {
  return defineGroup({
    name: 'activations',
    summary: 'extract, verify and export unit-norm residual activations (64-token windows, keyed cache)',
    subcommands: subcommands(deps),
  });
}

export const activationsCommand = makeActivationsCommand({
  loadModel: loadLmModel,
  safetensorsWriter: engineSafetensorsWriter,
  log: (line) => console.log(line),
});
