#!/usr/bin/env bash
# HTTP gateway throughput next to nginx on the same machine. A private playground (1 proxy +
# 3 targets, S3 keys on) holds a 1 MiB and a 16 KiB object; wrk GETs them (presigned SigV4 URLs)
# through the proxy's gateway (relayed to the owner's gateway) and through the owner target's
# gateway (sendfile from the object file), from nginx serving the same files (sendfile on), and
# from a second nginx relaying to that one (the reference for the proxy's relay).
# Then the cost of SigV4 verification: the owner's gateway serving the 16 KiB object (public-read)
# to presigned GETs and to anonymous ones in the same run, with the owner target's CPU time per
# request. Then signed 1 MiB PUTs with boto3 vs writing the same bytes to local files. Prints
# markdown.
# Usage: AIS_BUILD_DIR=build tests/bench/gateway_bench.sh   (BENCH_DURATION=10s, BENCH_ROUNDS=3 by default)
set -euo pipefail
DURATION=${BENCH_DURATION:-10s}
# shellcheck source=tests/lib/playground.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/playground.sh"
# 4 rpc ports at a base in 26000-26495, their gateways at base+500, nginx at base+4, the nginx
# relaying to it at base+5.
playground gateway-bench 26000 124 4 6
NGINX_PORT=$((AIS_DEV_PORT + 4))
NGINX_RELAY_PORT=$((AIS_DEV_PORT + 5))
# shellcheck source=tests/bench/nginx.sh
source "$(dirname "${BASH_SOURCE[0]}")/nginx.sh"
trap 'nginx_down; playground_cleanup' EXIT

command -v wrk >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >/dev/null

export AIS_S3_ACCESS_KEY=benchkey AIS_S3_SECRET_KEY=benchsecret AIS_S3_REGION=us-east-1
playground_up >/dev/null
S3=$S3_ENDPOINT

mkdir -p "$WORK/www" "$WORK/local"
head -c $((1 << 20)) /dev/urandom >"$WORK/www/obj-1m"
head -c $((16 << 10)) /dev/urandom >"$WORK/www/obj-16k"

nginx_up "$NGINX_PORT" "$WORK/www"
nginx_relay_up "$NGINX_RELAY_PORT" "$NGINX_PORT"

# Upload with boto3, find each object's owner target, presign GET URLs for both gateways.
cat >"$WORK/s3.py" <<'EOF'
import concurrent.futures, json, os, sys, time, urllib.request
import boto3
from botocore.config import Config

S3, WORK = sys.argv[2], sys.argv[3]
def client(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="benchkey",
                        aws_secret_access_key="benchsecret", region_name="us-east-1",
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      max_pool_connections=32))

if sys.argv[1] == "setup":  # bucket and objects
    c = client(S3)
    c.create_bucket(Bucket="bench")
    for name in ("obj-1m", "obj-16k"):
        # (public-read: anonymous GETs of it measure what the signature check costs)
        c.put_object(Bucket="bench", Key=name, Body=open(f"{WORK}/www/{name}", "rb").read(),
                     ACL="public-read")
elif sys.argv[1] == "presign":  # ENDPOINT NAME
    print(client(sys.argv[4]).generate_presigned_url(
        "get_object", Params={"Bucket": "bench", "Key": sys.argv[5]}, ExpiresIn=3600))
elif sys.argv[1] == "put":  # signed 1 MiB PUTs for the duration, 8 in flight
    seconds, threads = float(sys.argv[4]), 8
    data = os.urandom(1 << 20)
    clients = [client(S3) for _ in range(threads)]  # botocore clients are not made thread-safely
    def worker(i):
        c, n, end = clients[i], 0, time.time() + seconds
        while time.time() < end:
            c.put_object(Bucket="bench", Key=f"put/{i}/{n}", Body=data)
            n += 1
        return n
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        total = sum(ex.map(worker, range(threads)))
    print(total / (time.time() - t0))
elif sys.argv[1] == "disk":  # the same bytes to local files (no fsync), same concurrency
    seconds, threads = float(sys.argv[4]), 8
    data = os.urandom(1 << 20)
    def worker(i):
        n, end = 0, time.time() + seconds
        while time.time() < end:
            with open(f"{WORK}/local/{i}-{n}", "wb") as f:
                f.write(data)
            n += 1
        return n
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        total = sum(ex.map(worker, range(threads)))
    print(total / (time.time() - t0))
EOF
/usr/bin/python3 "$WORK/s3.py" setup "$S3" "$WORK"
# Each object's owner target (its gateway serves with sendfile) from the CLI; the proxy forwards.
"$AIS" show cluster --json >"$WORK/cluster.json"
for name in obj-1m obj-16k; do
  owner=$("$AIS" object head "ais://bench/$name" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["target"])')
  ownerHttp=http://$(/usr/bin/python3 -c '
