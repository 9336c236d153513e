# Sourced by tests/lib/playground.sh (and by scripts that need no playground): PASS/FAIL/SKIP
# bookkeeping, check, flip_byte, and the port helpers of tests/lib/ports.sh.
# shellcheck shell=bash
PY=/usr/bin/python3
# shellcheck source=tests/lib/ports.sh
source "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

FAILS=0
PASSES=0
pass() {
  echo "PASS $1"
  PASSES=$((PASSES + 1))
}
fail() {
  local detail=${2:-}
  echo "FAIL $1${detail:+: $(tr -s '\n ' ' ' <<<"$detail" | head -c 600)}"
  FAILS=$((FAILS + 1))
}
skip() { echo "SKIP $1${2:+: $2}"; }
# check NAME CMD...: the command must succeed.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(tail -n 5 <<<"$out")"; fi
}

# flip_byte FILE [OFF]: the byte at OFF (default: the middle of FILE) xor 0xff, in place; always
# a change, whatever the byte was.
flip_byte() {
  local f=$1 off=${2:-} size byte
  size=$(stat -c %s "$f" 2>/dev/null) || return 1
  [[ -n $off ]] || off=$((size / 2))
  byte=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
  [[ -n $byte ]] || return 1
  # shellcheck disable=SC2059
  printf "$(printf '\\%03o' $((byte ^ 255)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
