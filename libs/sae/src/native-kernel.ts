import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SAE_ADAM } from './config.ts';
import type { SaeParams } from './init.ts';

/** The compiled addon (libs/sae/native/sae_step.c), built by `npm ci` or `npm run build:native`. */
interface SaeStepAddon {
  step(
    dims: Int32Array,
    scalars: Float32Array,
    x: Float32Array,
    vals: Float32Array,
    idx: Int32Array,
    avals: Float32Array,
    aidx: Int32Array,
    W_enc: Float32Array,
    b_enc: Float32Array,
    W_dec: Float32Array,
    b_dec: Float32Array,
    mWe: Float32Array,
    mbe: Float32Array,
    mWd: Float32Array,
    mbd: Float32Array,
    vWe: Float32Array,
    vbe: Float32Array,
    vWd: Float32Array,
    vbd: Float32Array,
    out: Float64Array,
  ): boolean;
}

const ADDON_PATH = fileURLToPath(new URL('../native/build/sae_step.node', import.meta.url));
let addon: SaeStepAddon | null | undefined;

function load(): SaeStepAddon | null {
  if (addon === undefined) {
    // SAETRACE_NATIVE=0 forces the onnxruntime path (for comparisons and for machines where the build misbehaves).
    addon =
      process.env.SAETRACE_NATIVE === '0' || !existsSync(ADDON_PATH)
        ? null
        : (createRequire(import.meta.url)(ADDON_PATH) as SaeStepAddon);
  }
  return addon;
}

/** Whether the fused native sparse step can run here. */
export function nativeStepAvailable(): boolean {
  return load() !== null;
}

export interface NativeStepInput {
  readonly B: number;
  readonly d: number;
  readonly n: number;
  readonly k: number;
  /** Unit-normalised activations [B*d]. */
  readonly x: Float32Array;
  /** The encoder's top-k values and latent indices per token [B*k] (ReLU applied). */
  readonly vals: Float32Array;
  readonly idx: Int32Array;
  /** AuxK: the top auxK dead latents per token [B*auxK] and the loss coefficient. */
  readonly aux?: { readonly k: number; readonly vals: Float32Array; readonly idx: Int32Array; readonly coef: number };
  readonly lr: number;
  /** Adam step number, from 1. */
  readonly t: number;
  readonly threads: number;
}

export interface NativeStepResult {
  readonly loss: number;
  readonly fvu: number;
  readonly auxLoss: number;
  readonly updated: boolean;
  /** Threads the kernel used: at most `threads`, fewer when the step is too small to split (same bytes either way). */
  readonly threadsUsed: number;
}

/**
 * The sparse half of one TopK SAE step (decoder, every gradient, Adam, decoder renormalisation), updating
 * `params` and both moment sets in place. When the loss is not finite nothing is changed and `updated` is false.
 */
export function nativeSparseStep(
  input: NativeStepInput,
  params: SaeParams,
  m: SaeParams,
  v: SaeParams,
): NativeStepResult {
  const a = load();
  if (!a)
    throw new Error(
      `nativeSparseStep: the native SAE kernel is not built (${ADDON_PATH}); run \`npm run build:native\``,
    );
  const out = new Float64Array(4);
  const empty = new Float32Array(0);
  const updated = a.step(
    Int32Array.of(input.B, input.d, input.n, input.k, input.aux?.k ?? 0, input.threads),
    Float32Array.of(input.lr, input.t, input.aux?.coef ?? 0, SAE_ADAM.beta1, SAE_ADAM.beta2, SAE_ADAM.eps),
    input.x,
    input.vals,
    input.idx,
    input.aux?.vals ?? empty,
    input.aux?.idx ?? new Int32Array(0),
    params.W_enc,
    params.b_enc,
    params.W_dec,
    params.b_dec,
    m.W_enc,
    m.b_enc,
    m.W_dec,
    m.b_dec,
    v.W_enc,
    v.b_enc,
    v.W_dec,
    v.b_dec,
    out,
  );
  return {
    loss: out[0] as number,
    fvu: out[1] as number,
    auxLoss: out[2] as number,
    updated,
    threadsUsed: out[3] as number,
  };
}
