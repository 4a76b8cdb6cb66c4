// Nx plugin: every pair file experiments/pairs/<pair>.yaml crossed with every experiment experiments/<id>.yaml
// becomes a target of the `experiments` project: `nx run experiments:figure3` (en-ja) or
// `nx run experiments:en-ko-figure3`, with --profile forwarded; `all` (every pair) and `<pair>-all`.
'use strict';
const { basename, dirname } = require('node:path');

const DEFAULT_PAIR = 'en-ja';

// `all` runs a pair's specs in this order: the all-layer figures first, so the one-layer specs after
// them (Figure 3, Tables 1-4, Figure 11) find their activations cached instead of running the model again
// at the same checkpoints. Results do not depend on the order, only the time does.
// figure8 after figures 12-14 and 5: its Finding 3 (Mixed share by size) reads their results.
const BUILD_ORDER = [
  'figure5',
  'figure12',
  'figure13',
  'figure14',
  'figure8',
  'figure3',
  'figure4',
  'figure6',
  'figure7',
  'figure9',
  'table2',
  'table3',
  'figure11',
  'table1',
  'table4',
];

function buildRank(id) {
  const i = BUILD_ORDER.indexOf(id);
  return i < 0 ? BUILD_ORDER.length : i;
}

function targetName(pair, id) {
  return pair === DEFAULT_PAIR ? id : `${pair}-${id}`;
}

/** The pair files and experiment files among `files` (paths relative to the workspace root). */
function split(files) {
  const pairs = files.filter((f) => basename(dirname(f)) === 'pairs').map((f) => basename(f, '.yaml'));
  const ids = files.filter((f) => dirname(f) === 'experiments').map((f) => basename(f, '.yaml'));
  pairs.sort((a, b) => (a === DEFAULT_PAIR ? -1 : b === DEFAULT_PAIR ? 1 : a < b ? -1 : a > b ? 1 : 0));
  ids.sort((a, b) => buildRank(a) - buildRank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return { pairs, ids };
}

/** @type {import('nx/src/project-graph/plugins/public-api').CreateNodes} */
const createNodesV2 = [
  'experiments/**/*.yaml',
  (files) => {
    const { pairs, ids } = split(files);
    const targets = {};
    const names = [];
    for (const pair of pairs) {
      const mine = [];
      for (const id of ids) {
        const name = targetName(pair, id);
        mine.push(name);
        targets[name] = {
          executor: 'nx:run-commands',
          options: { command: `npx saetrace run ${pair}/${id}`, forwardAllArgs: true },
          cache: true,
          inputs: [
            `{workspaceRoot}/experiments/${id}.yaml`,
            `{workspaceRoot}/experiments/pairs/${pair}.yaml`,
            `{workspaceRoot}/libs/**/*.ts`,
            `{workspaceRoot}/libs/**/native/*.c`,
            `{workspaceRoot}/tools/harness/**/*.ts`,
            `{workspaceRoot}/data/corpus/${pair}/manifest.json`,
            `{workspaceRoot}/data/tokenizer/${pair}/tokenizer.json`,
            { env: 'CI' },
          ],
          outputs: [`{workspaceRoot}/reports/${pair}/${id}.md`, `{workspaceRoot}/reports/${pair}/${id}.*`],
        };
      }
      if (mine.length)
        targets[`${pair}-all`] = {
          executor: 'nx:run-commands',
          options: { commands: mine.map((n) => `npx nx run experiments:${n}`), parallel: false, forwardAllArgs: true },
        };
      names.push(...mine);
    }
    if (names.length === 0) return [];
    targets.all = {
      executor: 'nx:run-commands',
      options: { commands: names.map((n) => `npx nx run experiments:${n}`), parallel: false, forwardAllArgs: true },
    };
    return [[files[0], { projects: { experiments: { name: 'experiments', targets } } }]];
  },
];

module.exports = { name: 'saetrace-experiment-targets', createNodesV2, targetName, BUILD_ORDER };
