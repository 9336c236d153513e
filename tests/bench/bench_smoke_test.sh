#!/usr/bin/env bash
# Smoke mode of the benchmarks, so they cannot rot: each runs for about a second and must print
# its table with non-zero figures. (Their numbers mean nothing here; docs/performance.md has the
# real runs and their commands.) The FUSE benches need ../shared/bench and are skipped without it.
# fuse_bench.sh runs with a stand-in for ../shared/bench/fs-workloads.sh (fixed sizes and 10 s fio
# runs: minutes), tests/bench/fs_workloads_smoke.sh, which prints the same lines.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
# shellcheck source=tests/lib/checks.sh
source "$REPO/tests/lib/checks.sh"
OUT=$(mktemp -d /tmp/ais-bench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# NAME FILE AWK-ARGS...: awk (which checks the table's figures) succeeds on the output.
figures_ok() {
  local name=$1 file=$2
  shift 2
  if awk "$@" "$file"; then pass "$name"; else fail "$name" "$(tail -n 12 "$file")"; fi
}

# NAME ARGS...: runs the built benchmark NAME into $OUT/NAME (false, and a failure, if missing).
run_built() {
  local name=$1
  shift
  if [[ ! -x $AIS_BUILD_DIR/tests/bench/$name ]]; then
    fail "$name" "$AIS_BUILD_DIR/tests/bench/$name is missing"
    return 1
  fi
  timeout 300 "$AIS_BUILD_DIR/tests/bench/$name" "$@" >"$OUT/$name" 2>&1
  return 0
}
# Rows: size unit op local-obj/s local-MiB/s fabric-obj/s fabric-MiB/s ratio
run_built fabric_bench --threads 2 --seconds 0.5 && figures_ok fabric_bench "$OUT/fabric_bench" \
  '$3 == "PUT" || $3 == "GET" { n++; if (!($6 > 0)) bad = 1 } END { exit !(n >= 4 && !bad) }'
# Rows: BM_<name>/<args> time cpu iterations bytes_per_second=...
run_built ec_bench --benchmark_min_time=0.01 && figures_ok ec_bench "$OUT/ec_bench" \
  '/^BM_(Memcpy|Encode|Reconstruct)/ { n++; if ($0 !~ /bytes_per_second=[0-9.]+[kMG]?i?\/s/) bad = 1 } END { exit !(n == 10 && !bad) }'

# Rows: BM_Record*/threads:N time unit cpu unit iterations: what one metrics update costs.
run_built metrics_bench --benchmark_min_time=0.01 && figures_ok metrics_bench "$OUT/metrics_bench" \
  '/^BM_Record/ { n++; if (!($2 > 0)) bad = 1 } END { exit !(n == 7 && !bad) }'

# Rows: BM_Put4KiB/stamped:S/overwrite:O time unit cpu unit iterations items_per_second=...
run_built store_put_bench --benchmark_min_time=0.01 && figures_ok store_put_bench "$OUT/store_put_bench" \
  '/^BM_Put4KiB/ { n++; if (!($2 > 0) || $0 !~ /items_per_second=/) bad = 1 } END { exit !(n == 6 && !bad) }'

# Rows: | socket kind | CPU µs | wall µs |, TCP and Unix.
run_built loopback_rtt 2000 && figures_ok loopback_rtt "$OUT/loopback_rtt" -F'|' \
  '/TCP|Unix/ { n++; if (!($3 > 0 && $4 > 0)) bad = 1 } END { exit !(n == 2 && !bad) }'

# Rows: size bucket op obj/s MiB/s vs-plain, 11 of them (plain, mirror, EC, EC's two floors, the
# victims' objects healthy, degraded EC read once and again)
run_built protection_bench --threads 2 --seconds 0.3 --sizes small &&
  figures_ok protection_bench "$OUT/protection_bench" \
    '/ (PUT|GET) / { n++; if ($0 ~ / (PUT|GET) +0\.0 / || $0 ~ /failed/) bad = 1 } END { exit !(n == 11 && !bad) }'
BENCH_DURATION=1s BENCH_ROUNDS=1 timeout 600 "$REPO/tests/bench/gateway_bench.sh" >"$OUT/gateway" 2>&1
# Rows: | 1m | nginx req/s | ... | proxy gw req/s | ... | owner gw req/s | ... | nginx relay req/s | ratio |
figures_ok gateway_bench "$OUT/gateway" \
  -F'|' '$2 ~ /^ (1m|16k) $/ { n++; if (!($3 > 0 && $5 > 0 && $8 > 0 && $11 > 0)) bad = 1 } END { exit !(n == 2 && !bad) }'
# Rows: | presigned SigV4 (verified) | req/s | µs/request |, the same anonymous
figures_ok gateway_bench_sigv4 "$OUT/gateway" \
  -F'|' '$2 ~ /presigned SigV4|anonymous/ { n++; if (!($3 > 0 && $4 > 0)) bad = 1 } END { exit !(n == 2 && !bad) }'

BENCH_DURATION=1s OBJECTS=16 timeout 600 "$REPO/tests/bench/aisloader_bench.sh" >"$OUT/aisloader" 2>&1
# Rows: | GET 16 KiB | target | ops/s | MiB/s | p50 | p99 | vs reference |: 4 workloads x 4 targets
figures_ok aisloader_bench "$OUT/aisloader" \
  -F'|' '$2 ~ /^ (GET|PUT) / { n++; if (!($4 > 0 && $5 > 0 && $8 > 0)) bad = 1 } END { exit !(n == 16 && !bad) }'

OBJS=24 SIZE_KB=64 timeout 600 "$REPO/tests/bench/rebalance_bench.sh" >"$OUT/rebalance" 2>&1
# Rows: | raw copy ... | N MiB/s |, | rebalance throughput | N MiB/s (...) |, | GET before ... |
figures_ok rebalance_bench "$OUT/rebalance" -F'|' \
  '$2 ~ /raw copy|rebalance throughput|GET before/ { n++; if (!($3 + 0 > 0)) bad = 1 } END { exit !(n == 3 && !bad) }'

timeout 300 "$REPO/tests/bench/ingest_bench.sh" 300 64 >"$OUT/ingest" 2>&1
# Rows: local copy loop[, fsync] N / ais put DIR --conc 16[, bucket fsync=true] N
figures_ok ingest_bench "$OUT/ingest" \
  '/^(local copy loop|ais put DIR)/ { n++; if (!($NF > 0)) bad = 1 } END { exit !(n == 4 && !bad) }'
# ...and its bucket listed back through S3 and /v1 (http_list_rate.py): every file, a rate.
figures_ok http_list_rate "$OUT/ingest" \
  '/^(S3 ListObjectsV2|\/v1 list):/ && !/: 50 entries/ { n++; if ($0 !~ /: 300 entries, 1 pages/ || $0 !~ / [1-9][0-9]* entries\/s/) bad = 1 } END { exit !(n == 2 && !bad) }'
# ...and as a directory (--delimiter /): the 50 subdirectories the files are in.
figures_ok http_list_rate_delimited "$OUT/ingest" \
  '/^S3 ListObjectsV2:/ && /: 50 entries/ { n++; if ($0 !~ / [1-9][0-9]* entries\/s/) bad = 1 } END { exit !(n == 1 && !bad) }'
run_built listing_bench --objects 3000 --threads 2 && figures_ok listing_bench "$OUT/listing_bench" \
  '/^(ingest|list)/ { n++; if ($0 !~ / [1-9][0-9]* (objects|entries)\/s/) bad = 1 } END { exit !(n == 2 && !bad) }'
run_built shard_bench --samples 600 --shards 3 --threads 2 && figures_ok shard_bench "$OUT/shard_bench" \
  '/^(loose objects|TAR members) .*samples of/ { n++; if ($0 !~ / [1-9][0-9]* samples\/s/ || $0 !~ /\(0 bad\)/) bad = 1 } END { exit !(n == 3 && !bad) }'
if [[ -d $REPO/../shared/bench && -c /dev/fuse ]]; then
  BENCH_RUNTIME=1 timeout 600 "$REPO/tests/bench/fuse_randread_bench.sh" >"$OUT/randread" 2>&1
  figures_ok fuse_randread_bench "$OUT/randread" \
    -F'|' '$2 ~ /^ aisfs $/ { n++; if (!($3 > 0 && $4 > 0)) bad = 1 } END { exit !(n == 1 && !bad) }'
else
  skip fuse_randread_bench "needs ../shared/bench and /dev/fuse"
fi
if [[ -c /dev/fuse ]]; then
  if [[ -d $REPO/../shared/bench ]]; then
    FILES=50 timeout 300 "$REPO/tests/bench/metadata_bench.sh" >"$OUT/metadata" 2>&1
    # Rows: | figure (unit) | local | passthrough | aisfs | ratios |, five figures
    figures_ok metadata_bench "$OUT/metadata" \
      -F'|' '$2 ~ /^ (tar_x|ls_lR|rsync_aH|git_)/ { n++; if (!($5 > 0)) bad = 1 } END { exit !(n == 5 && !bad) }'
  else
    skip metadata_bench "needs ../shared/bench"
  fi
  if [[ -d $REPO/../shared/bench ]]; then  # (the passthrough's source is there)
    FS_WORKLOADS=$REPO/tests/bench/fs_workloads_smoke.sh timeout 300 "$REPO/tests/bench/fuse_bench.sh" >"$OUT/fuse" 2>&1
    # Rows: | figure (unit) | local | passthrough | aisfs | ratios |, four figures
    figures_ok fuse_bench "$OUT/fuse" \
      -F'|' '$2 ~ /^ (seq_|small_)/ { n++; if (!($3 > 0 && $4 > 0 && $5 > 0)) bad = 1 } END { exit !(n == 4 && !bad) }'
  else
    skip fuse_bench "needs ../shared/bench"
  fi
  FILES=40 timeout 300 "$REPO/tests/bench/ttl_bench.sh" 1 5 1 small >"$OUT/ttl" 2>&1
  # Rows: | figure (unit) | ttl_5 | ttl_1 | ratio |, six figures
  figures_ok ttl_bench "$OUT/ttl" \
    -F'|' '$2 ~ /\((files|entries|samples)\/s\)/ { n++; if (!($3 > 0 && $4 > 0)) bad = 1 } END { exit !(n == 6 && !bad) }'
  SAMPLES=200 SHARDS=2 THREADS=2 timeout 300 "$REPO/tests/bench/shard_fuse_bench.sh" >"$OUT/shard_fuse" 2>&1
  # Rows: | local | N | MiB/s | ratio |, and loose, tar, tgz
  figures_ok shard_fuse_bench "$OUT/shard_fuse" \
    -F'|' '$2 ~ /^ (local|loose|tar|tgz) $/ { n++; if (!($3 > 0)) bad = 1 } END { exit !(n == 4 && !bad) }'
else
  skip shard_fuse_bench "needs /dev/fuse"
fi
MEMBERS=40 READS=8 timeout 300 "$REPO/tests/bench/degraded_member_bench.sh" >"$OUT/degraded" 2>&1
figures_ok degraded_member_bench "$OUT/degraded" \
  -F'|' '$2 ~ /^ (up|down) $/ { n++; if ($3 !~ /^ 8 \(0 bad\)/) bad = 1 } END { exit !(n == 2 && !bad) }'
OBJECTS=60 SHARD_KB=8 timeout 300 "$REPO/tests/bench/archive_job_bench.sh" >"$OUT/archive_job" 2>&1
figures_ok archive_job_bench "$OUT/archive_job" \
  -F'|' '$2 ~ /shards\)/ { n++; if (!($5 > 0)) bad = 1 } END { exit !(n == 2 && !bad) }'
echo "bench_smoke_test: $FAILS failed"
((FAILS == 0))
