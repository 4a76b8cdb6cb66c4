/**
 * Geometric median of rows [count*d] by Weiszfeld iteration, as ../shared/SPEC.md section 3 fixes it: start from the
 * mean, weights 1/(|x_i - g| + 1e-8), at most `maxIter` (100) iterations, stop when the step is under `tol` (1e-5).
 */
export function geometricMedian(
  x: Float32Array,
  count: number,
  d: number,
  maxIter = 100,
  tol = 1e-5,
): { median: Float32Array; iterations: number } {
  if (count < 1 || x.length !== count * d)
    throw new RangeError(`geometricMedian: ${x.length} values for ${count} rows of ${d}`);
  const g = new Float64Array(d);
  for (let r = 0; r < count; r++)
    for (let i = 0; i < d; i++) g[i] = (g[i] as number) + (x[r * d + i] as number) / count;
  let it = 0;
  const next = new Float64Array(d);
  while (it < maxIter) {
    it++;
    next.fill(0);
    let wsum = 0;
    for (let r = 0; r < count; r++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += ((x[r * d + i] as number) - (g[i] as number)) ** 2;
      const w = 1 / (Math.sqrt(s) + 1e-8);
      wsum += w;
      for (let i = 0; i < d; i++) next[i] = (next[i] as number) + w * (x[r * d + i] as number);
    }
    let step = 0;
    for (let i = 0; i < d; i++) {
      const v = (next[i] as number) / wsum;
      step += (v - (g[i] as number)) ** 2;
      g[i] = v;
    }
    if (Math.sqrt(step) < tol) break;
  }
  return { median: Float32Array.from(g), iterations: it };
}

/** Sum of Euclidean distances from a point to the rows: the quantity the geometric median minimises. */
export function sumOfDistances(x: Float32Array, count: number, d: number, p: ArrayLike<number>): number {
  let total = 0;
  for (let r = 0; r < count; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += ((x[r * d + i] as number) - (p[i] as number)) ** 2;
    total += Math.sqrt(s);
  }
  return total;
}
