#!/usr/bin/env bash
# boto3 (tests/s3/boto3_s3.py) against the S3 gateway, anonymous cluster.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import boto3' 2>/dev/null || { echo "SKIP boto3 not installed"; exit 0; }
start_cluster
/usr/bin/python3 "$(dirname "$0")/boto3_s3.py" || FAILS=$((FAILS + 1))
finish
