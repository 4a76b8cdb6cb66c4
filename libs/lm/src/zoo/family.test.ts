import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FAMILY_PROFILES,
  familyCorpusRoot,
  flopParams,
  logSpacedSteps,
  memberFingerprint,
  seededFamily,
  type FamilyProfile,
} from './family.ts';
import { windowsSeen } from './train.ts';
import {
  checkedMember,
  FAMILY_LOCK,
  lockFamilyDir,
  readFamilyManifest,
  trainFamily,
  type FamilyManifest,
} from './family-run.ts';

test('log-spaced steps start at 1, end at the last step, and are distinct and increasing', () => {
  const s = logSpacedSteps(1500, 10);
  assert.is(s.length, 10);
  assert.is(s[0], 1);
  assert.is(s.at(-1), 1500);
  for (let i = 1; i < s.length; i++) assert.ok((s[i] as number) > (s[i - 1] as number));
  assert.equal(logSpacedSteps(5, 8), [1, 2, 3, 4, 5]);
  assert.throws(() => logSpacedSteps(0, 8), /positive integer/);
  assert.throws(() => logSpacedSteps(10, 1), />= 2/);
});

test('the default family has five sizes as LLM-jp-3 does, growing in width and compute, never shrinking in depth; the largest has >= 6 blocks and width >= 192', () => {
  const m = FAMILY_PROFILES.default.members;
  assert.is(m.length, 5);
  // l+ sits between l (5 blocks) and xl (6 blocks), so two neighbours may share a depth.
  for (let i = 1; i < m.length; i++) {
    assert.ok(
      m[i]!.hiddenSize > m[i - 1]!.hiddenSize && m[i]!.layers >= m[i - 1]!.layers,
      `${m[i]!.size} after ${m[i - 1]!.size}`,
    );
    assert.ok(flopParams(m[i]!, 8192) > flopParams(m[i - 1]!, 8192));
  }
  const last = m.at(-1)!;
  assert.ok(last.layers >= 6 && last.hiddenSize >= 192);
  for (const p of Object.values(FAMILY_PROFILES))
    for (const x of p.members) {
      assert.is(x.hiddenSize % x.heads, 0);
      assert.is(x.heads % x.kvHeads, 0);
    }
});

test("default-2: the prose corpus, the clip, one step count for every size (as LLM-jp-3 trains each on the same tokens); its members are default's rows, under other fingerprints", () => {
  const d1 = FAMILY_PROFILES.default;
  const d2 = FAMILY_PROFILES['default-2'];
  assert.is(familyCorpusRoot(d2), 'data/corpus-prose');
  assert.is(familyCorpusRoot(d1), 'data/corpus');
  assert.is(d2.gradClip, 1);
  assert.equal(
    d2.members.map((m) => m.size),
    d1.members.map((m) => m.size),
  );
  assert.is(new Set(d2.members.map((m) => m.steps)).size, 1);
  for (const m of d2.members) {
    const { steps: _s, ...shape } = m;
    const { steps: _t, ...was } = d1.members.find((x) => x.size === m.size)!;
    assert.equal(shape, was);
    assert.is.not(memberFingerprint(d2, m), memberFingerprint(d1, d1.members.find((x) => x.size === m.size)!));
  }
});

test('windowsSeen: steps x batch windows, each window once per epoch, another order in the next epoch and per member', () => {
  const p = FAMILY_PROFILES.smoke;
  const [a, b] = p.members as [(typeof p.members)[number], (typeof p.members)[number]];
  const count = 50; // 24 steps x 8 = 192 windows: three full epochs and part of a fourth
  const seen = windowsSeen(p, a, count);
  assert.is(seen.length, a.steps * p.batch);
  for (let e = 0; e < 3; e++)
    assert.equal(
      [...seen.slice(e * count, (e + 1) * count)].sort((x, y) => x - y),
      Array.from({ length: count }, (_, i) => i),
      `epoch ${e}`,
    );
  assert.not.equal(seen.slice(0, count), seen.slice(count, 2 * count));
  assert.not.equal(windowsSeen(p, b, count).slice(0, count), seen.slice(0, count));
  assert.equal(windowsSeen(p, a, count), seen, 'a pure function of the profile and member');
});

test('lockFamilyDir: a second training of the same directory is refused naming the holder; a dead holder is taken over', () => {
  const dir = mkdtempSync(join(tmpdir(), 'family-lock-'));
  const release = lockFamilyDir(dir);
  assert.throws(
    () => lockFamilyDir(dir),
    new RegExp(`train\\.lock: process ${process.pid} is training this family now`),
  );
  release();
  lockFamilyDir(dir)();
  // A pid no process has: the lock is stale and taken over.
  writeFileSync(join(dir, FAMILY_LOCK), '2147483646\n');
  const again = lockFamilyDir(dir);
  assert.is(readFileSync(join(dir, FAMILY_LOCK), 'utf8'), `${process.pid} ${hostname()}\n`);
  again();
  // Another node's lock on a shared cache: its pid cannot be checked here, so it is taken as training.
  writeFileSync(join(dir, FAMILY_LOCK), '2147483646 other-node\n');
  assert.throws(() => lockFamilyDir(dir), /process 2147483646 on other-node is training this family now/);
  rmSync(join(dir, FAMILY_LOCK));
  rmSync(dir, { recursive: true });
});

