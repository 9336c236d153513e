#!/usr/bin/env bash
# A mountpath holding about 1,000 objects detached from a running target (1 proxy + 1 target with
# two mountpaths, 2,000 objects) while two readers check bytes: disable (its resilver job moves
# everything to the other one), detach, restart (it stays out), attach it back (objects move to it
# again). Every read during and after returns the right bytes.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground mountpath-test 22900 50 4 4
playground_up --targets 1
N=2000
put_random_objects ais://mpt $N 2000
MP=$AIS_DEV_DIR/t1/mp1
held=$(find "$MP/@ais/mpt" -type f -not -path "*/%pw/*" | wc -l)
if ((held >= 900)); then pass "mountpath_holds_about_1000 ($held)"; else fail mountpath_holds_about_1000 "$held"; fi

STOP=$WORK/stop
verifying_reader ais://mpt 1 &
verifying_reader ais://mpt 2 &
all_readable() {
  local bad
  bad=$(differing_objects ais://mpt)
  [[ -z $bad ]] || { echo "differ: $(head -c 300 <<<"$bad"); $(head -3 "$WORK/all.log")"; return 1; }
}
mp_count() { "$AIS" storage mountpath show t1 --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

job=$("$AIS" storage mountpath disable t1 "$MP" 2>&1 | grep -o 'resilver-[^ )]*' | head -1)
check disable_starts_resilver test -n "$job"
check resilver_done "$AIS" job wait "$job" --timeout 300
check detach "$AIS" storage mountpath detach t1 "$MP"
touch "$STOP"
wait
if [[ -s $WORK/reads.log ]]; then fail reads_during_detach "$(sort "$WORK/reads.log" | uniq -c | head -5)"; else
  pass reads_during_detach
fi
check detached_holds_nothing test "$(find "$MP/@ais" -type f 2>/dev/null | wc -l)" = 0
check one_mountpath_left test "$(mp_count)" = 1
check all_readable_after_detach all_readable
"$DEV" kill t1 >/dev/null && "$DEV" start t1 >/dev/null
check detach_kept_after_restart test "$(mp_count)" = 1
check all_readable_after_restart all_readable
check listing_complete test "$(listed_count ais://mpt)" = $N

job=$("$AIS" storage mountpath attach t1 "$MP" 2>&1 | grep -o 'resilver-[^ )]*' | head -1)
check attach_starts_resilver test -n "$job"
check attach_resilver_done "$AIS" job wait "$job" --timeout 300
back=$(find "$MP/@ais/mpt" -type f -not -path "*/%pw/*" | wc -l)
if ((back >= 900)); then pass "attached_takes_its_share ($back)"; else fail attached_takes_its_share "$back"; fi
check two_mountpaths test "$(mp_count)" = 2
check all_readable_after_attach all_readable

echo "mountpath_test: $FAILS failed"
((FAILS == 0))
