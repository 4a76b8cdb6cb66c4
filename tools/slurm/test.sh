#!/usr/bin/env bash
# npm run test:slurm: a sweep of three smoke specs on a real one-node Slurm (tools/slurm/local-cluster.sh, needs
# root), submitted by `saetrace slurm submit`, one CPU per task so two run at once; passes when the gather job
# reports every spec passed and the tasks' logs show their goldens passed. Prints `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
tools/slurm/local-cluster.sh start >/dev/null || { echo "slurm test: no cluster"; echo "0 passed, 1 failed"; exit 1; }
eval "$(tools/slurm/local-cluster.sh env)"
dir=$(pwd)/.cache/slurm-test/$(date -u +%Y%m%dT%H%M%S)
specs="en-ja/figure3 en-ja/figure5 en-ko/figure3"
# The local run's results, to compare the sweep's bytes with (made here when missing).
mkdir -p "$dir/local"
for s in $specs; do
  f=reports/$s.smoke.results.json
  [ -f "$f" ] || node tools/cli/bin/saetrace.mjs run "$s" --profile smoke --quiet
  cp "$f" "$dir/local/${s//\//_}.json"
done
node tools/cli/bin/saetrace.mjs slurm submit $specs --profile smoke --cpus 1 --time 30 --dir "$dir" || { echo "0 passed, 1 failed"; exit 1; }
gather=$(node -e "console.log(require('$dir/jobs.json').gather)")
start=$(date +%s)
while squeue -h -j "$gather" 2>/dev/null | grep -q .; do
  if [ $(( $(date +%s) - start )) -gt 1800 ]; then echo "slurm test: gather job $gather still queued after 30 min"; break; fi
  sleep 3
done
passed=0; failed=0
check() { if eval "$1"; then echo "ok   $2"; passed=$((passed + 1)); else echo "FAIL $2"; failed=$((failed + 1)); fi; }
check "grep -q '^3 of 3 specs passed' '$dir/summary.md'" "the gather job reports 3 of 3 specs passed"
check "[ \$(grep -l 'golden passed' '$dir'/logs/task-*.out | wc -l) -eq 3 ]" "every task's log says its golden passed"
same=0
for s in $specs; do cmp -s "reports/$s.smoke.results.json" "$dir/local/${s//\//_}.json" && same=$((same + 1)); done
check "[ $same -eq 3 ]" "each task's results.json equals the local run's bytes ($same of 3)"
check "grep -q 'train' '$dir/family.sbatch' && [ -s '$dir/logs/family.out' -o -f '$dir/logs/family.out' ]" "the family job ran before the array"
cat "$dir/summary.md" 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
