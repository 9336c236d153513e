# Shared by tests/s3/*_test.sh (sourced): tests/lib/playground.sh with the S3 suites' ports
# (a base in 24000-24396, step 4: 4 rpc ports and their gateways); start_cluster UP-ARGS...
# starts it and exports S3_ENDPOINT/AIS_ENDPOINT.
# shellcheck shell=bash disable=SC2034
# shellcheck source=tests/lib/playground.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/playground.sh"
playground s3-test 24000 100 4 4

start_cluster() { playground_up "$@"; }
