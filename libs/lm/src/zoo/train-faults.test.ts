import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type TensorData } from '@saetrace/engine';
import type { FamilyProfile } from './family.ts';
import type { TrainingTokens } from './tokens.ts';
import { STATE_FILE } from './train-state.ts';
import { trainMember } from './train.ts';

// The same tiny member as train.test.ts: 12 steps, checkpoints at 1, 2, 5 and 12.
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
const member = profile.members[0]!;

function data(): TrainingTokens {
  const count = 40;
  const windows = new Int32Array(count * profile.seqLen);
  for (let w = 0; w < count; w++)
    for (let t = 0; t < profile.seqLen; t++) windows[w * profile.seqLen + t] = 3 + ((w * 7 + t) % 29);
  return { windows, count, seqLen: profile.seqLen, documents: count, bilingualDocuments: 0, key: 'test' };
}

class Killed extends Error {}

/** A pid no process has now: a child's, after it exited. */
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number;

/** Every file of a trained member directory, by relative path, for byte comparison. */
function filesOf(dir: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of filesOf(dir, r)) out.set(k, v);
    else out.set(r, readFileSync(join(dir, r)));
  }
  return out;
}

const run = (outDir: string, faultPoint?: (label: string) => void) =>
  trainMember({
    profile,
    member,
    data: data(),
    vocabSize: 32,
    outDir,
    threads: 1,
    ...(faultPoint ? { faultPoint } : {}),
  });

test('killed at every point between two writes, in turn, training resumes each time and ends with the same bytes as an uninterrupted run', async () => {
  const ref = mkdtempSync(join(tmpdir(), 'zoo-ref-'));
  const points: string[] = [];
  await run(ref, (label) => points.push(label));
  const want = filesOf(join(ref, 'tiny'));
  // 12 steps, and per checkpoint (1, 2, 5, 12) its 3 files and the state.
  assert.is(points.length, 12 + 4 * 4);

  // One directory, killed at each point once: each run dies at the first point not yet killed at, and the
  // next resumes from whatever the kill left there.
  const dir = mkdtempSync(join(tmpdir(), 'zoo-kill-'));
  const killedAt = new Set<string>();
  let runs = 0;
  for (;;) {
    runs++;
    let kill: string | null = null;
    try {
      await run(dir, (label) => {
        if (!killedAt.has(label)) {
          kill = label;
          killedAt.add(label);
          throw new Killed(label);
        }
      });
      break;
    } catch (e) {
      if (!(e instanceof Killed)) throw e;
      assert.ok(kill !== null);
      // A real kill can also leave half a file under a temp name (writes rename into place): one of a
      // process that is gone is beside the state, and must be neither read nor left behind.
      if (existsSync(join(dir, 'tiny/train-state')))
        writeFileSync(join(dir, 'tiny/train-state', `${STATE_FILE}.${deadPid}.0badf00d.tmp`), 'half a state');
    }
    assert.ok(runs <= points.length + 1, 'no progress');
  }
  assert.equal([...killedAt], points, 'every point was killed at once, in order');
  const got = filesOf(join(dir, 'tiny'));
  assert.equal([...got.keys()].sort(), [...want.keys()].sort());
  const differ = [...want].filter(([k, v]) => !got.get(k)?.equals(v)).map(([k]) => k);
  assert.equal(differ, [], `files that differ from the uninterrupted run: ${differ.join(', ')}`);
  console.log(
    `chained kills: ${points.length} kill points, ${runs - 1} kills and resumes in ${runs} runs; files differing from the uninterrupted run at the end: ${differ.length}`,
  );
  rmSync(ref, { recursive: true });
  rmSync(dir, { recursive: true });
});

