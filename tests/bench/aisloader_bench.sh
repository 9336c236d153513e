#!/usr/bin/env bash
# aisloader beside the references (issue 18): the same load generator, workers, object sizes and
# report against the cluster and against what it is compared with. A private playground (1 proxy
# + 3 targets, S3 keys on) and, per workload (GET and PUT of 16 KiB and of 1 MiB objects):
#   aisloader native  the fabric client library      vs  local files  aisloader -filedir (plain
#                                                                      files on the same disk)
#   aisloader S3      SigV4 through the proxy's       vs  nginx        aisloader -s3endpoint on
#                     S3 gateway                                       nginx (sendfile; PUT and
#                                                                      DELETE by its dav module)
# GETs read OBJECTS objects of the size, the same bytes in every place (the bucket through ais
# put, a directory for -filedir, nginx's root); nginx answers the bucket listing aisloader starts
# with from a file made here. PUTs write new objects (aisloader's cleanup removes them after the
# timed part). Prints one markdown table: ops/s, MiB/s, p50/p99 latency, ratio to the reference.
# Usage: [BENCH_DURATION=10s] [WORKERS=8] [OBJECTS=256] tests/bench/aisloader_bench.sh
set -euo pipefail
DURATION=${BENCH_DURATION:-10s}
WORKERS=${WORKERS:-8}
OBJECTS=${OBJECTS:-256}
# shellcheck source=tests/lib/playground.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/playground.sh"
# 4 rpc ports at a base in 19000-19499, their gateways at base+500, nginx at base+4: below every
# other suite's range (cli starts at 20000; the bench range 26000-26999 is taken, with its
# gateways up to 27499, and the integration tests' ports start at 28000).
playground aisloader-bench 19000 100 5 5
NGINX_PORT=$((AIS_DEV_PORT + 4))
# shellcheck source=tests/bench/nginx.sh
source "$(dirname "${BASH_SOURCE[0]}")/nginx.sh"
trap 'nginx_down; playground_cleanup' EXIT
LOADER=$AIS_BUILD_DIR/tools/aisloader
[[ -x $LOADER ]] || { echo "$LOADER is not built" >&2; exit 1; }

export AIS_S3_ACCESS_KEY=benchkey AIS_S3_SECRET_KEY=benchsecret AIS_S3_REGION=us-east-1
export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1
playground_up >/dev/null

# The GET data set: bucket b16k and b1m, OBJECTS objects each, the same files in every place.
SIZES=("16k 16384 16KiB 16 KiB" "1m 1048576 1MiB 1 MiB")
mkdir -p "$WORK/src" "$WORK/files" "$WORK/www" "$WORK/nginx/lists"
for s in "${SIZES[@]}"; do
  read -r tag bytes _ <<<"$s"
  b=b$tag
  mkdir -p "$WORK/src/$b"
  for ((i = 0; i < OBJECTS; i++)); do
    head -c "$bytes" /dev/urandom >"$WORK/src/$b/$(printf 'obj-%05d' "$i")"
  done
  cp -r "$WORK/src/$b" "$WORK/files/"
  cp -r "$WORK/src/$b" "$WORK/www/"
  "$AIS" bucket create "ais://$b" >/dev/null
  "$AIS" put "$WORK/src/$b" "ais://$b" --quiet
  # nginx's answer to aisloader's ListObjectsV2 of the bucket (one page)
  {
    echo "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>$b</Name><IsTruncated>false</IsTruncated>"
    for f in "$WORK/src/$b"/*; do echo "<Contents><Key>${f##*/}</Key><Size>$bytes</Size></Contents>"; done
    echo "</ListBucketResult>"
  } >"$WORK/nginx/lists/$b.xml"
done

# Objects: GET (sendfile), PUT (a temp file renamed into place, as a target does), DELETE. A
# bucket: PUT (create) succeeds, GET (ListObjectsV2) is the listing made above.
nginx_up "$NGINX_PORT" "$WORK/www" "
    dav_methods PUT DELETE;
    create_full_put_path on;
    location ~ ^/([^/]+)/?\$ {
      if (\$request_method = PUT) { return 200; }
      root $WORK/nginx/lists;
      default_type application/xml;
      try_files /\$1.xml =404;
    }"
for b in b16k b1m; do  # every place serves the same bytes
  curl -sf "http://127.0.0.1:$NGINX_PORT/$b/obj-00001" | cmp -s - "$WORK/src/$b/obj-00001" ||
    { echo "nginx: wrong bytes for $b/obj-00001" >&2; exit 1; }
  "$AIS" get "ais://$b/obj-00001" - 2>/dev/null | cmp -s - "$WORK/src/$b/obj-00001" ||
    { echo "ais: wrong bytes for $b/obj-00001" >&2; exit 1; }
done

# run OP SIZE MODE BUCKET -> "ops/s MiB/s p50 p99" of that operation (errors end the bench)
run() {
  local op=$1 size=$2 mode=$3 bucket=$4 pct=0 out args=()
  [[ $op == PUT ]] && pct=100
  case $mode in
    native) args=("-bucket=ais://$bucket") ;;
    files) args=("-filedir=$WORK/files" "-bucket=$bucket") ;;
    s3) args=("-s3endpoint=$S3_ENDPOINT" "-bucket=$bucket") ;;
    nginx) args=("-s3endpoint=http://127.0.0.1:$NGINX_PORT" "-bucket=$bucket") ;;
  esac
  out=$WORK/run-$op-$size-$mode.json
  if ! "$LOADER" "${args[@]}" -duration="$DURATION" -numworkers="$WORKERS" -pctput=$pct \
    -minsize="$size" -maxsize="$size" -json >"$out" 2>"$out.err"; then
    echo "aisloader $mode $op $size failed: $(head -c 400 "$out.err") $(head -c 400 "$out")" >&2
    exit 1
  fi
  /usr/bin/python3 - "$out" "$op" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
o = next(o for o in d["ops"] if o["op"] == sys.argv[2])
if o["errors"] or not o["count"]:
    sys.exit(f"{sys.argv[1]}: {o['count']} operations, {o['errors']} errors")
l = o["latency_ms"]
print(f'{o["ops_per_sec"]:.0f} {o["mib_per_sec"]:.1f} {l["p50"]:.3f} {l["p99"]:.3f}')
PYEOF
}

echo "| workload ($WORKERS workers, $DURATION each) | target | ops/s | MiB/s | p50 ms | p99 ms | vs reference |"
echo "|---|---|---|---|---|---|---|"
for op in GET PUT; do
  for s in "${SIZES[@]}"; do
    read -r tag _ size label <<<"$s"
    # Each pair back to back, the reference first: drift on a shared machine hits both alike.
    for pair in "files native" "nginx s3"; do
      ref=$(run "$op" "$size" "${pair% *}" "b$tag")
      sys=$(run "$op" "$size" "${pair#* }" "b$tag")
      for m in "${pair% *}:$ref" "${pair#* }:$sys"; do
        read -r ops mib p50 p99 <<<"${m#*:}"
        case ${m%%:*} in
          files) name="local files (aisloader -filedir)" ;;
          native) name="aisloader native (fabric)" ;;
          nginx) name="nginx (aisloader S3 mode)" ;;
          s3) name="aisloader S3 (proxy gateway)" ;;
        esac
        ratio=$(awk -v a="$ops" -v b="${ref%% *}" 'BEGIN {printf "%.2f", a / b}')
        echo "| $op $label | $name | $ops | $mib | $p50 | $p99 | $ratio |"
      done
    done
  done
done
