#!/usr/bin/env bash
# Archive shards on a real playground (1 proxy, 3 targets): TAR shards made by GNU tar (gnu, pax
# and ustar formats, long names, directories, links) are listed (`ais archive ls`, native
# `?archpath=`) and every member read back byte-exact through the CLI (`ais get --archpath`, with
# and without a range) and native REST on the proxy and every target (with Range). Hostile and
# damaged shards get clear errors and the node keeps serving: not a TAR, truncated, a corrupt
# header, names with `..` and absolute paths (listed sanitized), bytes flipped on disk inside a
# member (an error, never wrong bytes); an overwritten shard serves its new members; an EC
# shard's members are read with its owner down.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
WORK=$(mktemp -d /tmp/ais-archive-work.XXXXXX)
own_playground archive-test 23300 15 10 10
playground_up --targets 3
HTTP=127.0.0.1:$((AIS_DEV_PORT + 500))
TARGET_HTTP=$(for i in 1 2 3; do echo "127.0.0.1:$((AIS_DEV_PORT + 500 + i))"; done)

# Source tree: sizes around block and header boundaries, deep and long names, a symlink.
SRC=$WORK/src
mkdir -p "$SRC/dir/sub" "$SRC/$(printf 'n%.0s' $(seq 1 90))/$(printf 'm%.0s' $(seq 1 70))"
echo "hello" >"$SRC/a.txt"
: >"$SRC/empty"
for s in 1 511 512 513 65535 65536 70000 300000; do head -c $s /dev/urandom >"$SRC/dir/s$s"; done
head -c 2000000 /dev/urandom >"$SRC/dir/sub/big.bin"
echo "long" >"$SRC/$(printf 'n%.0s' $(seq 1 90))/$(printf 'm%.0s' $(seq 1 70))/leaf.txt"
ln -s a.txt "$SRC/link"
files=$(cd "$SRC" && find . -type f | sed 's#^\./##' | sort)

"$AIS" bucket create ais://shards >/dev/null
for fmt in gnu pax; do
  tar --format=$fmt -C "$SRC" -cf "$WORK/$fmt.tar" .
  "$AIS" put -q "$WORK/$fmt.tar" "ais://shards/$fmt.tar" >/dev/null
done
# ustar: names up to 255 bytes (prefix + name), so without the 160-byte directory.
mkdir -p "$WORK/usrc/$(printf 'p%.0s' $(seq 1 60))/$(printf 'q%.0s' $(seq 1 60))"
echo "prefixed" >"$WORK/usrc/$(printf 'p%.0s' $(seq 1 60))/$(printf 'q%.0s' $(seq 1 60))/r"
cp "$SRC/dir/s70000" "$WORK/usrc/"
tar --format=ustar -C "$WORK/usrc" -cf "$WORK/ustar.tar" .
"$AIS" put -q "$WORK/ustar.tar" ais://shards/ustar.tar >/dev/null

# Listing: every file tar lists, with its size.
for fmt in gnu pax; do
  listed=$("$AIS" archive ls "ais://shards/$fmt.tar" --json |
    $PY -c 'import json,sys; print("\n".join(sorted(m["name"]+" "+str(m["size"]) for m in json.load(sys.stdin) if m["type"]=="file")))')
  want=$(cd "$SRC" && for f in $files; do echo "$f $(stat -c %s "$f")"; done | sort)
  if [[ $listed == "$want" ]]; then pass "archive_ls_$fmt"; else
    fail "archive_ls_$fmt" "$(diff <(echo "$listed") <(echo "$want") | head -5)"
  fi
