# The aisfs daemons behind FUSE mounts, sourced by tools/dev and tests/lib/playground.sh: after
# the kernel's unmount a daemon still stores what it deferred (links made in its last 50 ms,
# dirty files) before it exits, so whoever unmounts waits for it before stopping the cluster or
# mounting again.
# shellcheck shell=bash

# aisfs_pids_of DIR: the aisfs daemons mounted at DIR (their last argument).
aisfs_pids_of() {
  local p
  for p in $(pgrep -x aisfs); do
    [[ $(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | tail -n 1) == "$1" ]] && echo "$p"
  done
  return 0
}

# proc_state PID: its state letter from /proc/PID/stat (R, S, D, Z...); nothing if it is gone.
proc_state() { sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null; }

# pids_alive PID...: true while any of them runs. One that exited is not running even before its
# parent reaps it (a zombie: this VM's init reaps a daemon's 1-2 s later, and under load once
# took over 30 s).
pids_alive() {
  local p state
  for p in "$@"; do
    state=$(proc_state "$p")
    [[ -n $state && $state != Z && $state != X ]] && return 0
  done
  return 1
}

# wait_pids_gone PID...: waits up to 30 s for them to exit; false if one still runs.
wait_pids_gone() {
  for _ in $(seq 1 300); do
    pids_alive "$@" || return 0
    sleep 0.1
  done
  return 1
}
