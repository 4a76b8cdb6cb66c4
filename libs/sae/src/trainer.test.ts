import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, runRng, writeSafetensors } from '@saetrace/engine';
import { saeConfig } from './config.ts';
import { SaeEncoder } from './encoder.ts';
import { evaluateSae } from './evaluate.ts';
import { loadSae, saveSae, SAETRACE_VERSION } from './io.ts';
import { trainSae } from './trainer.ts';

/** Unit-norm data drawn from a planted sparse dictionary: each row mixes `k` of `atoms` unit directions. */
function planted(d: number, atoms: number, k: number, seed: string) {
  const rng = runRng(seed);
  const dict = rng.stream('dict').normalArray(atoms * d);
  for (let a = 0; a < atoms; a++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += dict[a * d + i]! ** 2;
    for (let i = 0; i < d; i++) dict[a * d + i]! /= Math.sqrt(s);
  }
  const draw = rng.stream('rows');
  const batch = (rows: number) => {
    const x = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      for (const a of draw.sample(atoms, k)) {
        const coef = 0.5 + draw.next();
        for (let i = 0; i < d; i++) x[r * d + i]! += coef * dict[a * d + i]!;
      }
      let s = 0;
      for (let i = 0; i < d; i++) s += x[r * d + i]! ** 2;
      for (let i = 0; i < d; i++) x[r * d + i]! /= Math.sqrt(s);
    }
    return x;
  };
  return { dict, batch };
}

async function* stream(make: () => Float32Array, count: number): AsyncGenerator<Float32Array> {
  for (let i = 0; i < count; i++) yield make();
}

test('the native and onnxruntime kernels train the same SAE (losses and parameters close), with AuxK too', async () => {
  const d = 16,
    atoms = 24,
    k = 3,
    B = 256;
  for (const coef of [0, 0.5]) {
    const config = saeConfig({
      d,
      n: 48,
      k,
      lr: 2e-3,
      warmupSteps: 5,
      batchSize: B,
      seed: 3,
      auxK: { k: 8, coef, deadAfterTokens: 512 },
    });
    const run = (kernel: 'native' | 'onnx') => {
      const { batch } = planted(d, atoms, k, 'same');
      return trainSae({ config, batches: stream(() => batch(B), 30), steps: 30, kernel, session: { threads: 2 } });
    };
    const [a, b] = [await run('native'), await run('onnx')];
    assert.is(a.kernel, 'native');
    assert.is(b.kernel, 'onnx');
    for (let i = 0; i < a.log.length; i++) {
      assert.ok(
        Math.abs(a.log[i]!.loss - b.log[i]!.loss) <= 1e-4 * b.log[i]!.loss,
        `loss at step ${i + 1}: ${a.log[i]!.loss} vs ${b.log[i]!.loss}`,
      );
      if (coef > 0)
        assert.ok(
          Math.abs(a.log[i]!.auxLoss! - b.log[i]!.auxLoss!) <= 1e-4 * b.log[i]!.auxLoss! + 1e-9,
          `aux loss at step ${i + 1}`,
        );
    }
    let worst = 0;
    for (let i = 0; i < a.params.W_dec.length; i++)
      worst = Math.max(worst, Math.abs(a.params.W_dec[i]! - b.params.W_dec[i]!));
    assert.ok(worst < 1e-3, `W_dec differs by ${worst} after 30 steps`);
  }
});

test("kernel 'native' is refused for the dense variant and for a GPU provider", async () => {
  const config = saeConfig({ d: 4, n: 8, k: 2, batchSize: 4 });
  const none = stream(() => new Float32Array(16), 1);
  for (const [o, msg] of [
    [{ variant: 'dense' as const }, /sparse step only/],
    [{ session: { provider: 'cuda' as const } }, /runs on the CPU/],
  ] as const) {
    try {
      await trainSae({ config, batches: none, steps: 1, kernel: 'native', ...o });
      assert.unreachable();
    } catch (e) {
      assert.match(String(e), msg);
    }
  }
});

test('on data from a planted sparse dictionary the SAE recovers at least 90% of the atoms (best cosine > 0.9)', async () => {
  const d = 24,
    atoms = 32,
    k = 3,
    B = 512;
  const { dict, batch } = planted(d, atoms, k, 'planted');
  const config = saeConfig({ d, n: 64, k, lr: 4e-3, warmupSteps: 20, batchSize: B, seed: 1 });
  const r = await trainSae({ config, batches: stream(() => batch(B), 700), steps: 700, session: { threads: 1 } });
  let recovered = 0;
  for (let a = 0; a < atoms; a++) {
    let best = -1;
    for (let j = 0; j < config.n; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += dict[a * d + i]! * r.params.W_dec[j * d + i]!;
      best = Math.max(best, s);
    }
    if (best > 0.9) recovered++;
  }
  assert.ok(recovered >= 0.9 * atoms, `recovered ${recovered} of ${atoms}`);
  assert.ok(r.log.at(-1)!.fvu < r.log[0]!.fvu / 4, `fvu ${r.log[0]!.fvu} -> ${r.log.at(-1)!.fvu}`);
  const enc = await SaeEncoder.create(r.params, d, config.n, k, { threads: 1 });
  const ev = await evaluateSae(enc, [batch(256), batch(256)]);
  assert.ok(ev.l0 <= k && ev.l0 > 0);
  assert.ok(ev.fvu < 0.2, `validation fvu ${ev.fvu}`);
  assert.is(ev.tokens, 512);
  await enc.release();
});

