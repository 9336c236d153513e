# Shared by tests/fuse/*_test.sh and the FUSE benches (sourced): tests/lib/playground.sh with the
# fuse suites' ports (a base in 23000-23479, 8 ports from it), and the helpers of FUSE suites.
# shellcheck shell=bash disable=SC2034
# shellcheck source=tests/lib/playground.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/playground.sh"
playground aisfs-test 23000 480 1 8

cluster_up() { playground_up "$@"; }

# Benchmarks: builds and mounts the minimal libfuse passthrough (the FUSE ceiling of the machine)
# of $WORK/pt_src at $WORK/pt_mnt, unmounted on exit. $BENCH is ../shared/bench.
mount_passthrough() {
  cc -O2 "$BENCH/passthrough.c" -o "$WORK/passthrough" $(pkg-config --cflags --libs fuse3) || exit 1
  mkdir -p "$WORK/local" "$WORK/pt_src" "$WORK/pt_mnt"
  "$WORK/passthrough" "$WORK/pt_src" "$WORK/pt_mnt" || exit 1
}

# mounted_bucket BUCKET [aisfs options...]: a playground, a bucket in it, the cluster mounted;
# B is the bucket, M its directory on the mount.
mounted_bucket() {
  B=$1
  shift
  cluster_up
  ais bucket create "ais://$B" >/dev/null || fail bucket_create
  mount_fs "$@"
  M=$MNT/$B
}

# ranges_match COPY REFERENCE: 4 KiB reads at scattered offsets of COPY (on a mount: ranged GETs
# and the block cache) equal REFERENCE's.
ranges_match() {
  local off
  for off in 5 300 701 2 512 767; do
    cmp -s <(dd if="$1" bs=4096 skip=$off count=1 2>/dev/null) \
      <(dd if="$2" bs=4096 skip=$off count=1 2>/dev/null) || return 1
  done
}

# same_as_local LOCAL_OUT MOUNT_OUT MIN_LINES [NAMER]: the answers of one scenario run in a local
# directory (the reference) and on the mount (permissions, times, errnos suites). The reference
# must have at least MIN_LINES lines (it ran), and each of its lines must be the same line of
# the mount's: one check per line, named by `NAMER LINE` (default: the line's first word).
same_as_local() {
  local local_out=$1 mount_out=$2 min=$3 namer=${4:-first_word} want got name n=0
  (($(wc -l <"$local_out") >= min)) && pass scenario_ran_locally ||
    fail scenario_ran_locally "$(cat "$local_out")"
  while IFS= read -r want; do
    n=$((n + 1))
    got=$(sed -n "${n}p" "$mount_out")
    name=$($namer "$want")
    [[ $got == "$want" ]] && pass "$name" || fail "$name" "mount: '$got', local: '$want'"
  done <"$local_out"
}
first_word() { echo "${1%% *}"; }
