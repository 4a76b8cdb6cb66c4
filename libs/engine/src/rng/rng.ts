import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';

/**
 * A seeded random stream. Streams are derived from (run seed, stream name) by hashing, so adding
 * a new named stream never shifts the numbers of another.
 */
export class Rng {
  private readonly prng: seedrandom.PRNG;
  private spare: number | null = null;

  constructor(readonly seed: string) {
    this.prng = seedrandom.alea(seed);
  }

  /** The named child stream of this one. */
  stream(name: string): Rng {
    return new Rng(createHash('sha256').update(`${this.seed}\u0000${name}`).digest('hex'));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.prng() * n);
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.prng();
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills a Float32Array with N(0, std^2). */
  normalArray(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i] as T;
      arr[i] = arr[j] as T;
      arr[j] = t;
    }
    return arr;
  }

  /** k distinct indices from [0, n), in draw order. */
  sample(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`Rng.sample: cannot draw ${k} of ${n}`);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = idx[i] as number;
      idx[i] = idx[j] as number;
      idx[j] = t;
    }
    return idx.slice(0, k);
  }
}

/** The root stream of a run. */
export function runRng(seed: number | string): Rng {
  return new Rng(`saetrace:${seed}`);
}
