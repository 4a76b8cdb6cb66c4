import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Progress, ProgressStage } from '@saetrace/engine';
import { formatMinutes, planLine } from './plan.ts';
import { extractStage, familyStages } from './progress-stages.ts';
import { readSpec } from './spec.ts';

function spec(id: string) {
  const r = readSpec(`en-ja/${id}`);
  if (!r.ok) throw new Error(`en-ja/${id} does not parse`);
  return r.spec;
}

test('the plan names the models to train, with minutes once an earlier family measured this machine', () => {
  const zoo = mkdtempSync(join(tmpdir(), 'saetrace-plan-'));
  try {
    const s = spec('figure3');
    const line = planLine(s, s.profiles.smoke, zoo);
    assert.match(
      line,
      /^en-ja\/figure3: train 2 models of the smoke family \(xxs \d+ steps, xs \d+ steps\); extract \d+ stores \(\d+ checkpoints x \d+ layers?, train and eval\); train and measure \d+ SAEs \(cached stages are reused\)$/,
    );
    mkdirSync(join(zoo, 'en-ko', 'smoke'), { recursive: true });
    writeFileSync(
      join(zoo, 'en-ko', 'smoke', 'family.json'),
      JSON.stringify({
        members: [
          { size: 'xxs', flopsPerSecond: 1e9 },
          { size: 'xs', flopsPerSecond: 1e9 },
        ],
      }),
    );
    assert.match(planLine(s, s.profiles.smoke, zoo), /xs \d+ steps; ~\d+ (s|min) here\)/);
    assert.match(
      planLine(spec('table2'), spec('table2').profiles.smoke, zoo),
      /train \d+ SAEs \(\d+ learning rates per size\)/,
    );
    assert.match(
      planLine(spec('table1'), spec('table1').profiles.smoke, zoo),
      /evaluate \d+ intervention settings x \d+ draws/,
    );
  } finally {
    rmSync(zoo, { recursive: true, force: true });
  }
  assert.equal([formatMinutes(20), formatMinutes(600), formatMinutes(9000)], ['20 s', '10 min', '2.5 h']);
});

function recorder(): { progress: Progress; events: string[] } {
  const events: string[] = [];
  const progress: Progress = {
    plan: (l) => events.push(`plan ${l}`),
    note: (l) => events.push(`note ${l}`),
    stage(name, total, unit, o): ProgressStage {
      events.push(`stage ${name} ${total} ${unit} from ${o?.startAt ?? 0} x${o?.tokensPerUnit ?? '-'}`);
      return {
        update: (d, f) => events.push(`update ${name} ${d}${f ? ` ${JSON.stringify(f)}` : ''}`),
        end: (s) => events.push(`end ${name} ${s}`),
      };
    },
  };
  return { progress, events };
}

test('familyStages opens one stage per member with tokens per step; extractStage opens on first batch', () => {
  const r = recorder();
  const f = familyStages(r.progress, { batch: 2, seqLen: 5 });
  f.onProgress('s', 1, 3, 9);
  f.onProgress('s', 3, 3, 7);
  f.onProgress('m', 1, 2, 8);
  f.end();
  assert.equal(r.events, [
    'stage family s 3 steps from 1 x8',
    'update family s 1 {"loss":9}',
    'update family s 3 {"loss":7}',
    'end family s 3 steps, loss 7.000',
    'stage family m 2 steps from 1 x8',
    'update family m 1 {"loss":8}',
    'end family m 1 steps, loss 8.000',
  ]);
  const e = recorder();
  const cb = extractStage(e.progress, 'extract');
  cb(32, 64);
  cb(64, 64);
  assert.equal(e.events, [
    'stage extract 64 docs from 0 x-',
    'update extract 32',
    'update extract 64',
    'end extract 64 documents',
  ]);
});

test.run();
