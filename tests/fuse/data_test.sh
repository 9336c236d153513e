#!/usr/bin/env bash
# aisfs data path: a big file (4 GiB + 64 MiB, and a write past 4 GiB; 1 GiB with AIS_FUSE_BIG=0) written
# with dd and read back with cmp, an fsx-style random-operation loop against a local reference,
# and a target killed in the middle of a read (EIO after bounded retries, never wrong bytes; works
# again after restart).
# shellcheck source=tests/fuse/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built data_test --fuse
mounted_bucket fusedata
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

# ---- big file ----
# Past 4 GiB is what matters (32-bit offsets and sizes overflow there), not how far past.
MIB=$((4096 + 64))
[[ ${AIS_FUSE_BIG:-1} == 0 ]] && MIB=1024
head -c $((MIB << 20)) /dev/urandom >"$WORK/big" 2>/dev/null ||
  dd if=/dev/urandom of="$WORK/big" bs=1M count=$MIB status=none
start=$(date +%s.%N)
if dd if="$WORK/big" of="$M/big" bs=1M status=none conv=fsync; then pass "big_write_${MIB}m"; else fail "big_write_${MIB}m"; fi
mid=$(date +%s.%N)
drop_caches
if cmp "$WORK/big" "$M/big"; then pass "big_read_cmp_${MIB}m"; else fail "big_read_cmp_${MIB}m"; fi
end=$(date +%s.%N)
echo "INFO big file: write $(echo "$MIB / ($mid - $start)" | bc) MiB/s, read $(echo "$MIB / ($end - $mid)" | bc) MiB/s"
if ((MIB > 4096)); then
  # A random write past 4 GiB: spooled, stored on close.
  printf 'tail-bytes' | dd of="$M/big" bs=1 seek=$(((MIB << 20) - 100)) conv=notrunc status=none
  printf 'tail-bytes' | dd of="$WORK/big" bs=1 seek=$(((MIB << 20) - 100)) conv=notrunc status=none
  drop_caches
  if cmp "$WORK/big" "$M/big"; then pass big_random_write_past_4g; else fail big_random_write_past_4g; fi
fi
rm -f "$M/big" "$WORK/big"
echo "INFO big file checks: $(echo "$(date +%s.%N) - $start" | bc | cut -d. -f1) s"

# ---- fsx ----
if out=$(timeout 300 $PY "$REPO/tests/fuse/fsx.py" "$M/fsx" "$WORK/fsx.ref" "${AIS_FUSE_FSX_OPS:-2000}" "${AIS_FUSE_FSX_SEED:-$RANDOM}" 2>&1); then
  pass fsx
else
  fail fsx "$out"
fi
drop_caches
if cmp -s "$M/fsx" "$WORK/fsx.ref"; then pass fsx_final_content; else fail fsx_final_content; fi

# ---- a target down mid-read ----
head -c $((96 << 20)) /dev/urandom >"$WORK/fault"
ais put -q "$WORK/fault" ais://$B/fault >/dev/null
# (a name made elsewhere shows on the mount within the listing TTL, 1 s: docs/aisfs.md)
for _ in $(seq 1 30); do [[ -e $M/fault ]] && break; sleep 0.1; done
owner=$(ais head ais://$B/fault --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
drop_caches
cat >"$WORK/fault.py" <<PYEOF
import os, subprocess, sys
ref = open("$WORK/fault", "rb").read()
f = os.open("$M/fault", os.O_RDONLY)
off, killed = 0, False
try:
    while off < len(ref):
        b = os.pread(f, 1 << 20, off)
        if b != ref[off:off + len(b)]:
            sys.exit(f"wrong bytes at {off}")
        if not b:
            sys.exit(f"short file at {off}")
        off += len(b)
        if off >= (8 << 20) and not killed:
            subprocess.run(["$DEV", "kill", "$owner"], check=True, capture_output=True)
            killed = True
except OSError as e:
    print(f"errno {e.errno} at {off}")
    sys.exit(0 if e.errno == 5 else 1)
print(f"read all {off} bytes (prefetched before the kill)")
PYEOF
if out=$(timeout 180 $PY "$WORK/fault.py" 2>&1); then pass "fault_eio_not_wrong_bytes ($out)"; else fail fault_eio_not_wrong_bytes "$out"; fi
timeout 60 "$DEV" start "$owner" >/dev/null 2>&1 || fail fault_restart
drop_caches
if timeout 120 cmp -s "$WORK/fault" "$M/fault"; then pass fault_mount_works_after_restart; else fail fault_mount_works_after_restart; fi

unmount_fs || fail unmount
finish data_test
