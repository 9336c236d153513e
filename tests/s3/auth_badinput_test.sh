#!/usr/bin/env bash
# SigV4 on (keys from the environment of the nodes), s3cmd, and bad input: every class answers
# with the right 4xx and the gateway keeps serving.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
export AIS_S3_ACCESS_KEY=AKTEST AIS_S3_SECRET_KEY=secret123
start_cluster
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
good() { AWS_ACCESS_KEY_ID=AKTEST AWS_SECRET_ACCESS_KEY=secret123 aws --endpoint-url "$S3_ENDPOINT" "$@"; }
bad() { AWS_ACCESS_KEY_ID=AKTEST AWS_SECRET_ACCESS_KEY=wrong aws --endpoint-url "$S3_ENDPOINT" "$@"; }
export -f good bad
code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

check auth_right_key good s3 mb s3://authb
check auth_wrong_secret bash -c 'bad s3api list-objects-v2 --bucket authb 2>&1 | grep -q SignatureDoesNotMatch'
check auth_wrong_key_id bash -c 'AWS_ACCESS_KEY_ID=nobody AWS_SECRET_ACCESS_KEY=x aws --endpoint-url $S3_ENDPOINT s3 ls 2>&1 | grep -q InvalidAccessKeyId'
check auth_wrong_region bash -c 'good --region eu-west-1 s3api list-objects-v2 --bucket authb 2>&1 | grep -q AuthorizationHeaderMalformed'
check auth_anonymous_denied bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" $S3_ENDPOINT/authb)" = 403 ]'
echo hi >"$WORK/hi.txt"
check auth_put_get bash -c "good s3 cp --only-show-errors $WORK/hi.txt s3://authb/hi.txt && good s3 cp s3://authb/hi.txt - | grep -qx hi"
# awscli's `s3 presign` signs with SigV2 (unsupported): presign SigV4 with boto3.
presign() {
  /usr/bin/python3 -c 'import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="AKTEST", aws_secret_access_key="secret123", region_name="us-east-1", config=boto3.session.Config(signature_version="s3v4"))
print(s3.generate_presigned_url("get_object", Params={"Bucket": "authb", "Key": "hi.txt"}, ExpiresIn=int(sys.argv[2])))' "$S3_ENDPOINT" "$1"
}
export -f presign
check auth_presigned_ok bash -c 'curl -sf "$(presign 60)" | grep -qx hi'
# (The signature's last hex digit changed: to 1 if it was 0, else to 0.)
check auth_presigned_bad_sig bash -c 'u=$(presign 60); d=0; [ "${u: -1}" = 0 ] && d=1; [ "$(curl -s -o /dev/null -w "%{http_code}" "${u%?}$d")" = 403 ]'
# (The 2 s are time, on purpose: the URL's 1 s validity runs out.)
check auth_presigned_expired bash -c 'u=$(presign 1); sleep 2; curl -s "$u" | grep -q "expired"'