test('save/load round trip (W_enc stored [d, n]); resume continues to the same weights; bad input is named', async () => {
  const d = 6,
    n = 10,
    k = 2,
    B = 32;
  const { batch } = planted(d, 8, 2, 'small');
  const data = Array.from({ length: 12 }, () => batch(B));
  const config = saeConfig({ d, n, k, lr: 1e-2, warmupSteps: 2, batchSize: B, seed: 2, precision: 'bf16' });
  async function* it() {
    for (const x of data) yield x;
  }
  const full = await trainSae({ config, batches: it(), steps: 12, session: { threads: 1 } });
  const dir = mkdtempSync(join(tmpdir(), 'sae-ck-'));
  const part = await trainSae({
    config,
    batches: it(),
    steps: 8,
    session: { threads: 1 },
    checkpointDir: dir,
    checkpointEvery: 4,
  });
  assert.is(part.steps, 8);
  const rest = await trainSae({
    config,
    batches: it(),
    steps: 12,
    session: { threads: 1 },
    checkpointDir: dir,
    checkpointEvery: 4,
  });
  assert.is(rest.resumedFrom, 8);
  assert.equal(Array.from(rest.params.W_dec), Array.from(full.params.W_dec));
  const out = mkdtempSync(join(tmpdir(), 'sae-'));
  const record = {
    config,
    normalisation: 'unit-l2' as const,
    hookSite: 'resid_post',
    model: 'test',
    checkpoint: 'step-1',
    layer: 0,
    saetraceVersion: SAETRACE_VERSION,
  };
  await saveSae(out, full.params, record);
  const back = await loadSae(out);
  assert.equal(Array.from(back.params.W_enc), Array.from(full.params.W_enc));
  assert.is(back.record.config.k, 2);
  assert.is(JSON.parse(readFileSync(join(out, 'cfg.json'), 'utf8')).layer, 0);
  const wrong = mkdtempSync(join(tmpdir(), 'sae-wrong-'));
  await saveSae(wrong, full.params, record);
  writeFileSync(join(wrong, 'cfg.json'), JSON.stringify({ ...record, config: { ...config, n: n + 1 } }));
  await loadSae(wrong).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /tensor 'W_enc' has shape \[6,10\], cfg.json implies \[6,11\]/),
  );
  await loadSae(join(wrong, 'nowhere')).then(
    () => assert.unreachable(),
    (e: Error) =>
      assert.match(
        e.message,
        /nowhere\/cfg\.json: cannot be read \(ENOENT\); delete .*nowhere \(a cached SAE is trained again\)/,
      ),
  );
  const bad = Float32Array.from(batch(B));
  bad[5] = NaN;
  await trainSae({
    config,
    batches: stream(() => bad, 1),
    steps: 1,
    sourceName: 'shard-00003.bin',
    session: { threads: 1 },
  }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /shard-00003\.bin: batch 1: value NaN at element 5/),
  );
  await trainSae({ config, batches: stream(() => new Float32Array(d), 1), steps: 1, session: { threads: 1 } }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /batch 1 has 1 rows, expected 32/),
  );
  await trainSae({ config, batches: stream(() => batch(B), 0), steps: 1, session: { threads: 1 } }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /no batch of 32 rows/),
  );
  const huge = Float32Array.from(batch(B), (x) => x * 1e30);
  const nanDir = mkdtempSync(join(tmpdir(), 'sae-nan-'));
  let failedAt = 0;
  // Finite but huge values overflow the squared error at step 3, after two good checkpoints.
  async function* goodThenHuge() {
    yield data[0]!;
    yield data[1]!;
    yield huge;
  }
  await trainSae({
    config,
    batches: goodThenHuge(),
    steps: 3,
    session: { threads: 1 },
    checkpointDir: nanDir,
    checkpointEvery: 1,
  }).then(
    () => assert.unreachable(),
    (e: Error) => {
      const m =
        /loss is (NaN|Infinity) at step (\d+); training stopped, the last good checkpoint \(step (\d+)\) is kept/.exec(
          e.message,
        );
      assert.ok(m, e.message);
      failedAt = Number(m[2]);
      assert.is(failedAt, 3);
      assert.is(Number(m[3]), 2);
    },
  );
  await trainSae({
    config: { ...config, lr: 1e30 },
    batches: stream(() => huge, 2),
    steps: 2,
    session: { threads: 1 },
    checkpointDir: mkdtempSync(join(tmpdir(), 'sae-nan0-')),
  }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /at step 1; training stopped, before any checkpoint was written/),
  );
  const kept = await readSafetensors(join(nanDir, 'checkpoint.safetensors'));
  assert.is(Number(kept.metadata.step), failedAt - 1);
  assert.ok((kept.tensors.get('W_dec')!.data as Float32Array).every(Number.isFinite));
  const broken = mkdtempSync(join(tmpdir(), 'sae-broken-'));
  await writeSafetensors(
    join(broken, 'checkpoint.safetensors'),
    { W_enc: { dtype: 'float32', shape: [n, d], data: new Float32Array(n * d) } },
    { step: '1' },
  );
  await trainSae({ config, batches: it(), steps: 2, session: { threads: 1 }, checkpointDir: broken }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /checkpoint\.safetensors: tensor 'm\.W_enc' is missing/),
  );
  assert.throws(() => saeConfig({ d: 4, n: 2, k: 3 }), /k \(3\) exceeds n \(2\)/);
  assert.throws(() => saeConfig({ d: 0, n: 2, k: 1 }), /d must be a positive integer/);
});

test.run();
