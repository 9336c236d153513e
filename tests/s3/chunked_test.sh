#!/usr/bin/env bash
# Signed streaming uploads (aws-chunked with per-chunk signatures) and virtual-host addressing,
# which the Debian S3 clients do not exercise on their own.
set -u
source "$(dirname "$0")/lib.sh"
export AIS_S3_ACCESS_KEY=AKCHUNK AIS_S3_SECRET_KEY=chunksecret
start_cluster
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY

SIGN=(--aws-sigv4 "aws:amz:us-east-1:s3" --user AKCHUNK:chunksecret)
check "native API refuses unsigned requests when keys are set" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/v1/buckets")" = 403
check "native API refuses a wrong secret" test "$(curl -s -o /dev/null -w '%{http_code}' \
  --aws-sigv4 "aws:amz:us-east-1:s3" --user AKCHUNK:wrong "$S3_ENDPOINT/v1/buckets")" = 403
check "health stays open" curl -sf "$S3_ENDPOINT/v1/health"
check "create bucket (signed native API)" curl -sf "${SIGN[@]}" -X PUT "$S3_ENDPOINT/v1/buckets/chunky"
check "list buckets (signed native API)" bash -c "curl -sf --aws-sigv4 aws:amz:us-east-1:s3 \
  --user AKCHUNK:chunksecret $S3_ENDPOINT/v1/buckets | grep -q chunky"
/usr/bin/python3 "$(dirname "$0")/aws_chunked.py" "$S3_ENDPOINT" AKCHUNK chunksecret chunky ||
  FAILS=$((FAILS + 1))

# Virtual-host style: the bucket in the Host header (s3_domain defaults to localhost).
port=${S3_ENDPOINT##*:}
export AWS_ACCESS_KEY_ID=AKCHUNK AWS_SECRET_ACCESS_KEY=chunksecret AWS_DEFAULT_REGION=us-east-1
check "virtual-host style PUT and GET (boto3)" /usr/bin/python3 - "$port" <<'PY'
import socket, sys, boto3
from botocore.config import Config
# No wildcard DNS for *.localhost here: resolve bucket hosts to loopback in this process only.
real_getaddrinfo = socket.getaddrinfo
socket.getaddrinfo = lambda host, *a, **kw: real_getaddrinfo(
    "127.0.0.1" if host.endswith(".localhost") else host, *a, **kw)
port = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=f"http://localhost:{port}",
                  config=Config(s3={"addressing_style": "virtual"}))
s3.put_object(Bucket="chunky", Key="vh/key", Body=b"virtual")
assert s3.get_object(Bucket="chunky", Key="vh/key")["Body"].read() == b"virtual"
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="chunky", Prefix="vh/")["Contents"]]
assert keys == ["vh/key"], keys
PY
finish
