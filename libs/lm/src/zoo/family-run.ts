import type { TrainLoss } from './train-state.ts';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fields, isArray, isString, pidAlive, readJsonRecord, runRng, writeJsonAtomic } from '@saetrace/engine';
import { LlamaModel } from '../llama/model.ts';
import { loadTokenizer } from '../tokenizer/index.ts';
import { documentPerplexity, EVAL_DOCS, evalDocuments, type LanguagePerplexity } from './eval.ts';
import { memberFingerprint, type FamilyProfile } from './family.ts';
import { trainingTokens } from './tokens.ts';
import { trainMember, type MemberResult } from './train.ts';

export interface FamilyManifest {
  readonly profile: FamilyProfile['name'];
  readonly pair: string;
  readonly languages: readonly [string, string];
  readonly seed: number;
  readonly tokenizer: string;
  readonly data: {
    readonly windows: number;
    readonly seqLen: number;
    readonly documents: number;
    readonly bilingualDocuments: number;
  };
  readonly members: readonly {
    readonly size: string;
    readonly hiddenSize: number;
    readonly layers: number;
    readonly steps: number;
    /** memberFingerprint of the definition the member was trained under. */
    readonly fingerprint: string;
    readonly checkpoints: readonly { readonly step: number; readonly tokens: number; readonly dir: string }[];
    readonly losses: readonly TrainLoss[];
    readonly evalPerplexity: LanguagePerplexity;
    readonly trainSeconds: number;
    readonly tokensPerSecond: number;
    readonly flopsPerSecond: number;
  }[];
}

/** What to do about a damaged family.json: it is only a record of the members' own checkpoints and training states. */
export const FAMILY_FIX = (path: string): string =>
  `delete ${path} and run again: it is rewritten from the members' checkpoints and training states (a member whose training completed is not retrained)`;

/** Reads a family.json, naming it (and what to do) when it is damaged. */
export function readFamilyManifest(path: string): FamilyManifest {
  return readJsonRecord<FamilyManifest>(
    path,
    FAMILY_FIX(path),
    fields({ profile: isString, pair: isString, members: isArray }),
  );
}

/**
 * The manifest's member `size`, checked against this code's definition of it: a family trained under another
 * definition of the profile (other steps, sizes or settings) is refused, naming the file, rather than used.
 */
export function checkedMember(
  manifest: FamilyManifest,
  manifestPath: string,
  profile: FamilyProfile,
  size: string,
): FamilyManifest['members'][number] | null {
  const have = manifest.members.find((x) => x.size === size);
  if (!have) return null;
  const m = profile.members.find((x) => x.size === size);
  if (!m)
    throw new Error(
      `${manifestPath}: member '${size}' is not in this code's ${profile.name} profile (${profile.members.map((x) => x.size).join(', ')})`,
    );
  const want = memberFingerprint(profile, m);
  if (have.fingerprint !== want)
    throw new Error(
      `${manifestPath}: member '${size}' was trained under another definition of the ${profile.name} profile (fingerprint ${have.fingerprint ?? 'none'}, this code's ${want}); move ${dirname(manifestPath)} away to train the family anew`,
    );
  return have;
}

/** The lock a family training holds in its output directory. */
export const FAMILY_LOCK = 'train.lock';

/**
 * Takes the output directory's training lock (a file holding this process's pid), or throws naming the
 * process that holds it: two runs resuming the same members would both train them (at half speed each,
 * writing the same files). A lock whose process is gone is taken over. Returns the release function.
 */
