#!/usr/bin/env bash
# The runs behind reports/spread/<pair>/{figure3,figure5,figure6,figure8,table1,table4}.default.*: each spec under its base
# settings, two other run seeds, two other family seeds and one thread, on this machine, plus the committed
# results of the machine that recorded the goldens (imported as its base run). Runs already stored for this
# CPU are skipped, so the script resumes, and a second machine adds its runs by running it there.
# Usage: bash tools/harness/scripts/spread-default.sh [pair] [spec...]   (the default specs: about 75 min on a 2-core
# AMD EPYC; figure11 figure13 figure14 about 5 min a variant each)
set -euo pipefail
pair=${1:-en-ja}
shift || true
# figure5 before figure3: one variant's specs share their activation stores and SAEs, as in the repository.
specs=(figure5 figure3 figure8 table1 figure6 table4)
if [ $# -gt 0 ]; then specs=("$@"); fi
for id in "${specs[@]}"; do
  if [ -f "reports/$pair/$id.default.results.json" ] && [ ! -d "reports/spread/$pair/$id.default" ]; then
    npx saetrace spread "$pair/$id" --profile default --import "reports/$pair/$id.default.results.json"
  fi
done
# The order gives every source two values early, so a run cut short still measures each.
for v in base seed=2 family-seed=1235 threads=1 seed=3 family-seed=1236; do
  for id in "${specs[@]}"; do
    npx saetrace spread "$pair/$id" --profile default --variant "$v"
  done
done