done
out=$("$AIS" archive ls ais://shards/gnu.tar)
if [[ $out == *"link -> a.txt"*"symlink"* && $out == *"dir/sub/"*"dir"* ]]; then pass archive_ls_table; else
  fail archive_ls_table "$(head -c 300 <<<"$out")"
fi

# Every member, through the CLI and native REST (proxy and each target's gateway).
for fmt in gnu pax; do
  bad=""
  for f in $files; do
    "$AIS" get -q "ais://shards/$fmt.tar" --archpath "$f" "$WORK/got" >/dev/null 2>&1 && cmp -s "$WORK/got" "$SRC/$f" || bad+=" cli:$f"
    for h in $HTTP $TARGET_HTTP; do
      curl -sf "http://$h/v1/objects/shards/$fmt.tar?archpath=$f" -o "$WORK/got" && cmp -s "$WORK/got" "$SRC/$f" || bad+=" $h:$f"
    done
  done
  if [[ -z $bad ]]; then pass "members_read_back_$fmt"; else fail "members_read_back_$fmt" "$(head -c 400 <<<"$bad")"; fi
done
deep="$(printf 'p%.0s' $(seq 1 60))/$(printf 'q%.0s' $(seq 1 60))/r"
if "$AIS" get -q ais://shards/ustar.tar --archpath "$deep" "$WORK/got" >/dev/null &&
  cmp -s "$WORK/got" "$WORK/usrc/$deep" && "$AIS" get -q ais://shards/ustar.tar --archpath ./s70000 "$WORK/got" >/dev/null &&
  cmp -s "$WORK/got" "$SRC/dir/s70000"; then
  pass members_read_back_ustar
else
  fail members_read_back_ustar
fi

# Ranges within a member: the CLI's --offset/--length, HTTP Range (206, Content-Range of the member).
m=dir/sub/big.bin
if "$AIS" get -q ais://shards/gnu.tar --archpath $m --offset 100000 --length 70000 - 2>/dev/null |
  cmp -s - <(tail -c +100001 "$SRC/$m" | head -c 70000); then pass member_range_cli; else fail member_range_cli; fi
code=$(curl -s -o "$WORK/got" -D "$WORK/h" -w '%{http_code}' -H "Range: bytes=1999990-" "http://$HTTP/v1/objects/shards/gnu.tar?archpath=$m")
if [[ $code == 206 ]] && cmp -s "$WORK/got" <(tail -c 10 "$SRC/$m") &&
  grep -qi "content-range: bytes 1999990-1999999/2000000" "$WORK/h" && ! grep -qi "ais-checksum-value" "$WORK/h"; then
  pass member_range_http
else
  fail member_range_http "code $code; $(tr -d '\r' <"$WORK/h" | head -c 300)"
fi
out=$("$AIS" get ais://shards/gnu.tar --archpath dir/s1 --offset 5 - 2>&1)
if [[ $? -eq 10 && $out == *"past the end of member"* ]]; then pass member_range_past_end; else fail member_range_past_end "$out"; fi

# Errors: no such member, a directory, the native listing, a missing shard.
out=$("$AIS" get ais://shards/gnu.tar --archpath nope "$WORK/got" 2>&1)
if [[ $? -eq 3 && $out == *"has no member 'nope'"* ]]; then pass member_not_found_cli; else fail member_not_found_cli "$out"; fi
code=$(curl -s -o "$WORK/got" -w '%{http_code}' "http://$HTTP/v1/objects/shards/gnu.tar?archpath=nope")
if [[ $code == 404 ]] && grep -q MemberNotFound "$WORK/got"; then pass member_not_found_http; else fail member_not_found_http "$code"; fi
out=$("$AIS" get ais://shards/gnu.tar --archpath dir/sub "$WORK/got" 2>&1)
if [[ $? -eq 5 && $out == *"not a regular file"* ]]; then pass member_dir_refused; else fail member_dir_refused "$out"; fi
n=$(curl -sf "http://$HTTP/v1/objects/shards/pax.tar?archpath=" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(len([m for m in d["members"] if m["type"]=="file"]), d["shard"]["name"])')
if [[ $n == "$(wc -w <<<"$files") pax.tar" ]]; then pass archive_list_http; else fail archive_list_http "$n"; fi
out=$("$AIS" archive ls ais://shards/none.tar 2>&1)
if [[ $? -eq 3 ]]; then pass archive_ls_missing_shard; else fail archive_ls_missing_shard "$out"; fi

# Hostile and damaged shards: clear errors, and the cluster keeps serving.
head -c 100000 /dev/urandom >"$WORK/junk.tar"
head -c 1500000 "$WORK/gnu.tar" >"$WORK/cut.tar"
cp "$WORK/gnu.tar" "$WORK/hdr.tar"
off=$("$AIS" archive ls ais://shards/gnu.tar --json | $PY -c 'import json,sys; print([m["offset"] for m in json.load(sys.stdin) if m["name"]=="dir/s513"][0])')
printf 'X' | dd of="$WORK/hdr.tar" bs=1 seek=$((off - 512 + 3)) conv=notrunc status=none
$PY - "$WORK/evil.tar" <<'PYEOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
    for name, data in [("../../escape.txt", b"up"), ("/abs/path.txt", b"abs"), ("ok/../../twice.txt", b"tw"),
                       ("dup.txt", b"first"), ("dup.txt", b"second")]:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PYEOF
for f in junk cut hdr evil; do "$AIS" put -q "$WORK/$f.tar" "ais://shards/$f.tar" >/dev/null; done
out=$("$AIS" archive ls ais://shards/junk.tar 2>&1)
if [[ $? -eq 5 && $out == *"not a TAR archive"* ]]; then pass not_a_tar_refused; else fail not_a_tar_refused "$out"; fi
out=$("$AIS" archive ls ais://shards/cut.tar 2>&1)
if [[ $? -eq 5 && $out == *"past the end of the 1500000-byte shard"* ]]; then pass truncated_shard_refused; else
  fail truncated_shard_refused "$out"
fi
out=$("$AIS" get ais://shards/hdr.tar --archpath a.txt "$WORK/got" 2>&1)
if [[ $? -eq 5 && $out == *"corrupt header at offset $((off - 512))"* ]]; then pass corrupt_header_refused; else
  fail corrupt_header_refused "$out"
fi
code=$(curl -s -o "$WORK/got" -w '%{http_code}' "http://$HTTP/v1/objects/shards/junk.tar?archpath=x")
if [[ $code == 400 ]] && grep -q BadArchive "$WORK/got"; then pass bad_archive_http_400; else fail bad_archive_http_400 "$code $(head -c 200 "$WORK/got")"; fi
names=$("$AIS" archive ls ais://shards/evil.tar --json | $PY -c 'import json,sys; print(" ".join(m["name"] for m in json.load(sys.stdin)))')
if [[ $names == "escape.txt abs/path.txt twice.txt dup.txt dup.txt" ]]; then pass hostile_names_sanitized; else
  fail hostile_names_sanitized "$names"
fi
got=$("$AIS" get -q ais://shards/evil.tar --archpath dup.txt - 2>/dev/null)$("$AIS" get -q ais://shards/evil.tar --archpath ../../escape.txt - 2>/dev/null)
if [[ $got == "secondup" && ! -e $WORK/escape.txt ]]; then pass hostile_members_read_inside; else fail hostile_members_read_inside "$got"; fi
check still_serving_after_bad_shards "$AIS" get -q ais://shards/gnu.tar --archpath a.txt "$WORK/got"

# Formats not served yet say so.
tar -C "$SRC" -czf "$WORK/s.tgz" a.txt
"$AIS" put -q "$WORK/s.tgz" ais://shards/s.tgz >/dev/null
out=$("$AIS" archive ls ais://shards/s.tgz 2>&1)
if [[ $? -ne 0 && $out == *"tgz shards are not served yet"* ]]; then pass tgz_not_served_says_so; else fail tgz_not_served_says_so "$out"; fi

# A byte flipped on disk inside a member: that member's reads fail (CLI exit 9, HTTP 500), never
# wrong bytes; a member in another block still reads.
"$AIS" put -q "$WORK/gnu.tar" ais://shards/flip.tar >/dev/null
moff=$("$AIS" archive ls ais://shards/flip.tar --json | $PY -c 'import json,sys; print([m["offset"] for m in json.load(sys.stdin) if m["name"]=="dir/sub/big.bin"][0])')
file=$(find "$AIS_DEV_DIR" -type f -path "*@ais/shards/%ob/flip.tar" | head -1)
printf '\x00' | dd of="$file" bs=1 seek=$((moff + 1000000)) conv=notrunc status=none
rm -f "$WORK/got"
"$AIS" get -q ais://shards/flip.tar --archpath dir/sub/big.bin "$WORK/got" >/dev/null 2>&1
rc=$?
# (A damaged range of up to 4 MiB is checked before the status line: an error status, no body.)
code=$(curl -s -o "$WORK/got2" -w '%{http_code}' "http://$HTTP/v1/objects/shards/flip.tar?archpath=dir/sub/big.bin")
if [[ $rc == 9 && ! -e $WORK/got && $code == 500 ]] && grep -q ObjectCorrupted "$WORK/got2"; then
  pass flipped_member_never_served
else
  fail flipped_member_never_served "cli exit $rc (file left: $([[ -e $WORK/got ]] && echo yes || echo no)); http $code"
fi
if "$AIS" get -q ais://shards/flip.tar --archpath a.txt "$WORK/got" >/dev/null 2>&1 && cmp -s "$WORK/got" "$SRC/a.txt"; then
  pass undamaged_member_still_reads
else
  fail undamaged_member_still_reads
fi

# An overwritten shard: its new members (the index follows the object's version).
mkdir -p "$WORK/v2" && echo "version two" >"$WORK/v2/a.txt"
tar -C "$WORK/v2" -cf "$WORK/v2.tar" a.txt
"$AIS" put -q "$WORK/v2.tar" ais://shards/gnu.tar >/dev/null
got=$("$AIS" get -q ais://shards/gnu.tar --archpath a.txt - 2>/dev/null)
out=$("$AIS" get ais://shards/gnu.tar --archpath dir/s1 "$WORK/got" 2>&1)
if [[ $got == "version two" && $out == *"has no member"* ]]; then pass overwritten_shard_new_members; else
  fail overwritten_shard_new_members "got '$got'; $out"
fi

# A shard in a bucket with EC: its members read with its owner down (from the slices).
"$AIS" bucket create ais://ecshards >/dev/null
"$AIS" bucket props set ais://ecshards ec.enabled=true ec.data_slices=1 ec.parity_slices=1 ec.objsize_limit=64KiB >/dev/null
"$AIS" put -q "$WORK/pax.tar" ais://ecshards/pax.tar >/dev/null
owner=$("$AIS" object head ais://ecshards/pax.tar --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
"$DEV" kill "$owner" >/dev/null 2>&1
bad=""
for f in a.txt dir/s65536 dir/sub/big.bin; do
  "$AIS" get -q ais://ecshards/pax.tar --archpath "$f" "$WORK/got" >/dev/null 2>&1 && cmp -s "$WORK/got" "$SRC/$f" || bad+=" $f"
done
if [[ -z $bad ]]; then pass ec_members_owner_down; else fail ec_members_owner_down "failed:$bad"; fi
"$DEV" start "$owner" >/dev/null 2>&1

echo "archive_test: $FAILS failed"
((FAILS == 0))
