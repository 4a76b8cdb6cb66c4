import { spawnSync } from 'node:child_process';

/** GFLOP/s of numpy's matmul (OpenBLAS sgemm) for [m,k]x[k,n], or null with the reason when python3/numpy is absent. */
export function numpyGemmGflops(
  shapes: readonly (readonly [number, number, number])[],
  threads: number,
  iters: number,
): { readonly gflops: number[]; readonly version: string } | { readonly missing: string } {
  const script = [
    'import json, sys, time',
    'import numpy as np',
    'shapes = json.loads(sys.argv[1]); iters = int(sys.argv[2]); out = []',
    'rng = np.random.default_rng(0)',
    'for m, k, n in shapes:',
    '    a = rng.standard_normal((m, k), dtype=np.float32); b = rng.standard_normal((k, n), dtype=np.float32)',
    '    for _ in range(5): a @ b',
    '    ts = []',
    '    for _ in range(iters):',
    '        t0 = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t0)',
    '    ts.sort(); out.append(2.0 * m * k * n / ts[len(ts) // 2] / 1e9)',
    'print(json.dumps({"gflops": out, "version": np.__version__}))',
  ].join('\n');
  const env = {
    ...process.env,
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
  };
  const res = spawnSync('python3', ['-c', script, JSON.stringify(shapes), String(iters)], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (res.error) return { missing: `python3 not runnable: ${res.error.message}` };
  if (res.status !== 0)
    return { missing: `numpy reference failed: ${(res.stderr || '').trim().split('\n').pop() ?? 'unknown error'}` };
  try {
    return JSON.parse(res.stdout) as { gflops: number[]; version: string };
  } catch {
    return { missing: `numpy reference printed no result: ${res.stdout.slice(0, 200)}` };
  }
}
