import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlamaModel } from '../llama/model.ts';
import type { FamilyProfile } from './family.ts';
import type { TrainingTokens } from './tokens.ts';
import { saveInitCheckpoint, trainFlopsPerToken, trainMember } from './train.ts';

const profile: FamilyProfile = {
  name: 'smoke',
  vocabSize: 32,
  seqLen: 9,
  batch: 4,
  warmupSteps: 2,
  parallelShare: 0,
  checkpoints: 4,
  weightDecay: 0.1,
  seed: 5,
  members: [
    { size: 'tiny', hiddenSize: 16, layers: 2, heads: 2, kvHeads: 1, intermediateSize: 32, steps: 12, peakLr: 1e-2 },
  ],
};

/** A learnable stream: each window counts upward modulo the vocabulary from a random start. */
function data(): TrainingTokens {
  const count = 40;
  const windows = new Int32Array(count * profile.seqLen);
  for (let w = 0; w < count; w++)
    for (let t = 0; t < profile.seqLen; t++) windows[w * profile.seqLen + t] = 3 + ((w * 7 + t) % 29);
  return { windows, count, seqLen: profile.seqLen, documents: count, bilingualDocuments: 0, key: 'test' };
}

test('a family member trains (loss falls), saves log-spaced HF checkpoints with tokens seen, and loads back', async () => {
  const out = mkdtempSync(join(tmpdir(), 'zoo-'));
  const r = await trainMember({
    profile,
    member: profile.members[0]!,
    data: data(),
    vocabSize: 32,
    outDir: out,
    threads: 1,
  });
  assert.is(r.losses.length, 12);
  assert.ok(r.losses.at(-1)!.loss < r.losses[0]!.loss - 0.5, `loss ${r.losses[0]!.loss} -> ${r.losses.at(-1)!.loss}`);
  assert.equal(
    r.checkpoints.map((c) => c.step),
    [1, 2, 5, 12],
  );
  const last = r.checkpoints.at(-1)!;
  assert.is(JSON.parse(readFileSync(join(last.dir, 'saetrace.json'), 'utf8')).tokens, 12 * 4 * 8);
  const m = await LlamaModel.load(last.dir, { threads: 1 });
  assert.is(m.numLayers, 2);
  await m.release();
  assert.ok(r.flopsPerSecond > 0 && r.tokensPerSecond > 0);
  assert.ok(trainFlopsPerToken(profile, profile.members[0]!, 32) > 0);
});

test('with gradClip every step records its gradient norm before clipping, the weights differ from unclipped, and the state resumes', async () => {
  const clipped: FamilyProfile = { ...profile, gradClip: 0.05 };
  const trainTiny = (p: FamilyProfile, outDir: string) =>
    trainMember({ profile: p, member: profile.members[0]!, data: data(), vocabSize: 32, outDir, threads: 1 });
  const outA = mkdtempSync(join(tmpdir(), 'zoo-clip-'));
  const outB = mkdtempSync(join(tmpdir(), 'zoo-noclip-'));
  const a = await trainTiny(clipped, outA);
  const b = await trainTiny(profile, outB);
  assert.ok(
    a.losses.every((l) => typeof l.gradNorm === 'number' && l.gradNorm > 0.05),
    'a norm above the cut each step',
  );
  assert.ok(b.losses.every((l) => l.gradNorm === undefined));
  // Step 1's loss is computed before any update, so it agrees; Adam's second step already sees clipped moments.
  assert.is(a.losses[0]!.loss, b.losses[0]!.loss);
  assert.ok(a.losses.slice(2).some((l, i) => l.loss !== b.losses[i + 2]!.loss));
  // A rerun resumes from the saved state (losses with norms read back), computing nothing.
  const again = await trainTiny(clipped, outA);
  assert.equal(again.losses, a.losses);
  rmSync(outA, { recursive: true });
  rmSync(outB, { recursive: true });
});

