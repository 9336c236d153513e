#!/usr/bin/env bash
# The smoke-mode stand-in for ../shared/bench/fs-workloads.sh in fuse_bench.sh (CI runs it so the
# bench cannot rot; its figures mean nothing): the same interface and output lines
# ("LABEL WORKLOAD VALUE UNIT"), with a 16 MiB sequential write and read and 100 small files.
# Usage: fs_workloads_smoke.sh DIR LABEL [QUICK]
set -euo pipefail
dir=${1:?usage: fs_workloads_smoke.sh DIR LABEL}
label=${2:?label}
mkdir -p "$dir/small"
now() { date +%s.%N; }
rate() { /usr/bin/python3 -c "import sys; print(f'{float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])):.1f}')" "$@"; }
t0=$(now)
head -c 16M /dev/urandom | dd of="$dir/big" bs=1M conv=fsync status=none
t1=$(now)
echo "$label seq_write_1M $(rate 16 "$t0" "$t1") MiB/s"
t0=$(now)
dd if="$dir/big" of=/dev/null bs=1M status=none
t1=$(now)
echo "$label seq_read_warm $(rate 16 "$t0" "$t1") MiB/s"
t0=$(now)
for i in $(seq 1 100); do head -c 16384 "$dir/big" >"$dir/small/f$i"; done
t1=$(now)
echo "$label small_create $(rate 100 "$t0" "$t1") files/s"
t0=$(now)
cat "$dir"/small/f* >/dev/null
t1=$(now)
echo "$label small_read $(rate 100 "$t0" "$t1") files/s"
rm -rf "$dir/big" "$dir/small"
