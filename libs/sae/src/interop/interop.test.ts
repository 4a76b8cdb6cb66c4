import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@saetrace/engine';
import { SaeEncoder } from '../encoder.ts';
import { loadSae } from '../io.ts';
import { FIXTURE, denseCodes, reconstruct } from '../../fixtures/interop/shape.ts';
import {
  detectSaeFormat,
  exportSae,
  importSae,
  layerFromHook,
  sparsifyHookpoint,
  transformerLensHook,
  SAE_FORMATS,
} from './index.ts';

// fixtures/interop: an SAE, a sample with saetrace's codes, and its exports that verify.py loaded with
// SAELens 6.18.0, sparsify 1.3.0 and llm-jp-sae d9eb8c6 (verify.out.txt): these tests need no Python.
const FIX = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/interop');
const { d, n, k, rows } = FIXTURE;

async function sample(): Promise<{ x: Float32Array; codes: Float32Array; recon: Float32Array }> {
  const { tensors } = await readSafetensors(join(FIX, 'sample.safetensors'));
  const get = (name: string): Float32Array => tensors.get(name)?.data as Float32Array;
  return { x: get('x'), codes: get('codes'), recon: get('recon') };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

async function rejects(p: Promise<unknown>, re: RegExp, label = String(re)): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re, label);
    return;
  }
  assert.unreachable(`${label}: resolved`);
}

async function scratch(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'saetrace-interop-'));
}

