# Shared by tests/integrity/*_test.sh (sourced): tests/lib/playground.sh with the integrity
# suite's ports (a base in 25000-25495, step 4: 4 rpc ports and their gateways), an aisfs mount
# of it where the machine has FUSE, and helpers comparing byte ranges.
# shellcheck shell=bash disable=SC2034
TMO=60 # every client call runs under `timeout $TMO`: a hang is a failure, not a stall
# shellcheck source=tests/lib/playground.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/playground.sh"
playground ais-integrity 25000 124 4 4

cluster_up() { playground_up "$@"; }

# is_prefix FILE REF: FILE's bytes are a prefix of REF's (an empty or missing FILE is).
is_prefix() {
  [[ -e $1 ]] || return 0
  local n
  n=$(stat -c %s "$1")
  ((n <= $(stat -c %s "$2"))) && cmp -s -n "$n" "$1" "$2"
}

# slice REF OFF LEN OUT: OUT = LEN bytes of REF from OFF.
slice() { tail -c +$(($2 + 1)) "$1" | head -c "$3" >"$4"; }
