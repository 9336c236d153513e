#!/usr/bin/env bash
# Metadata-heavy workloads side by side in one run: a local directory, the minimal libfuse
# passthrough (the FUSE ceiling of this machine) and an aisfs mount of a playground cluster
# (1 proxy + 3 targets on loopback, default options): `tar x` of a tree with hard links,
# `ls -lR` (page cache dropped first), `rsync -aH` into an empty directory, `git add -A` of the
# extracted tree (after `git init`) and `git status` (twice: the second is the figure). The tree:
# the first FILES regular files of /usr/include (all of them by default) and a hard link to every
# tenth. Prints "LABEL FIGURE VALUE UNIT" lines, then the table of tests/bench/side_by_side.py.
# Usage: [FILES=N] tests/bench/metadata_bench.sh       (root; needs fuse3, cc, git, rsync, tar)
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=${AIS_BENCH_DIR:-$REPO/../shared/bench}
# shellcheck source=tests/fuse/lib.sh
source "$REPO/tests/fuse/lib.sh"
require_built metadata_bench --fuse
FILES=${FILES:-1000000}

mount_passthrough
cluster_up >/dev/null
ais bucket create ais://meta >/dev/null
mount_fs

# The tree, its tarball (tar keeps the hard links as links).
mkdir -p "$WORK/tree"
(cd /usr/include && find . -type f | head -n "$FILES" | tar -cf - -T -) | tar -C "$WORK/tree" -xf -
n=0
while IFS= read -r f; do
  n=$((n + 1))
  ((n % 10 == 0)) && ln "$f" "$f.hl"
done < <(find "$WORK/tree" -type f)
tar -C "$WORK/tree" -cf "$WORK/tree.tar" .
entries=$(tar -tf "$WORK/tree.tar" | wc -l)
echo "tree: $entries entries ($(find "$WORK/tree" -type f | wc -l) names of files, $(find "$WORK/tree" -type f -links +1 | wc -l) with more than one)"

now() { date +%s.%N; }
say() { # LABEL FIGURE COUNT T0 T1 UNIT: COUNT/(T1-T0), or seconds when COUNT is "s"
  if [[ $3 == s ]]; then
    printf '%s %s %.3f s\n' "$1" "$2" "$(echo "$5 - $4" | bc -l)"
  else
    printf '%s %s %.1f %s\n' "$1" "$2" "$(echo "$3 / ($5 - $4)" | bc -l)" "$6"
  fi
}
GIT="git -c user.name=b -c user.email=b@example.com -c init.defaultBranch=main"
run() { # DIR LABEL
  local d=$1 l=$2 t0 t1
  mkdir -p "$d/tx" "$d/rs"
  t0=$(now); tar -C "$d/tx" -xf "$WORK/tree.tar"; t1=$(now)
  say "$l" tar_x_hardlinks "$entries" "$t0" "$t1" entries/s
  sync; echo 3 >/proc/sys/vm/drop_caches
  t0=$(now); ls -lR "$d/tx" >/dev/null; t1=$(now)
  say "$l" ls_lR "$entries" "$t0" "$t1" entries/s
  t0=$(now); rsync -aH "$WORK/tree/" "$d/rs/"; t1=$(now)
  say "$l" rsync_aH "$entries" "$t0" "$t1" entries/s
  t0=$(now); (cd "$d/tx" && $GIT init -q && $GIT add -A); t1=$(now)
  say "$l" git_add_A s "$t0" "$t1"
  (cd "$d/tx" && $GIT status --porcelain >/dev/null)
  t0=$(now); (cd "$d/tx" && $GIT status --porcelain >/dev/null); t1=$(now)
  say "$l" git_status s "$t0" "$t1"
}
OUT=$WORK/figures
run "$WORK/local/run" local | tee -a "$OUT"
run "$WORK/pt_mnt/run" passthrough | tee -a "$OUT"
run "$MNT/meta/run" aisfs | tee -a "$OUT"
# (No side's trees are removed before the next side runs: on an ext4 without a journal, this
# VM's root, every file created in the five minutes after a mass removal scans past the freed
# inodes. The exit's cleanup removes them all: the playground's data goes with its cluster.)

echo
$PY "$REPO/tests/bench/side_by_side.py" "$OUT"