test('each export is byte-identical to the committed one the real libraries loaded', async () => {
  const tmp = await scratch();
  try {
    for (const f of SAE_FORMATS) {
      await exportSae(join(FIX, 'saetrace'), f, join(tmp, f));
      const files = (await readdir(join(FIX, f))).sort();
      assert.equal((await readdir(join(tmp, f))).sort(), files, f);
      for (const file of files)
        assert.ok(
          Buffer.compare(await readFile(join(tmp, f, file)), await readFile(join(FIX, f, file))) === 0,
          `${f}/${file} differs from the verified fixture`,
        );
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('importing each committed export gives back codes and reconstruction within 1e-5, and the site', async () => {
  const s = await sample();
  const tmp = await scratch();
  try {
    for (const f of SAE_FORMATS) {
      assert.is(await detectSaeFormat(join(FIX, f)), f);
      const record = await importSae(join(FIX, f), join(tmp, f));
      assert.equal(
        [record.config.d, record.config.n, record.config.k, record.layer, record.model, record.checkpoint],
        [d, n, k, 3, 'fixture-model', 'step-100'],
        f,
      );
      assert.is(record.imported?.format, f);
      const { params } = await loadSae(join(tmp, f));
      const enc = await SaeEncoder.create(params, d, n, k, { threads: 1 });
      const codes = denseCodes(await enc.encode(s.x, rows), n);
      await enc.release();
      assert.ok(maxDiff(codes, s.codes) <= 1e-5, `${f} codes`);
      assert.ok(maxDiff(reconstruct(codes, params.W_dec, params.b_dec, rows, n, d), s.recon) <= 1e-5, `${f} recon`);
    }
    assert.is(await detectSaeFormat(join(FIX, 'saetrace')), 'saetrace');
    await rejects(importSae(join(FIX, 'saetrace'), join(tmp, 'again')), /already a saetrace SAE/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('hook names follow ../shared/SPEC.md section 2 sites both ways', () => {
  assert.equal(
    [transformerLensHook(0), transformerLensHook(3), sparsifyHookpoint(0), sparsifyHookpoint(3)],
    ['blocks.0.hook_resid_pre', 'blocks.2.hook_resid_post', 'embed_tokens', 'layers.2'],
  );
  for (const l of [0, 1, 7])
    assert.equal([layerFromHook(transformerLensHook(l)), layerFromHook(sparsifyHookpoint(l))], [l, l]);
  assert.is(layerFromHook('blocks.2.attn.hook_z'), undefined);
});

async function editedCopy(format: string, file: string, edit: (cfg: Record<string, unknown>) => void): Promise<string> {
  const tmp = await scratch();
  await cp(join(FIX, format), join(tmp, 'src'), { recursive: true });
  const p = join(tmp, 'src', file);
  const cfg = JSON.parse(await readFile(p, 'utf8')) as Record<string, unknown>;
  edit(cfg);
  await writeFile(p, JSON.stringify(cfg));
  return tmp;
}

test('imports refuse what saetrace cannot analyse, naming the file and key', async () => {
  const cases: Array<[string, string, (c: Record<string, unknown>) => void, RegExp]> = [
    [
      'saelens',
      'cfg.json',
      (c) => {
        c.architecture = 'jumprelu';
      },
      /cfg\.json: architecture is "jumprelu"/,
    ],
    [
      'saelens',
      'cfg.json',
      (c) => {
        c.normalize_activations = 'none';
      },
      /normalize_activations is "none".*--assume-unit-norm/,
    ],
    [
      'saelens',
      'cfg.json',
      (c) => {
        c.normalize_activations = 'layer_norm';
      },
      /"layer_norm" has no saetrace equivalent/,
    ],
    [
      'saelens',
      'cfg.json',
      (c) => {
        c.d_sae = 65;
      },
      /sae_weights\.safetensors: tensor 'W_enc' has shape \[16,64\], the config implies \[16,65\]/,
    ],
    [
      'sparsify',
      'cfg.json',
      (c) => {
        c.transcode = true;
      },
      /transcode is true/,
    ],
    [
      'sparsify',
      'cfg.json',
      (c) => {
        c.k = 0;
      },
      /key 'k' must be a positive integer, got 0/,
    ],
    [
      'llmjp',
      'config.json',
      (c) => {
        c.normalization = 'Standardization';
      },
      /normalization is "Standardization"/,
    ],
    [
      'llmjp',
      'config.json',
      (c) => {
        c.expansion_factor = 2;
      },
      /tensor 'encoder\.weight' has shape \[64,16\], the config implies \[32,16\]/,
    ],
  ];
  for (const [format, file, edit, re] of cases) {
    const tmp = await editedCopy(format, file, edit);
    try {
      await rejects(importSae(join(tmp, 'src'), join(tmp, 'out')), re, `${format}: ${re}`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
});

test('SAELens "none" imports unscaled with --assume-unit-norm; a missing site needs --layer', async () => {
  const tmp = await editedCopy('saelens', 'cfg.json', (c) => {
    c.normalize_activations = 'none';
    c.metadata = {};
  });
  try {
    await rejects(
      importSae(join(tmp, 'src'), join(tmp, 'a'), { assumeUnitNorm: true }),
      /activation site is not recorded; pass --layer/,
    );
    const r = await importSae(join(tmp, 'src'), join(tmp, 'b'), { assumeUnitNorm: true, origin: { layer: 5 } });
    assert.is(r.layer, 5);
    const { params } = await loadSae(join(tmp, 'b'));
    const { tensors } = await readSafetensors(join(FIX, 'saelens', 'sae_weights.safetensors'));
    assert.is(params.b_dec[0], (tensors.get('b_dec')!.data as Float32Array)[0]);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('pickled torch files and empty directories are refused with the fix', async () => {
  const tmp = await scratch();
  try {
    await writeFile(join(tmp, 'sae.pth'), 'not parsed');
    await rejects(detectSaeFormat(tmp), /sae\.pth: a pickled torch file.*safetensors\.torch\.save_file/);
    await rm(join(tmp, 'sae.pth'));
    await rejects(detectSaeFormat(tmp), /no SAE found: expected cfg\.json \+ sae_weights\.safetensors/);
    await rejects(detectSaeFormat(join(tmp, 'nope')), /no such directory/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('llm-jp-sae export refuses a latent count that is not a multiple of d_in', async () => {
  const tmp = await scratch();
  try {
    const { writeSaeFormat } = await import('./index.ts');
    const p = {
      W_enc: new Float32Array(10 * 4),
      b_enc: new Float32Array(10),
      W_dec: new Float32Array(10 * 4),
      b_dec: new Float32Array(4),
    };
    await rejects(
      writeSaeFormat(join(tmp, 'x'), 'llmjp', { params: p, d: 4, n: 10, k: 2, origin: {} }),
      /10 latents is not a multiple of d_in 4/,
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test.run();
