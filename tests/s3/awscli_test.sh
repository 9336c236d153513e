#!/usr/bin/env bash
# awscli against the S3 gateway: mb/ls/cp/sync/rm (a large file goes multipart), s3api listing
# with delimiter and pagination, head-object, copy-object, delete-objects, error codes.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
command -v aws >/dev/null || { echo "SKIP awscli not installed"; exit 0; }
start_cluster
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
s3() {
  local cmd=$1
  shift
  case $cmd in
    cp | sync | rm | mv) aws --endpoint-url "$S3_ENDPOINT" s3 "$cmd" --only-show-errors "$@" ;;
    *) aws --endpoint-url "$S3_ENDPOINT" s3 "$cmd" "$@" ;;
  esac
}
api() { aws --endpoint-url "$S3_ENDPOINT" s3api "$@"; }
export -f s3 api
D=$WORK/data
mkdir -p "$D/src/sub" "$D/out"
for i in $(seq 1 20); do echo "file $i" >"$D/src/f$i.txt"; done
echo nested >"$D/src/sub/n.txt"
head -c $((200 << 20)) /dev/urandom >"$D/big.bin"

check mb s3 mb s3://awsb
check ls_buckets bash -c 's3 ls | grep -q awsb'
check mb_again_owned bash -c 'api create-bucket --bucket awsb 2>&1 | grep -q BucketAlreadyOwnedByYou'
check cp_small s3 cp "$D/src/f1.txt" s3://awsb/one.txt
check cp_back bash -c "aws --endpoint-url $S3_ENDPOINT s3 cp s3://awsb/one.txt - | grep -q 'file 1'"
check cp_multipart_200MiB s3 cp "$D/big.bin" s3://awsb/big.bin
check multipart_etag bash -c 'api head-object --bucket awsb --key big.bin | grep -q "\-[0-9]*\\\\\""'
check get_multipart bash -c "aws --endpoint-url $S3_ENDPOINT --only-show-errors s3 cp s3://awsb/big.bin $D/out/big.bin && cmp $D/big.bin $D/out/big.bin"
check sync_up s3 sync "$D/src" s3://awsb/tree
check sync_down bash -c "aws --endpoint-url $S3_ENDPOINT --only-show-errors s3 sync s3://awsb/tree $D/out/tree && diff -r $D/src $D/out/tree"
check sync_noop bash -c "[ -z \"\$(aws --endpoint-url $S3_ENDPOINT s3 sync $D/src s3://awsb/tree)\" ]"
check list_delimiter bash -c 'api list-objects-v2 --bucket awsb --prefix tree/ --delimiter / --query "CommonPrefixes[].Prefix" --output text | grep -qx "tree/sub/"'
# --query applies per page: count the keys of all pages.
check list_paginated bash -c '[ "$(api list-objects-v2 --bucket awsb --prefix tree/ --page-size 3 --query "Contents[].Key" --output text | tr "\t" "\n" | sort -u | grep -c .)" = 21 ]'
check list_v1_paginated bash -c '[ "$(api list-objects --bucket awsb --prefix tree/ --page-size 4 --query "Contents[].Key" --output text | tr "\t" "\n" | sort -u | grep -c .)" = 21 ]'
check list_max_keys bash -c 'api list-objects-v2 --bucket awsb --max-keys 2 --no-paginate | grep -q NextContinuationToken'
check head_object bash -c 'api head-object --bucket awsb --key tree/f2.txt | grep -q ContentLength'
check head_missing bash -c 'api head-object --bucket awsb --key nope 2>&1 | grep -q "404"'
check get_missing_nosuchkey bash -c 'api get-object --bucket awsb --key nope /dev/null 2>&1 | grep -q NoSuchKey'
check put_metadata api put-object --bucket awsb --key meta.txt --body "$D/src/f3.txt" --content-type text/x-test --metadata color=blue
check metadata_kept bash -c 'api head-object --bucket awsb --key meta.txt | grep -q "\"color\": \"blue\"" && api head-object --bucket awsb --key meta.txt | grep -q text/x-test'
check copy_object api copy-object --bucket awsb --key copy.txt --copy-source awsb/meta.txt
check copy_keeps_meta bash -c 'api head-object --bucket awsb --key copy.txt | grep -q "\"color\": \"blue\""'
check copy_replace api copy-object --bucket awsb --key copy2.txt --copy-source awsb/meta.txt --metadata-directive REPLACE --metadata color=red
check copy_replaced_meta bash -c 'api head-object --bucket awsb --key copy2.txt | grep -q "\"color\": \"red\""'
check s3_mb_other s3 mb s3://awsb2
check copy_other_bucket bash -c "s3 cp s3://awsb/meta.txt s3://awsb2/x.txt && aws --endpoint-url $S3_ENDPOINT s3 cp s3://awsb2/x.txt - | grep -q 'file 3'"
check delete_objects bash -c 'api delete-objects --bucket awsb --delete "Objects=[{Key=copy.txt},{Key=copy2.txt},{Key=ghost}]" | grep -c "\"Key\"" | grep -qx 3'
check delete_objects_quiet bash -c '[ -z "$(api delete-objects --bucket awsb --delete "Objects=[{Key=one.txt}],Quiet=true" --output text)" ]'
check rb_not_empty bash -c 'api delete-bucket --bucket awsb 2>&1 | grep -q BucketNotEmpty'
check get_bucket_location bash -c 'api get-bucket-location --bucket awsb >/dev/null'
# S3 versioning (older versions kept) is not supported: never reported as enabled.
check get_bucket_versioning bash -c 'out=$(api get-bucket-versioning --bucket awsb) && ! grep -q Enabled <<<"$out"'
# Bad names and bodies (anonymous cluster: the name checks are what answers).
check bad_key_dotdot bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" --path-as-is $S3_ENDPOINT/awsb/a/../../etc)" = 400 ]'
check bad_key_nul bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" $S3_ENDPOINT/awsb/a%00b)" = 400 ]'
check bad_key_too_long bash -c 'curl -s $S3_ENDPOINT/awsb/$(head -c 1100 /dev/zero | tr "\0" k) | grep -q KeyTooLongError'
check bad_malformed_xml bash -c 'curl -s -X POST --data "<Delete><Object><Key>x</Key></Obj" "$S3_ENDPOINT/awsb?delete" | grep -q MalformedXML'
check bad_body_longer_than_declared bash -c '[ "$(printf "PUT /awsb/short HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcdefgh" | timeout 3 nc -q 1 127.0.0.1 ${S3_ENDPOINT##*:} | grep -c "^HTTP/1.1 ")" -ge 1 ] && aws --endpoint-url $S3_ENDPOINT s3 cp s3://awsb/short - | grep -qx abc'
check rm_recursive s3 rm --recursive s3://awsb
check rb s3 rb s3://awsb
check rb_missing bash -c 'api delete-bucket --bucket awsb 2>&1 | grep -q NoSuchBucket'
finish
