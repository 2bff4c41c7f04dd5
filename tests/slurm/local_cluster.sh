#!/usr/bin/env bash
# A throw-away one-node Slurm cluster for the slurm test suite, everything under DIR:
#
#   local_cluster.sh start DIR [PID]   munged (generated key), slurmctld and slurmd (generated
#                                 slurm.conf), as root; prints the SLURM_CONF to export
#   local_cluster.sh stop DIR     stops all three and waits for them to go
#
# The daemons use their own key, socket, ports, state and spool directories, so a real
# installation on the same machine is neither used nor disturbed. A watchdog stops the cluster
# when the process that started it (PID, the test) dies without calling stop.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?directory}

stop() {
  local name pid
  for name in slurmd slurmctld munged; do
    [[ -f $dir/$name.pid ]] || continue
    pid=$(cat "$dir/$name.pid" 2>/dev/null || true)
    [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  done
  for name in slurmd slurmctld munged; do
    [[ -f $dir/$name.pid ]] || continue
    pid=$(cat "$dir/$name.pid" 2>/dev/null || true)
    for _ in $(seq 50); do
      [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$name.pid"
  done
}

if [[ $action == stop ]]; then
  stop
  exit 0
fi

[[ $(id -u) -eq 0 ]] || { echo "local_cluster: needs root (slurmd runs jobs as their user)"; exit 2; }
for program in munged slurmctld slurmd sbatch; do
  command -v "$program" > /dev/null || { echo "local_cluster: $program not installed"; exit 2; }
done
mkdir -p "$dir"/{state,spool,log,munge}
chmod 700 "$dir/munge"
host=$(hostname -s)

dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed"

# Free ports for this cluster (a real slurmctld may hold the defaults, 6817 and 6818): random
# ones that nothing answers on.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null || { echo "$port"; return; }
  done
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(free_port); done

# More CPUs than the machine has (config_overrides), so that jobs of 3 ranks fit on 2 cores.
cat > "$dir/slurm.conf" <<CONF
ClusterName=gramtest
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$host CPUs=8 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"

# The watchdog: PID is the test's process (default: this script's parent).
watched=${3:-$PPID}
(
  while kill -0 "$watched" 2>/dev/null; do sleep 2; done
  "$0" stop "$dir"
) > /dev/null 2>&1 < /dev/null &
disown

for _ in $(seq 100); do
  if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "local_cluster: the node did not come up in 20 s"
tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" 2>/dev/null || true
stop
exit 1