test('each kill point on its own: a run killed there and resumed once ends with the same bytes', async () => {
  const ref = mkdtempSync(join(tmpdir(), 'zoo-ref-'));
  const points: string[] = [];
  await run(ref, (label) => points.push(label));
  const want = readFileSync(join(ref, 'tiny/step-000012/model.safetensors'));
  const wantState = readFileSync(join(ref, 'tiny/train-state', STATE_FILE));
  let matched = 0;
  // Every third point keeps the test short; the chained test above covers all of them.
  const chosen = points.filter((_, i) => i % 3 === 0);
  for (const p of chosen) {
    const dir = mkdtempSync(join(tmpdir(), 'zoo-one-'));
    await run(dir, (label) => {
      if (label === p) throw new Killed(label);
    }).then(
      () => assert.unreachable(`no kill at ${p}`),
      (e: unknown) => {
        if (!(e instanceof Killed)) throw e;
      },
    );
    await run(dir);
    if (
      readFileSync(join(dir, 'tiny/step-000012/model.safetensors')).equals(want) &&
      readFileSync(join(dir, 'tiny/train-state', STATE_FILE)).equals(wantState)
    )
      matched++;
    rmSync(dir, { recursive: true });
  }
  console.log(`single kills: ${chosen.length} points; resumed runs whose final weights and state matched: ${matched}`);
  assert.is(matched, chosen.length);
  rmSync(ref, { recursive: true });
});

/** Rewrites a member's state in the earlier four-file format, as the code before this one wrote it. */
async function toLegacy(stateDir: string, fingerprintOverride?: string): Promise<void> {
  const file = join(stateDir, STATE_FILE);
  const { tensors, metadata } = await readSafetensors(file);
  for (const [prefix, name] of [
    ['param.', 'params'],
    ['m.', 'm'],
    ['v.', 'v'],
  ] as const) {
    const t: Record<string, TensorData> = {};
    for (const [k, v] of tensors) if (k.startsWith(prefix)) t[k.slice(prefix.length)] = v;
    await writeSafetensors(join(stateDir, `${name}.safetensors`), t);
  }
  writeFileSync(
    join(stateDir, 'state.json'),
    `${JSON.stringify({ step: Number(metadata.step), losses: JSON.parse(metadata.losses!), fingerprint: fingerprintOverride ?? metadata.fingerprint }, null, 2)}\n`,
  );
  rmSync(file);
}

test('a state in the earlier four-file format resumes to the same bytes when whole, is replaced by the one-file state, and is refused when a kill mixed two steps', async () => {
  const ref = mkdtempSync(join(tmpdir(), 'zoo-ref-'));
  await run(ref);
  const want = readFileSync(join(ref, 'tiny/step-000012/model.safetensors'));
  const dir = mkdtempSync(join(tmpdir(), 'zoo-legacy-'));
  await trainMember({ profile, member, data: data(), vocabSize: 32, outDir: dir, threads: 1, stopAfter: 7 });
  const stateDir = join(dir, 'tiny/train-state');
  await toLegacy(stateDir);
  const r = await run(dir);
  assert.is(r.resumedFrom, 5);
  assert.ok(
    readFileSync(join(dir, 'tiny/step-000012/model.safetensors')).equals(want),
    'resumed from the earlier format, the weights differ',
  );
  assert.equal(readdirSync(stateDir), [STATE_FILE], 'the earlier format is removed once the new state is written');

  // A kill after params.safetensors of step 5 but before state.json: params of step 5 under state.json of step 2.
  const mixed = mkdtempSync(join(tmpdir(), 'zoo-mixed-'));
  await trainMember({ profile, member, data: data(), vocabSize: 32, outDir: mixed, threads: 1, stopAfter: 2 });
  const mixedState = join(mixed, 'tiny/train-state');
  await toLegacy(mixedState);
  const later = await readSafetensors(join(mixed, 'tiny/step-000002/model.safetensors'));
  const shifted: Record<string, TensorData> = {};
  for (const [k, v] of later.tensors)
    shifted[k] = { ...v, data: Float32Array.from(v.data as Float32Array, (x) => x * 1.01) };
  await writeSafetensors(join(mixedState, 'params.safetensors'), shifted);
  const err = await run(mixed).then(
    () => null,
    (e: Error) => e,
  );
  assert.match(
    err?.message ?? 'no error',
    /state\.json: a training state in the earlier four-file format whose params\.safetensors is not the weights of its step 2 .*move .* away and the member trains anew from step 0/,
  );

  // Of another definition: refused naming the file, as before.
  await toLegacy(stateDir, 'other');
  const other = await run(dir).then(
    () => null,
    (e: Error) => e,
  );
  assert.match(
    other?.message ?? 'no error',
    /train-state\/state\.json: this training state is of another definition of member 'tiny'/,
  );
  assert.ok(existsSync(join(stateDir, 'state.json')));
  for (const d of [ref, dir, mixed]) rmSync(d, { recursive: true });
});

test.run();