test('memberFingerprint: equal definitions agree; a changed step count, width or profile setting changes it', () => {
  const p = FAMILY_PROFILES.default;
  const m = p.members[0]!;
  const base = memberFingerprint(p, m);
  assert.is(memberFingerprint(JSON.parse(JSON.stringify(p)), { ...m }), base);
  assert.is.not(memberFingerprint(p, { ...m, steps: m.steps + 1 }), base);
  assert.is.not(memberFingerprint(p, { ...m, hiddenSize: m.hiddenSize + 8 }), base);
  assert.is.not(memberFingerprint({ ...p, batch: p.batch * 2 }, m), base);
  // Other members do not enter a member's fingerprint.
  assert.is(memberFingerprint({ ...p, members: [m] }, m), base);
});

test('checkedMember: a member of this definition is used, a missing one is null, one of another definition is refused naming the file', () => {
  const p = FAMILY_PROFILES.default;
  const m = p.members[0]!;
  const row = (fingerprint: string) => ({
    size: m.size,
    hiddenSize: m.hiddenSize,
    layers: m.layers,
    steps: m.steps,
    fingerprint,
    checkpoints: [],
    losses: [],
    evalPerplexity: { perLang: {}, overall: 1 },
    trainSeconds: 1,
    tokensPerSecond: 1,
    flopsPerSecond: 1,
  });
  const manifest = (fp: string) =>
    ({
      profile: 'default',
      pair: 'en-ja',
      languages: ['en', 'ja'],
      seed: 1,
      tokenizer: 't',
      data: { windows: 1, seqLen: 1, documents: 1, bilingualDocuments: 0 },
      members: [row(fp)],
    }) as unknown as FamilyManifest;
  assert.is(checkedMember(manifest(memberFingerprint(p, m)), 'x/family.json', p, m.size)?.size, m.size);
  assert.is(checkedMember(manifest(memberFingerprint(p, m)), 'x/family.json', p, 'xl'), null);
  assert.throws(
    () => checkedMember(manifest('0123456789abcdef'), 'cache/zoo/en-ja/default/family.json', p, m.size),
    /cache\/zoo\/en-ja\/default\/family\.json: member 's' was trained under another definition of the default profile \(fingerprint 0123456789abcdef, this code's [0-9a-f]{16}\); move cache\/zoo\/en-ja\/default away/,
  );
  // A manifest from before fingerprints (none recorded) is refused too.
  assert.throws(() => checkedMember(manifest(undefined as unknown as string), 'f.json', p, m.size), /fingerprint none/);
});

test('a family training that fails before writing anything leaves no empty directory; an existing one stays', () => {
  const parent = mkdtempSync(join(tmpdir(), 'fam-empty-'));
  const fresh = join(parent, 'default');
  lockFamilyDir(fresh)();
  assert.not.ok(existsSync(fresh));
  const kept = lockFamilyDir(parent);
  kept();
  assert.ok(existsSync(parent));
  rmSync(parent, { recursive: true });
});

test('a damaged family.json names the file and says it is rewritten from the members', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fam-bad-'));
  const p = join(dir, 'family.json');
  writeFileSync(p, '{"profile": "default", "members": [');
  assert.throws(
    () => readFamilyManifest(p),
    /family\.json: is not valid JSON at line 1, column 36 .*; delete .*family\.json and run again: it is rewritten from the members' checkpoints and training states \(a member whose training completed is not retrained\)/,
  );
  writeFileSync(p, '{"profile": "default", "pair": "en-ja", "members": {}}');
  assert.throws(() => readFamilyManifest(p), /has the wrong shape: field 'members' is missing or of the wrong type/);
  rmSync(dir, { recursive: true });
});

test('seededFamily: the own seed is the profile itself; another is the profile under that seed, in its own directory', () => {
  const p = FAMILY_PROFILES.default;
  assert.equal(seededFamily(p, undefined), { profile: p, dirName: 'default' });
  assert.equal(seededFamily(p, p.seed), { profile: p, dirName: 'default' });
  const s = seededFamily(p, 1235);
  assert.equal(s, { profile: { ...p, seed: 1235 }, dirName: 'default-seed1235' });
  // The seed enters every member's fingerprint, so one family is never taken for the other.
  assert.is.not(memberFingerprint(s.profile, p.members[0]!), memberFingerprint(p, p.members[0]!));
  assert.throws(() => seededFamily(p, -1), /non-negative integer/);
});

test('a family trained size by size keeps every member in its manifest; a member of another seed trains apart', async () => {
  const tiny: FamilyProfile = {
    ...FAMILY_PROFILES.smoke,
    checkpoints: 2,
    members: [
      { size: 'a', hiddenSize: 16, layers: 1, heads: 1, kvHeads: 1, intermediateSize: 32, steps: 2, peakLr: 3e-3 },
      { size: 'b', hiddenSize: 16, layers: 2, heads: 1, kvHeads: 1, intermediateSize: 32, steps: 2, peakLr: 3e-3 },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), 'fam-sizes-'));
  const common = {
    pair: 'en-ja',
    corpusRoot: 'data/corpus',
    tokenizerDir: 'data/tokenizer/en-ja',
    threads: 1,
    evalDocs: 2,
  };
  await trainFamily({ ...common, profile: tiny, outDir: dir, sizes: ['b'] });
  const m = await trainFamily({ ...common, profile: tiny, outDir: dir, sizes: ['a'] });
  assert.equal(
    m.members.map((x) => x.size),
    ['a', 'b'],
  );
  assert.equal(
    readFamilyManifest(join(dir, 'family.json')).members.map((x) => x.size),
    ['a', 'b'],
  );
  rmSync(dir, { recursive: true });
});

test.run();
