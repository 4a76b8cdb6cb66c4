import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '@saetrace/engine';
import { saeConfig } from './config.ts';
import { SaeEncoder } from './encoder.ts';
import { evaluateSae } from './evaluate.ts';
import { trainSae } from './trainer.ts';

// The authors' llm-jp-sae trained on the same real activations, batches and settings (fixtures/authors/README.md).
const dir = join(import.meta.dirname, '..', 'fixtures', 'authors');
const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as {
  n: number;
  k: number;
  batchSize: number;
  steps: number;
  lr: number;
  warmupSteps: number;
  saetraceSeeds: number[];
};
const reference = JSON.parse(readFileSync(join(dir, 'fvu.json'), 'utf8')) as { fvu: number };

function unitRows(x: Float32Array, d: number): Float32Array {
  for (let r = 0; r < x.length / d; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < d; i++) x[r * d + i]! *= inv;
  }
  return x;
}

test("held-out FVU within 2% (relative) of the authors' llm-jp-sae on the same sample, batches and settings", async () => {
  const { tensors } = await readSafetensors(join(dir, 'sample.safetensors'));
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`${join(dir, 'sample.safetensors')}: tensor '${name}' is missing`);
    return t;
  };
  const train = get('train');
  const heldout = get('heldout');
  const order = get('order').data as Int32Array;
  const d = train.shape[1]!;
  const trainX = unitRows(Float32Array.from(train.data as Float32Array), d);
  const heldX = unitRows(Float32Array.from(heldout.data as Float32Array), d);
  const B = settings.batchSize;
  assert.is(order.length, settings.steps * B, 'order covers every step');
  const fvus: number[] = [];
  for (const seed of settings.saetraceSeeds) {
    const config = saeConfig({
      d,
      n: settings.n,
      k: settings.k,
      lr: settings.lr,
      warmupSteps: settings.warmupSteps,
      batchSize: B,
      seed,
    });
    async function* batches() {
      for (let s = 0; s < settings.steps; s++) {
        const x = new Float32Array(B * d);
        for (let r = 0; r < B; r++) x.set(trainX.subarray(order[s * B + r]! * d, (order[s * B + r]! + 1) * d), r * d);
        yield x;
      }
    }
    const r = await trainSae({ config, batches: batches(), steps: settings.steps, session: { threads: 2 } });
    const enc = await SaeEncoder.create(r.params, d, settings.n, settings.k, { threads: 2 });
    try {
      fvus.push((await evaluateSae(enc, [heldX])).fvu);
    } finally {
      await enc.release();
    }
  }
  const fvu = fvus.reduce((a, b) => a + b, 0) / fvus.length;
  const rel = Math.abs(fvu - reference.fvu) / reference.fvu;
  assert.ok(
    rel <= 0.02,
    `saetrace held-out FVU ${fvu.toFixed(5)} (seeds ${fvus.map((v) => v.toFixed(5)).join(', ')}) vs the authors' ${reference.fvu.toFixed(5)}: ${(100 * rel).toFixed(2)}% apart`,
  );
});

test.run();
