/** Median and spread of repeated timings of an async function, after warm-up runs. */
export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  /** Median absolute deviation relative to the median: a robust noise figure. */
  readonly relMad: number;
  readonly samples: number;
}

export async function timeIt(
  fn: () => Promise<unknown> | unknown,
  options: { warmup?: number; iters?: number } = {},
): Promise<Timing> {
  const warmup = options.warmup ?? 2;
  const iters = options.iters ?? 10;
  if (iters < 1) throw new RangeError(`timeIt: iters must be >= 1, got ${iters}`);
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  const sorted = [...t].sort((a, b) => a - b);
  const med = (xs: number[]) => {
    const m = xs.length >> 1;
    return xs.length % 2 ? (xs[m] as number) : ((xs[m - 1] as number) + (xs[m] as number)) / 2;
  };
  const median = med(sorted);
  const mad = med(sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b));
  return { medianMs: median, minMs: sorted[0] as number, relMad: median > 0 ? mad / median : 0, samples: iters };
}
