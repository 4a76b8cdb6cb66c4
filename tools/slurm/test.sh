#!/usr/bin/env bash
# npm run test:slurm (tools/slurm/integration.ts) or, with `bench`, npm run bench:slurm (tools/slurm/overhead.ts):
# starts a real one-node Slurm on this machine (tools/slurm/local-cluster.sh; needs root, installs
# slurm-wlm and munge with apt-get when absent), then runs tools/slurm/integration.ts against it: per-stage and
# per-spec sweeps of an all-layer smoke spec compared byte for byte with a local run, scancel and --resume, two
# submissions at once on one cache. Prints `N passed, N failed`. The cluster is left running (stop it with
# tools/slurm/local-cluster.sh stop).
set -uo pipefail
cd "$(dirname "$0")/../.."
tools/slurm/local-cluster.sh start >/dev/null || { echo "slurm test: no cluster"; echo "0 passed, 1 failed"; exit 1; }
eval "$(tools/slurm/local-cluster.sh env)"
# The smoke family the scratch folders link to, trained here when missing.
node tools/cli/bin/saetrace.mjs zoo train --profile smoke --pair en-ja --quiet --report-dir "$(mktemp -d)" || { echo "0 passed, 1 failed"; exit 1; }
if [ "${1:-}" = bench ]; then exec node --import tsx tools/slurm/overhead.ts; fi
exec node --import tsx tools/slurm/integration.ts