import json, sys
for n in json.load(open(sys.argv[1]))["nodes"]:
    if n["id"] == sys.argv[2] and n["role"] == "target": print(n["http_endpoint"])' "$WORK/cluster.json" "$owner")
  for pair in "proxy $S3" "owner $ownerHttp"; do
    echo "${pair%% *} $name $(/usr/bin/python3 "$WORK/s3.py" presign "$S3" "$WORK" "${pair#* }" "$name")"
  done
  echo "anon $name $ownerHttp/bench/$name"
  echo "ownerpid $name $(pgrep -f "$AIS_DEV_DIR/$owner/aisnode.json" | head -1)"
done >"$WORK/urls"
url() { awk -v l="$1" -v n="$2" '$1 == l && $2 == n {print $3}' "$WORK/urls"; }
for n in obj-1m obj-16k; do  # every server must serve the same bytes
  for u in "$(url proxy $n)" "$(url owner $n)" "http://127.0.0.1:$NGINX_PORT/$n" \
    "http://127.0.0.1:$NGINX_RELAY_PORT/$n"; do
    curl -sf "$u" | cmp -s - "$WORK/www/$n" || { echo "$u: wrong bytes" >&2; exit 1; }
  done
done

# wrk URL -> requests/s (only successful responses count: any error aborts the run)
rps() {
  local out
  out=$(wrk -t2 -c16 -d"$DURATION" "$1")
  if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
    echo "wrk $1: errors" >&2
    echo "$out" >&2
    exit 1
  fi
  awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}
mib() { awk -v r="$1" -v s="$2" 'BEGIN {printf "%.0f", r * s / 1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# This machine's speed drifts from minute to minute (a shared VM): each round measures nginx,
# the proxy, the owner and nginx's relay back to back, and the table shows the median of ROUNDS
# rounds (req/s and each round's own ratio to nginx).
ROUNDS=${BENCH_ROUNDS:-3}
echo "| GET (wrk -t2 -c16 -d$DURATION, median of $ROUNDS rounds) | nginx req/s | nginx MiB/s | proxy gw req/s | proxy gw MiB/s | ratio | owner gw req/s | owner gw MiB/s | ratio | nginx relay req/s | ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in obj-1m obj-16k; do
  size=$(stat -c %s "$WORK/www/$n")
  ngs="" pxs="" ows="" nrs="" prs="" ors="" nrrs=""
  for _ in $(seq "$ROUNDS"); do
    ng=$(rps "http://127.0.0.1:$NGINX_PORT/$n")
    px=$(rps "$(url proxy $n)")
    ow=$(rps "$(url owner $n)")
    nr=$(rps "http://127.0.0.1:$NGINX_RELAY_PORT/$n")
    ngs+=" $ng" pxs+=" $px" ows+=" $ow" nrs+=" $nr"
    prs+=" $(ratio "$px" "$ng")" ors+=" $(ratio "$ow" "$ng")" nrrs+=" $(ratio "$nr" "$ng")"
  done
  ng=$(median <<<"$ngs") px=$(median <<<"$pxs") ow=$(median <<<"$ows") nr=$(median <<<"$nrs")
  printf "| %s | %.0f | %s | %.0f | %s | %s | %.0f | %s | %s | %.0f | %s |\n" "${n#obj-}" "$ng" \
    "$(mib "$ng" "$size")" "$px" "$(mib "$px" "$size")" "$(median <<<"$prs")" "$ow" \
    "$(mib "$ow" "$size")" "$(median <<<"$ors")" "$nr" "$(median <<<"$nrrs")"
  echo "  ${n#obj-} rounds: proxy ratios$prs; owner ratios$ors; nginx relay ratios$nrrs" >&2
done

# SigV4: the same 16 KiB GETs on the owner's gateway, presigned and anonymous, with the owner's
# CPU time (utime + stime of the aisnode process) per request.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pid=$(url ownerpid obj-16k)
hz=$(getconf CLK_TCK)
echo
echo "| 16 KiB GET on the owner's gateway (wrk -t2 -c16 -d$DURATION) | req/s | owner CPU µs/request |"
echo "|---|---|---|"
for kind in owner anon; do
  before=$(cpu_ticks "$pid")
  start=$(date +%s.%N)
  r=$(rps "$(url $kind obj-16k)")
  secs_run=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {print e - s}')
  used=$(( $(cpu_ticks "$pid") - before ))
  us=$(awk -v u="$used" -v hz="$hz" -v r="$r" -v t="$secs_run" 'BEGIN {printf "%.1f", u / hz * 1e6 / (r * t)}')
  label=$([[ $kind == owner ]] && echo "presigned SigV4 (verified)" || echo "anonymous (public-read, no signature)")
  printf "| %s | %.0f | %s |
" "$label" "$r" "$us"
done

secs=${DURATION%s}
put=$(/usr/bin/python3 "$WORK/s3.py" put "$S3" "$WORK" "$secs")
disk=$(/usr/bin/python3 "$WORK/s3.py" disk "$S3" "$WORK" "$secs")
echo
echo "| 1 MiB PUT, 8 in flight, ${secs}s | MiB/s |"
echo "|---|---|"
printf "| signed PUT (boto3, SigV4 payload hash) through the proxy's gateway | %.0f |\n" "$put"
printf "| local files, same bytes, no fsync (python) | %.0f |\n" "$disk"
