#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for tools/slurm/test.sh and for trying `saetrace slurm`:
# Debian's slurm-wlm 22.05 and munge (installed with apt-get when missing; needs root), munged, slurmctld and
# slurmd started directly (no systemd), one node with this machine's CPUs and memory in partition `main`.
# Accounting is off (no slurmdbd), so job outcomes are read from the jobs' own files, not sacct.
# Config, state, logs and pid files live in one folder ($SAETRACE_SLURM_DIR, default /tmp/saetrace-slurm);
# Slurm's commands find the config through SLURM_CONF (eval "$(tools/slurm/local-cluster.sh env)"), and stop
# ends only the daemons this script started, by the pids it wrote.
#   tools/slurm/local-cluster.sh start | stop | status | env
set -euo pipefail
base=${SAETRACE_SLURM_DIR:-/tmp/saetrace-slurm}
conf_dir=$base
state=$base/state
spool=$base/spool
logs=$base/logs
node=$(hostname -s)
export SLURM_CONF=$conf_dir/slurm.conf

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

need_root() { [ "$(id -u)" -eq 0 ] || { echo "local-cluster.sh: needs root (apt-get, daemons)" >&2; exit 2; }; }

install() {
  command -v slurmctld >/dev/null && command -v munged >/dev/null && return
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

write_conf() {
  local cpus mem
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
  mkdir -p "$conf_dir" "$state" "$spool" "$logs"
  cat > "$conf_dir/slurm.conf.tmp" <<CONF
# written by tools/slurm/local-cluster.sh
ClusterName=saetrace-local
SlurmctldHost=$node
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$(( mem / cpus ))
ReturnToService=2
StateSaveLocation=$state
SlurmdSpoolDir=$spool
SlurmctldPidFile=$base/slurmctld.pid
SlurmdPidFile=$base/slurmd.pid
SlurmctldLogFile=$logs/slurmctld.log
SlurmdLogFile=$logs/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  mv "$conf_dir/slurm.conf.tmp" "$conf_dir/slurm.conf"
}

start() {
  need_root
  install
  write_conf
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown -R munge:munge /run/munge /var/lib/munge /var/log/munge /etc/munge 2>/dev/null || true
  # munged may be the system's own (left alone by stop); ours gets a pid file.
  if ! pgrep -x munged >/dev/null; then
    su -s /bin/sh munge -c munged 2>/dev/null || munged --force
    pgrep -nx munged > "$base/munged.ours"
  fi
  alive "$base/slurmctld.pid" || slurmctld -f "$SLURM_CONF"
  alive "$base/slurmd.pid" || slurmd -f "$SLURM_CONF"

  for _ in $(seq 1 30); do
    if sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
      sinfo
      return 0
    fi
    sleep 1
  done
  echo "local-cluster.sh: the node did not come up (see $logs/*.log)" >&2
  sinfo >&2 || true
  exit 1
}

stop() {
  need_root
  local f pids=()
  for f in "$base/slurmd.pid" "$base/slurmctld.pid" "$base/munged.ours"; do
    if alive "$f"; then
      pids+=("$(cat "$f")")
      kill "$(cat "$f")" || true
    fi
  done
  # A daemon still exiting would make start skip it: wait until those we stopped are gone.
  for _ in $(seq 1 30); do
    local left=0 p
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" -eq 0 ] && { rm -f "$base/munged.ours"; return 0; }
    sleep 1
  done
  echo "local-cluster.sh: daemons ${pids[*]} still running after 30 s" >&2
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  env) echo "export SLURM_CONF=$SLURM_CONF" ;;
  *) echo "usage: tools/slurm/local-cluster.sh start|stop|status|env" >&2; exit 2 ;;
esac
