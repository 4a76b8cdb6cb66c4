import { createHash } from 'node:crypto';
import type { TapModel } from '../tap-model.ts';

export interface FakeTapModelOptions {
  readonly dModel?: number;
  readonly numLayers?: number;
  /** Changes every activation (and the fingerprint), standing in for a different checkpoint. */
  readonly variant?: number;
  /** Throw on the tap call with this 1-based index (simulates an interrupted extraction). */
  readonly failOnCall?: number;
}

/**
 * A deterministic stand-in for a language model, for tests: one token per character (code point mod
 * 997, plus 4 to skip specials), and pseudo-activations that depend on layer, position, the token and a
 * running sum of earlier tokens (so they are causal and contextual). BOS rows are large, so a store that
 * kept them would show it.
 */
export class FakeTapModel implements TapModel {
  readonly dModel: number;
  readonly numLayers: number;
  readonly bosId = 1;
  /** Number of tap calls made, and the total windows passed through them. */
  calls = 0;
  windows = 0;
  private readonly variant: number;
  private readonly failOnCall: number | undefined;

  constructor(opts: FakeTapModelOptions = {}) {
    this.dModel = opts.dModel ?? 8;
    this.numLayers = opts.numLayers ?? 4;
    this.variant = opts.variant ?? 0;
    this.failOnCall = opts.failOnCall;
  }

  encodeSync(text: string): number[] {
    return Array.from(text, (c) => (c.codePointAt(0)! % 997) + 4);
  }

  async encode(text: string): Promise<number[]> {
    return this.encodeSync(text);
  }

  async encodeBatch(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => this.encodeSync(t));
  }

  fingerprint(): string {
    return createHash('sha256').update(`fake:${this.dModel}:${this.numLayers}:${this.variant}`).digest('hex');
  }

  async tap(
    tokens: Int32Array,
    batch: number,
    seqLen: number,
    layers: readonly number[],
  ): Promise<Map<number, Float32Array>> {
    if (tokens.length !== batch * seqLen)
      throw new RangeError(`FakeTapModel.tap: ${tokens.length} tokens for batch ${batch} x seqLen ${seqLen}`);
    this.calls++;
    if (this.failOnCall !== undefined && this.calls === this.failOnCall)
      throw new Error(`FakeTapModel: simulated failure on call ${this.calls}`);
    this.windows += batch;
    const d = this.dModel;
    const out = new Map<number, Float32Array>();
    for (const l of layers) {
      const h = new Float32Array(batch * seqLen * d);
      for (let b = 0; b < batch; b++) {
        let ctx = 0;
        for (let t = 0; t < seqLen; t++) {
          const tok = tokens[b * seqLen + t]!;
          ctx += tok;
          const o = (b * seqLen + t) * d;
          for (let j = 0; j < d; j++) {
            h[o + j] =
              tok === this.bosId
                ? 100 + j
                : (1 + l) * Math.sin(tok * 0.37 + j * 1.3 + l * 0.7 + this.variant) +
                  0.01 * t +
                  0.001 * (ctx % 97) * Math.cos(j);
          }
        }
      }
      out.set(l, h);
    }
    return out;
  }
}
