import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlamaModel } from './model.ts';

// Reference outputs written by Hugging Face transformers (libs/lm/fixtures/hf/generate.py, versions in
// its README.md): saetrace loads each checkpoint as a user would and must reproduce them, without Python.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'hf');
const VARIANTS = [
  'f32',
  'tied',
  'bf16',
  'theta500k',
  'linear2',
  'llama3',
  'bias',
  'mha',
  'mqa',
  'headdim',
  'sharded',
  'legacy',
];
const TOL = 1e-4;

interface Reference {
  readonly ids: number[][];
  readonly logits: number[];
  readonly sites: number[][];
  readonly nll: number[];
  readonly greedy: number[][];
}

/** max |got - want| / max |want|: one relative error per tensor, robust to entries near zero. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.is(got.length, want.length, 'length');
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs((got[i] as number) - (want[i] as number)));
    den = Math.max(den, Math.abs(want[i] as number));
  }
  return num / den;
}

for (const v of VARIANTS) {
  test(`transformers fixture ${v}: logits, every site, NLL and greedy ids`, async () => {
    const dir = join(ROOT, v);
    const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
    const model = await LlamaModel.load(dir);
    try {
      const B = ref.ids.length;
      const T = (ref.ids[0] as number[]).length;
      const tokens = Int32Array.from(ref.ids.flat());
      const L = model.numLayers;
      assert.is(ref.sites.length, L + 1, 'one reference per site 0..L');
      const check = (what: string, got: ArrayLike<number>, want: number[]) => {
        const e = relErr(got, want);
        assert.ok(e <= TOL, `${v}: ${what} relative error ${e.toExponential(2)} > ${TOL}`);
      };
      check('logits', await model.logitsWithDelta(tokens, B, T, 0, null), ref.logits);
      const sites = Array.from({ length: L + 1 }, (_, l) => l);
      const taps = await model.tap(tokens, B, T, sites);
      for (const l of sites) check(`site ${l}`, taps.get(l) as Float32Array, ref.sites[l] as number[]);
      check('nll', await model.nllWithDelta(tokens, B, T, 0, null), ref.nll);
      const greedy = await model.generateBatch(
        ref.ids,
        ref.greedy.reduce((m, g) => Math.max(m, g.length), 0),
      );
      // A row that met EOS stopped early in the reference; generateBatch stops the same way.
      assert.equal(greedy, ref.greedy, `${v}: greedy ids`);
    } finally {
      await model.release();
    }
  });
}

test('the relative error is taken over the whole tensor and fails on a real difference', () => {
  assert.is(relErr([1, 2, -4], [1, 2, -4]), 0);
  assert.ok(Math.abs(relErr([1, 2.04, -4], [1, 2, -4]) - 0.01) < 1e-12);
});

test.run();