export function lockFamilyDir(outDir: string): () => void {
  // A directory this lock created is removed again on release when nothing else was written into it (a
  // training that failed before its first file), so no empty cache entry is left behind.
  const created = !existsSync(outDir);
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, FAMILY_LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid} ${hostname()}\n`);
      closeSync(fd);
      return () => {
        rmSync(path, { force: true });
        if (created && readdirSync(outDir).length === 0) rmSync(outDir, { recursive: true, force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pidText, host] = readFileSync(path, 'utf8').trim().split(/\s+/);
      const pid = Number.parseInt(pidText ?? '', 10);
      // On a cache shared by several nodes a pid of another host cannot be checked here: taken as training.
      const elsewhere = host !== undefined && host !== hostname();
      if (elsewhere || pidAlive(pid))
        throw new Error(
          `${path}: process ${pid}${elsewhere ? ` on ${host}` : ''} is training this family now; wait for it to finish (its checkpoints are then reused), or delete the file if that process is not a training`,
        );
      rmSync(path, { force: true });
    }
  }
  throw new Error(`${path}: could not take the training lock`);
}

/** Trains every member of a profile (or the named sizes), evaluates final perplexity, and writes family.json. */
export async function trainFamily(options: {
  readonly profile: FamilyProfile;
  readonly pair: string;
  readonly corpusRoot: string;
  readonly tokenizerDir: string;
  readonly outDir: string;
  readonly sizes?: readonly string[];
  readonly threads?: number;
  readonly evalDocs?: number;
  readonly onProgress?: (size: string, step: number, steps: number, loss: number) => void;
}): Promise<FamilyManifest> {
  const { profile } = options;
  const languages = options.pair.split('-') as [string, string];
  if (languages.length !== 2) throw new Error(`trainFamily: pair must look like en-ja, got '${options.pair}'`);
  const release = lockFamilyDir(options.outDir);
  try {
    return await trainLocked(options, profile, languages);
  } finally {
    release();
  }
}

async function trainLocked(
  options: Parameters<typeof trainFamily>[0],
  profile: FamilyProfile,
  languages: [string, string],
): Promise<FamilyManifest> {
  const corpusDir = join(options.corpusRoot, options.pair);
  const tokenizer = await loadTokenizer(options.tokenizerDir);
  const tokenizerKey = createHash('sha256')
    .update(readFileSync(join(options.tokenizerDir, 'tokenizer.json')))
    .digest('hex');
  const data = await trainingTokens({
    corpusDir,
    languages,
    tokenizer,
    tokenizerKey,
    seqLen: profile.seqLen,
    parallelShare: profile.parallelShare,
    rng: runRng(profile.seed).stream('data'),
    cacheDir: join(options.outDir, 'data'),
  });
  const evalDocs = await evalDocuments(corpusDir, languages, options.evalDocs ?? EVAL_DOCS);
  const unknown = (options.sizes ?? []).filter((s) => !profile.members.some((m) => m.size === s));
  if (unknown.length)
    throw new Error(
      `trainFamily: unknown size ${unknown.join(', ')} (profile ${profile.name} has ${profile.members.map((m) => m.size).join(', ')})`,
    );
  const members: FamilyManifest['members'][number][] = [];
  for (const m of profile.members) {
    if (options.sizes && options.sizes.length && !options.sizes.includes(m.size)) continue;
    const r: MemberResult = await trainMember({
      profile,
      member: m,
      data,
      vocabSize: tokenizer.vocabSize,
      outDir: options.outDir,
      tokenizerDir: options.tokenizerDir,
      threads: options.threads,
      onProgress: (s, l) => options.onProgress?.(m.size, s, m.steps, l),
    });
    const final = r.checkpoints.at(-1);
    if (!final) throw new Error(`trainFamily: member ${m.size} saved no checkpoint`);
    const model = await LlamaModel.load(final.dir, { threads: options.threads });
    const ppl = await documentPerplexity(model, tokenizer, evalDocs, profile.seqLen);
    await model.release();
    members.push({
      size: m.size,
      hiddenSize: m.hiddenSize,
      layers: m.layers,
      steps: m.steps,
      fingerprint: r.fingerprint,
      checkpoints: r.checkpoints,
      losses: r.losses,
      evalPerplexity: ppl,
      trainSeconds: r.trainSeconds,
      tokensPerSecond: r.tokensPerSecond,
      flopsPerSecond: r.flopsPerSecond,
    });
  }
  // A run of some sizes keeps the members an earlier run trained (still this profile's definition), so a
  // family trained size by size ends with every member in its manifest.
  const manifestPath = join(options.outDir, 'family.json');
  if (options.sizes?.length && existsSync(manifestPath)) {
    const earlier = readFamilyManifest(manifestPath);
    for (const m of profile.members)
      if (!members.some((x) => x.size === m.size)) {
        const kept = checkedMember(earlier, manifestPath, profile, m.size);
        if (kept) members.push(kept);
      }
    members.sort(
      (a, b) =>
        profile.members.findIndex((m) => m.size === a.size) - profile.members.findIndex((m) => m.size === b.size),
    );
  }
  const manifest: FamilyManifest = {
    profile: profile.name,
    pair: options.pair,
    languages,
    seed: profile.seed,
    tokenizer: tokenizerKey,
    data: {
      windows: data.count,
      seqLen: data.seqLen,
      documents: data.documents,
      bilingualDocuments: data.bilingualDocuments,
    },
    members,
  };
  await writeJsonAtomic(manifestPath, manifest);
  return manifest;
}
