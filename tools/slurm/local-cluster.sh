#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for tools/slurm/test.sh and for trying `saetrace slurm`:
# Debian's slurm-wlm 22.05 and munge (installed with apt-get when missing; needs root), munged, slurmctld and
# slurmd started directly (no systemd), one node with this machine's CPUs and memory in partition `main`.
# Accounting is off (no slurmdbd), so job outcomes are read from the jobs' own files, not sacct.
#   tools/slurm/local-cluster.sh start | stop | status
set -euo pipefail
conf_dir=/etc/slurm
state=/var/spool/slurmctld
spool=/var/spool/slurmd
node=$(hostname -s)

need_root() { [ "$(id -u)" -eq 0 ] || { echo "local-cluster.sh: needs root (apt-get, daemons)" >&2; exit 2; }; }

install() {
  command -v slurmctld >/dev/null && command -v munged >/dev/null && return
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

write_conf() {
  local cpus mem
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
  mkdir -p "$conf_dir" "$state" "$spool" /var/log/slurm
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
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
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
  pgrep -x munged >/dev/null || su -s /bin/sh munge -c munged 2>/dev/null || munged --force
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 1 30); do
    if sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then
      sinfo
      return 0
    fi
    sleep 1
  done
  echo "local-cluster.sh: the node did not come up (see /var/log/slurm/*.log)" >&2
  sinfo >&2 || true
  exit 1
}

stop() {
  need_root
  pkill -x slurmd || true
  pkill -x slurmctld || true
  pkill -x munged || true
  # A daemon still exiting would make start skip it: wait until all three are gone.
  for _ in $(seq 1 30); do
    pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || pgrep -x munged >/dev/null || return 0
    sleep 1
  done
  echo "local-cluster.sh: daemons still running after 30 s" >&2
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *) echo "usage: tools/slurm/local-cluster.sh start|stop|status" >&2; exit 2 ;;
esac