test('the step-0 checkpoint holds the weights training starts from (at learning rate 0 step 1 keeps them exactly)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'zoo-init-'));
  const frozen: FamilyProfile = { ...profile, members: [{ ...profile.members[0]!, peakLr: 0, steps: 1 }] };
  const r = await trainMember({
    profile: frozen,
    member: frozen.members[0]!,
    data: data(),
    vocabSize: 32,
    outDir: out,
    threads: 1,
  });
  const init = join(out, 'tiny', 'step-000000');
  await saveInitCheckpoint(init, frozen, frozen.members[0]!, 32);
  const a = readFileSync(join(init, 'model.safetensors'));
  const b = readFileSync(join(r.checkpoints[0]!.dir, 'model.safetensors'));
  assert.ok(a.equals(b), 'step-0 weights differ from the weights of a step at learning rate 0');
  assert.is(JSON.parse(readFileSync(join(init, 'saetrace.json'), 'utf8')).tokens, 0);
  // Another seed starts elsewhere; an existing directory is kept as it is.
  const other = join(out, 'other');
  await saveInitCheckpoint(other, { ...frozen, seed: 6 }, frozen.members[0]!, 32);
  assert.not.ok(readFileSync(join(other, 'model.safetensors')).equals(a));
  await saveInitCheckpoint(other, frozen, frozen.members[0]!, 32);
  assert.not.ok(readFileSync(join(other, 'model.safetensors')).equals(a), 'an existing step-0 directory was rewritten');
  const m = await LlamaModel.load(init, { threads: 1 });
  assert.is(m.numLayers, 2);
  await m.release();
  rmSync(out, { recursive: true });
});

test('an interrupted run resumes from its last checkpoint and ends with the same weights', async () => {
  const full = mkdtempSync(join(tmpdir(), 'zoo-full-'));
  const part = mkdtempSync(join(tmpdir(), 'zoo-part-'));
  await trainMember({ profile, member: profile.members[0]!, data: data(), vocabSize: 32, outDir: full, threads: 1 });
  const first = await trainMember({
    profile,
    member: profile.members[0]!,
    data: data(),
    vocabSize: 32,
    outDir: part,
    threads: 1,
    stopAfter: 7,
  });
  assert.is(first.losses.length, 7);
  // Steps after the last checkpoint (5) are lost with the interruption and redone.
  const second = await trainMember({
    profile,
    member: profile.members[0]!,
    data: data(),
    vocabSize: 32,
    outDir: part,
    threads: 1,
  });
  assert.is(second.resumedFrom, 5);
  const a = readFileSync(join(full, 'tiny/step-000012/model.safetensors'));
  const b = readFileSync(join(part, 'tiny/step-000012/model.safetensors'));
  assert.ok(a.equals(b), 'resumed weights differ from an uninterrupted run');
  rmSync(join(part, 'tiny/train-state'), { recursive: true });
  assert.not.ok(existsSync(join(part, 'tiny/train-state/state.safetensors')));
});

test('a training state of another member definition (here other steps) is refused, naming the state file, not resumed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zoo-redef-'));
  await trainMember({
    profile,
    member: profile.members[0]!,
    data: data(),
    vocabSize: 32,
    outDir: dir,
    threads: 1,
    stopAfter: 3,
  });
  const longer = { ...profile.members[0]!, steps: 20 };
  let err: Error | null = null;
  await trainMember({
    profile: { ...profile, members: [longer] },
    member: longer,
    data: data(),
    vocabSize: 32,
    outDir: dir,
    threads: 1,
  }).catch((e: Error) => {
    err = e;
  });
  assert.match(
    (err as Error | null)?.message ?? 'no error',
    /tiny\/train-state\/state\.safetensors: this training state is of another definition of member 'tiny'/,
  );
  // The same definition still resumes.
  const again = await trainMember({
    profile,
    member: profile.members[0]!,
    data: data(),
    vocabSize: 32,
    outDir: dir,
    threads: 1,
  });
  assert.is(again.resumedFrom, 2);
  rmSync(dir, { recursive: true });
});

test.run();
