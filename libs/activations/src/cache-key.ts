import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Bumped whenever the shard or manifest layout, or the meaning of a stored value, changes. */
// 2: layer l is site l (HF hidden_states[l], libs/lm/src/llama/sites.ts); in 1 it was block l's output.
export const STORE_FORMAT = 'saetrace-activations/2';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** The saetrace version that enters every cache key. */
export const SAETRACE_VERSION = packageVersion();

/** Everything that changes a layer store's bytes. */
export interface KeyInputs {
  readonly format: string;
  readonly saetrace: string;
  readonly model: string;
  readonly layer: number;
  readonly split: string;
  readonly langs: readonly string[];
  /** corpus file name -> sha256 of its bytes. */
  readonly corpus: Readonly<Record<string, string>>;
  readonly tokensPerLang: number;
  readonly seed: string;
  readonly windowTokens: number;
  readonly bos: 'dropped';
  readonly normalisation: 'unit-l2';
  readonly dtype: string;
  readonly docsPerShard: number;
}

/** JSON with object keys sorted at every level, so equal inputs hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 (hex) of the canonical key inputs. */
export function cacheKey(inputs: KeyInputs): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex');
}

/** Directory name of a layer store under the cache root. */
export function storeDirName(inputs: KeyInputs): string {
  return `L${inputs.layer}-${cacheKey(inputs).slice(0, 20)}`;
}