if command -v s3cmd >/dev/null; then
  cfg=$WORK/s3cfg
  h=${S3_ENDPOINT#http://}
  printf '[default]\naccess_key = AKTEST\nsecret_key = secret123\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n' "$h" "$h" >"$cfg"
  sc() { s3cmd -c "$cfg" --no-progress "$@"; }
  mkdir -p "$WORK/sc/d"
  for i in 1 2 3; do echo "s3cmd $i" >"$WORK/sc/d/f$i"; done
  check s3cmd_mb sc mb s3://scb
  check s3cmd_put sc put "$WORK/sc/d/f1" s3://scb/f1
  check s3cmd_get bash -c "s3cmd -c $cfg --no-progress get --force s3://scb/f1 $WORK/sc/g1 && cmp $WORK/sc/d/f1 $WORK/sc/g1"
  check s3cmd_sync sc sync "$WORK/sc/d/" s3://scb/tree/
  check s3cmd_ls bash -c "s3cmd -c $cfg ls s3://scb/tree/ | grep -c s3://scb/tree/f | grep -qx 3"
  check s3cmd_del sc del s3://scb/f1
  check s3cmd_rm_recursive sc del --recursive --force s3://scb/tree/
  check s3cmd_rb sc rb s3://scb
else
  echo "SKIP s3cmd not installed"
fi

# Bad input, anonymous cluster semantics do not matter: auth fails later than these checks or
# the check is on the framing itself.
check bad_oversized_header bash -c '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "X-Big: $(head -c 20000 /dev/zero | tr "\0" a)" $S3_ENDPOINT/)" = 431 ]'
check bad_malformed_request bash -c 'printf "GARBAGE\r\n\r\n" | timeout 5 nc -q 2 127.0.0.1 ${S3_ENDPOINT##*:} | head -1 | grep -q " 400 "'
check bad_bucket_name bash -c 'good s3api create-bucket --bucket "Bad_Name" 2>&1 | grep -q InvalidBucketName'
check bad_unknown_op bash -c 'good s3api get-bucket-policy --bucket authb 2>&1 | grep -q NotImplemented'
# Bad escapes in the query or the path, a presigned URL with a malformed expiry: 400 with S3's
# code (never 500), whichever gateway gets them.
check bad_query_escape bash -c 'out=$(curl -s -w "%{http_code}" "$S3_ENDPOINT/authb/hi.txt?x=%zz"); [[ $out == *InvalidURI*400 ]]'
check bad_path_escape bash -c 'out=$(curl -s -w "%{http_code}" "$S3_ENDPOINT/authb/h%zzi.txt"); [[ $out == *InvalidURI*400 ]]'
check bad_presigned_expires bash -c 'u=$(presign 60 | sed "s/X-Amz-Expires=[0-9]*/X-Amz-Expires=abc/"); out=$(curl -s -w "%{http_code}" "$u"); [[ $out == *AuthorizationQueryParametersError*400 ]]'
# A client that disconnects mid-upload: nothing becomes visible (looked for 5 times over a
# second), the server keeps serving.
check bad_truncated_upload bash -c '(printf "PUT /authb/partial HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n\r\n"; head -c 1000000 /dev/zero) | timeout 3 nc -q 1 127.0.0.1 ${S3_ENDPOINT##*:} >/dev/null; for i in 1 2 3 4 5; do good s3api head-object --bucket authb --key partial 2>&1 | grep -q 404 || exit 1; sleep 0.2; done'
check still_serving bash -c 'good s3 ls s3://authb | grep -q hi.txt'
check native_health bash -c 'curl -sf $S3_ENDPOINT/v1/health | grep -q ok'
check native_cluster_signed bash -c 'curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user AKTEST:secret123 $S3_ENDPOINT/v1/cluster | grep -q "\"primary\""'
check native_cluster_unsigned_refused test "$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/v1/cluster")" = 403
# A signed native PUT whose body is not the one its signed payload hash names: refused, and
# nothing stored; the right body goes in.
printf 'the real body' >"$WORK/native_body"
other_sha=$(printf 'another body' | sha256sum | cut -d' ' -f1)
real_sha=$(sha256sum <"$WORK/native_body" | cut -d' ' -f1)
check native_put_payload_mismatch bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user AKTEST:secret123 -H 'x-amz-content-sha256: $other_sha' -X PUT --data-binary @$WORK/native_body $S3_ENDPOINT/v1/objects/authb/signed)\" = 400 ]"
check native_put_mismatch_stored_nothing test "$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user AKTEST:secret123 -I "$S3_ENDPOINT/v1/objects/authb/signed")" = 404
check native_put_payload_signed bash -c "curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user AKTEST:secret123 -H 'x-amz-content-sha256: $real_sha' -X PUT --data-binary @$WORK/native_body $S3_ENDPOINT/v1/objects/authb/signed >/dev/null"
finish
