#!/usr/bin/env bash
# Archive shards on a real playground (1 proxy, 3 targets): TAR shards made by GNU tar (gnu, pax
# and ustar formats, long names, directories, links), and TGZ, TAR.LZ4 and ZIP shards made by
# gzip, lz4 and zip, are listed (`ais archive ls`, native `?archpath=`) and every member read
# back byte-exact through the CLI (`ais get --archpath`, with and without a range) and native
# REST on the proxy and the targets (with Range); --archive-mime / archmime, sniffing. Hostile and
# damaged shards get clear errors and the node keeps serving: not a TAR, truncated, a corrupt
# header, names with `..` and absolute paths (listed sanitized), bytes flipped on disk inside a
# member or a TGZ (an error on every path, never wrong bytes; right bytes from the owner's kept
# segments when it was indexed before); an overwritten or deleted shard serves its new members
# or none (kept blocks and segments never outlive their version); an EC shard's members (TAR, TGZ, ZIP) are read with its owner down. `ais archive
# put --append` adds files to a TAR shard (GNU tar reads the result; racing appends all land; a
# compressed or missing shard is a clear error). GetBatch (`ais get --batch`, GET /v1/ml/moss):
# objects and members of several buckets as one TAR in order; missing items; bad requests.
# Archive jobs (`ais archive bucket`): shards built by their owner targets, in each format; a
# damaged source object fails the job by name and stores no shard.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/cli_suite.sh
source "$REPO/tests/lib/cli_suite.sh"
playground archive-test 21800 20 10 10
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
want=$(cd "$SRC" && for f in $files; do echo "$f $(stat -c %s "$f")"; done | sort)
# "name size" of the regular-file members `ais archive ls` lists, sorted.
listed_files() {
  "$AIS" archive ls "$1" --json |
    $PY -c 'import json,sys; print("\n".join(sorted(m["name"]+" "+str(m["size"]) for m in json.load(sys.stdin) if m["type"]=="file")))'
}
# unreadable_members SHARD HOST...: the members of $files that `ais get --archpath` or GET
# /v1/objects/...?archpath= on a HOST does not return byte-exact.
unreadable_members() {
  local shard=$1 bad="" f h
  shift
  for f in $files; do
    "$AIS" get -q "ais://shards/$shard" --archpath "$f" "$WORK/got" >/dev/null 2>&1 && cmp -s "$WORK/got" "$SRC/$f" || bad+=" cli:$f"
    for h in "$@"; do
      curl -sf "http://$h/v1/objects/shards/$shard?archpath=$f" -o "$WORK/got" && cmp -s "$WORK/got" "$SRC/$f" || bad+=" $h:$f"
    done
  done
  echo "$bad"
}

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

# AIStore's `ais archive get`: the same member read as `ais get --archpath` reads it.
"$AIS" archive get ais://shards/pax.tar "$WORK/aget" --archpath dir/s70000 >/dev/null 2>&1
check archive_get cmp "$WORK/aget" "$SRC/dir/s70000"
expect_missing=$("$AIS" archive get ais://shards/pax.tar "$WORK/aget2" --archpath no/such 2>&1)
[[ $? == 3 && ! -e $WORK/aget2 ]] && pass archive_get_missing_member || fail archive_get_missing_member "$expect_missing"

# Listing: every file tar lists, with its size.
for fmt in gnu pax; do
  listed=$(listed_files "ais://shards/$fmt.tar")
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
  # shellcheck disable=SC2086  # one host per word
  bad=$(unreadable_members "$fmt.tar" $HTTP $TARGET_HTTP)
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

# Compressed shards made by Debian's tools: TGZ (gzip), a TAR.GZ of two gzip members, TAR.LZ4
# (linked 64 KiB blocks), ZIP (deflated, symlinks kept) and a stored ZIP: listed, every member
# read back byte-exact through the CLI and native REST (the proxy and a target), and ranges.
tar -C "$SRC" -cf - . | gzip -c >"$WORK/c.tgz"
tar -C "$SRC" -cf "$WORK/whole.tar" .
half=$(($(stat -c %s "$WORK/whole.tar") / 2))
{ head -c $half "$WORK/whole.tar" | gzip -c; tail -c +$((half + 1)) "$WORK/whole.tar" | gzip -1 -c; } >"$WORK/two.tar.gz"
tar -C "$SRC" -cf - . | lz4 -q -c -BD -B4 >"$WORK/c.tar.lz4"
(cd "$SRC" && zip -q -r -y - .) >"$WORK/c.zip"
(cd "$SRC" && zip -q -r -y -0 - .) >"$WORK/stored.zip"
target1=$(head -1 <<<"$TARGET_HTTP")
for f in c.tgz two.tar.gz c.tar.lz4 c.zip stored.zip; do
  "$AIS" put -q "$WORK/$f" "ais://shards/$f" >/dev/null
  listed=$(listed_files "ais://shards/$f")
  if [[ $listed == "$want" ]]; then pass "archive_ls_$f"; else
    fail "archive_ls_$f" "$(diff <(echo "$listed") <(echo "$want") | head -5)"
  fi
  bad=$(unreadable_members "$f" "$HTTP" "$target1")
  if [[ -z $bad ]]; then pass "members_read_back_$f"; else fail "members_read_back_$f" "$(head -c 400 <<<"$bad")"; fi
  m=dir/sub/big.bin
  code=$(curl -s -o "$WORK/got" -w '%{http_code}' -H "Range: bytes=1500000-1600000" "http://$HTTP/v1/objects/shards/$f?archpath=$m")
  if "$AIS" get -q "ais://shards/$f" --archpath $m --offset 1234567 --length 70000 - 2>/dev/null |
    cmp -s - <(tail -c +1234568 "$SRC/$m" | head -c 70000) && [[ $code == 206 ]] &&
    cmp -s "$WORK/got" <(tail -c +1500001 "$SRC/$m" | head -c 100001); then
    pass "member_ranges_$f"
  else
    fail "member_ranges_$f" "http $code"
  fi
done
out=$("$AIS" archive ls ais://shards/c.zip)
if [[ $out == *"link -> a.txt"*"symlink"* && $out == *"(zip, "* ]]; then pass zip_symlink_listed; else
  fail zip_symlink_listed "$(tail -c 300 <<<"$out")"
fi

# Shards made by `ais archive put` in each format: the cluster lists and reads every member, and
# GNU tar, gzip, lz4 and unzip extract them byte-exact.
mkdir -p "$WORK/plain" && cp -r "$SRC/." "$WORK/plain/" && rm -f "$WORK/plain/link"
for f in made.tar made.tgz made.tar.lz4 made.zip; do
  out=$("$AIS" archive put -q "$WORK/plain" "ais://shards/$f" 2>&1) || fail "archive_put_$f" "$out"
  listed=$(listed_files "ais://shards/$f")
  bad=$(unreadable_members "$f")
  rm -rf "$WORK/x" && mkdir -p "$WORK/x"
  "$AIS" get -q "ais://shards/$f" "$WORK/$f" >/dev/null 2>&1
  case $f in
    *.tar) tar -C "$WORK/x" -xf "$WORK/$f" ;;
    *.tgz) gzip -t "$WORK/$f" && tar -C "$WORK/x" -xzf "$WORK/$f" ;;
    *.tar.lz4) lz4 -t -q "$WORK/$f" && lz4 -dc "$WORK/$f" | tar -C "$WORK/x" -xf - ;;
    *.zip) unzip -tq "$WORK/$f" >/dev/null && (cd "$WORK/x" && unzip -q "$WORK/$f") ;;
  esac
  extracted=$?
  if [[ $listed == "$want" && -z $bad && $extracted == 0 ]] && diff -r "$WORK/plain" "$WORK/x" >/dev/null; then
    pass "archive_put_$f"
  else
    fail "archive_put_$f" "listed ok: $([[ $listed == "$want" ]] && echo yes || echo no); unreadable:$(head -c 200 <<<"$bad"); extract $extracted; $(diff -r "$WORK/plain" "$WORK/x" 2>&1 | head -3)"
  fi
done
got=$("$AIS" archive put -q "$SRC/a.txt" ais://shards/one.tar --archpath docs/readme.txt 2>&1 &&
  "$AIS" get -q ais://shards/one.tar --archpath docs/readme.txt - 2>&1)
out=$("$AIS" archive put "$WORK/plain" ais://shards/made.bin 2>&1)
rc=$?
if [[ $got == hello && $rc -eq 5 && $out == *"does not name an archive format"* ]]; then pass archive_put_archpath_and_refusal; else
  fail archive_put_archpath_and_refusal "got '$got'; $out"
fi

# The format by --archive-mime (CLI) or archmime (REST) when the name does not say; else sniffed.
"$AIS" put -q "$WORK/c.tgz" ais://shards/noext >/dev/null
"$AIS" put -q "$WORK/c.zip" ais://shards/zip.bin >/dev/null
out=$("$AIS" archive ls ais://shards/noext 2>&1)
got=$("$AIS" get -q ais://shards/zip.bin --archive-mime zip --archpath a.txt - 2>/dev/null)
code=$(curl -s -o "$WORK/got" -w '%{http_code}' "http://$HTTP/v1/objects/shards/zip.bin?archpath=dir/s513&archmime=application/zip")
if [[ $out == *"(tgz, "* && $got == hello && $code == 200 ]] && cmp -s "$WORK/got" "$SRC/dir/s513"; then
  pass archive_mime_and_sniffing
else
  fail archive_mime_and_sniffing "ls: $(tail -c 100 <<<"$out"); get '$got'; http $code"
fi
out=$("$AIS" archive ls ais://shards/c.tgz --archive-mime zip 2>&1)
rc=$?
out2=$("$AIS" archive ls ais://shards/c.tgz --archive-mime rar 2>&1)
rc2=$?
if [[ $rc -eq 5 && $out == *"zip: not a ZIP archive"* && $rc2 -ne 0 && $out2 == *"unknown archive format 'rar'"* ]]; then
  pass archive_mime_wrong_refused
else
  fail archive_mime_wrong_refused "$out | $out2"
fi

# Damaged compressed shards: clear errors (exit 5, HTTP 400), the cluster keeps serving.
head -c $(($(stat -c %s "$WORK/c.tgz") / 2)) "$WORK/c.tgz" >"$WORK/cut.tgz"
head -c $(($(stat -c %s "$WORK/c.tar.lz4") - 5000)) "$WORK/c.tar.lz4" >"$WORK/cut.tar.lz4"
head -c 50000 /dev/urandom | gzip -c >"$WORK/notar.tgz"
head -c $(($(stat -c %s "$WORK/c.zip") - 40)) "$WORK/c.zip" >"$WORK/cut.zip"
for f in cut.tgz cut.tar.lz4 notar.tgz cut.zip; do "$AIS" put -q "$WORK/$f" "ais://shards/$f" >/dev/null; done
bad=""
for f in "cut.tgz:truncated" "cut.tar.lz4:truncated" "notar.tgz:not a TAR archive" "cut.zip:no end-of-central-directory"; do
  out=$("$AIS" archive ls "ais://shards/${f%%:*}" 2>&1)
  [[ $? -eq 5 && $out == *"${f#*:}"* ]] || bad+=" ${f%%:*}($out)"
done
code=$(curl -s -o "$WORK/got" -w '%{http_code}' "http://$HTTP/v1/objects/shards/cut.tgz?archpath=a.txt")
if [[ -z $bad && $code == 400 ]] && grep -q BadArchive "$WORK/got"; then pass damaged_compressed_refused; else
  fail damaged_compressed_refused "$bad; http $code"
fi
check still_serving_after_bad_compressed "$AIS" get -q ais://shards/c.tgz --archpath a.txt "$WORK/got"

# A byte flipped on disk inside a TGZ shard. Indexed while intact, its decoded segments are kept
# in the owner's memory (from verified bytes): every member still reads right. Flipped before its
# first use: its members fail (exit 9), never wrong bytes.
# flip_tgz NAME [indexed]: puts c.tgz as NAME (and lists it) and flips the byte in the middle of
# its file.
flip_tgz() {
  "$AIS" put -q "$WORK/c.tgz" "ais://shards/$1" >/dev/null
  [[ ${2:-} == indexed ]] && "$AIS" archive ls "ais://shards/$1" >/dev/null
  local file
  file=$(find "$AIS_DEV_DIR" -type f -path "*@ais/shards/%ob/$1" | head -1)
  flip_byte "$file"
}
flip_tgz kept.tgz indexed
bad=$(unreadable_members kept.tgz "$HTTP")
if [[ -z $bad ]]; then pass flipped_tgz_kept_segments_read_right; else
  fail flipped_tgz_kept_segments_read_right "$bad"
fi
flip_tgz flip.tgz
wrong=0 failed=0
for m in $files; do
  if "$AIS" get -q ais://shards/flip.tgz --archpath "$m" "$WORK/got" >/dev/null 2>&1; then
    cmp -s "$WORK/got" "$SRC/$m" || wrong=$((wrong + 1))
  else
    failed=$((failed + 1))
  fi
done
if ((wrong == 0 && failed > 0)); then pass flipped_tgz_never_wrong; else
  fail flipped_tgz_never_wrong "$wrong wrong, $failed failed"
fi
# The same through native REST on the proxy (which forwards the member read) and every target:
# an error status or the right bytes, never a 200 with wrong ones.
wrong="" failed=0
for h in $HTTP $TARGET_HTTP; do
  for m in $files; do
    code=$(curl -s -o "$WORK/got" -w '%{http_code}' "http://$h/v1/objects/shards/flip.tgz?archpath=$m")
    if [[ $code == 200 ]]; then cmp -s "$WORK/got" "$SRC/$m" || wrong+=" $h:$m"; else failed=$((failed + 1)); fi
  done
done
if [[ -z $wrong ]] && ((failed > 0)); then pass flipped_tgz_rest_never_wrong; else
  fail flipped_tgz_rest_never_wrong "200 with wrong bytes:$(head -c 300 <<<"$wrong"); $failed failed"
fi

# A byte flipped on disk inside a member: that member's reads fail (CLI exit 9, HTTP 500), never
# wrong bytes; a member in another block still reads.
"$AIS" put -q "$WORK/gnu.tar" ais://shards/flip.tar >/dev/null
moff=$("$AIS" archive ls ais://shards/flip.tar --json | $PY -c 'import json,sys; print([m["offset"] for m in json.load(sys.stdin) if m["name"]=="dir/sub/big.bin"][0])')
file=$(find "$AIS_DEV_DIR" -type f -path "*@ais/shards/%ob/flip.tar" | head -1)
flip_byte "$file" $((moff + 1000000))
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

# Links: a hard link member reads as the member it links to (CLI, REST on the proxy, GetBatch);
# a symlink member is refused as not a regular file (exit 5).
mkdir -p "$WORK/links" && echo "linked data" >"$WORK/links/f" && ln "$WORK/links/f" "$WORK/links/h" && ln -s f "$WORK/links/s"
tar -C "$WORK/links" -cf "$WORK/links.tar" f h s
"$AIS" put -q "$WORK/links.tar" ais://shards/links.tar >/dev/null
got=$("$AIS" get -q ais://shards/links.tar --archpath h - 2>/dev/null)
rest=$(curl -sf "http://$HTTP/v1/objects/shards/links.tar?archpath=h")
printf 'ais://shards/links.tar h\n' >"$WORK/hl.txt"
batch=$("$AIS" get --batch "$WORK/hl.txt" - 2>/dev/null | tar -xOf - shards/links.tar/h 2>/dev/null)
out=$("$AIS" get ais://shards/links.tar --archpath s "$WORK/got" 2>&1)
rc=$?
types=$("$AIS" archive ls ais://shards/links.tar --json | $PY -c 'import json,sys; print(" ".join(m["name"]+":"+m["type"] for m in json.load(sys.stdin)))')
if [[ $got == "linked data" && $rest == "linked data" && $batch == "linked data" && $rc == 5 &&
  $out == *"not a regular file"* && $types == "f:file h:hardlink s:symlink" ]]; then
  pass hardlink_member_reads_as_target
else
  fail hardlink_member_reads_as_target "cli '$got', rest '$rest', batch '$batch'; symlink rc $rc: $out; $types"
fi

# Kept blocks and segments never outlive their shard's version: a member read (the shard's blocks
# or decoded segments kept), the shard overwritten with the same layout and other bytes, then
# deleted: the reads follow.
mkdir -p "$WORK/same"
for v in one two; do
  echo "same size, $v" >"$WORK/same/m.txt"
  tar -C "$WORK/same" -cf "$WORK/same-$v.tar" m.txt
  gzip -c "$WORK/same-$v.tar" >"$WORK/same-$v.tgz"
done
for ext in tar tgz; do
  "$AIS" put -q "$WORK/same-one.$ext" "ais://shards/same.$ext" >/dev/null
  one=$("$AIS" get -q "ais://shards/same.$ext" --archpath m.txt - 2>/dev/null)
  "$AIS" put -q "$WORK/same-two.$ext" "ais://shards/same.$ext" >/dev/null
  two=$("$AIS" get -q "ais://shards/same.$ext" --archpath m.txt - 2>/dev/null)
  rest=$(curl -s "http://$HTTP/v1/objects/shards/same.$ext?archpath=m.txt")
  "$AIS" rm "ais://shards/same.$ext" >/dev/null
  "$AIS" get -q "ais://shards/same.$ext" --archpath m.txt "$WORK/got" >/dev/null 2>&1
  rc=$?
  if [[ $one == "same size, one" && $two == "same size, two" && $rest == "same size, two" && $rc == 3 ]]; then
    pass "kept_bytes_follow_the_version_$ext"
  else
    fail "kept_bytes_follow_the_version_$ext" "'$one' '$two' rest '$rest'; after delete exit $rc"
  fi
done

# An overwritten shard: its new members (the index follows the object's version).
mkdir -p "$WORK/v2" && echo "version two" >"$WORK/v2/a.txt"
tar -C "$WORK/v2" -cf "$WORK/v2.tar" a.txt
"$AIS" put -q "$WORK/v2.tar" ais://shards/gnu.tar >/dev/null
got=$("$AIS" get -q ais://shards/gnu.tar --archpath a.txt - 2>/dev/null)
out=$("$AIS" get ais://shards/gnu.tar --archpath dir/s1 "$WORK/got" 2>&1)
if [[ $got == "version two" && $out == *"has no member"* ]]; then pass overwritten_shard_new_members; else
  fail overwritten_shard_new_members "got '$got'; $out"
fi

# ais archive put --append: files added to a TAR shard made by GNU tar; every old member stays,
# GNU tar reads the result; a long name (pax) and a directory tree go in too.
"$AIS" put -q "$WORK/gnu.tar" ais://shards/app.tar >/dev/null
echo "appended" >"$WORK/extra.txt"
mkdir -p "$WORK/more/$(printf 'q%.0s' $(seq 1 120))" && head -c 100000 /dev/urandom >"$WORK/more/$(printf 'q%.0s' $(seq 1 120))/deep.bin"
head -c 513 /dev/urandom >"$WORK/more/odd.bin"
out=$("$AIS" archive put "$WORK/extra.txt" ais://shards/app.tar --append --archpath new/extra.txt 2>&1) &&
  "$AIS" archive put -q "$WORK/more" ais://shards/app.tar --append --archpath more >/dev/null 2>&1
rc=$?
"$AIS" get -q ais://shards/app.tar "$WORK/app.tar" >/dev/null 2>&1
tarred=$(tar -tf "$WORK/app.tar" 2>&1 | sed 's#^\./##' | grep -v -e '/$' -e '^$' | sort)
want_names=$( (cd "$SRC" && find . \( -type f -o -type l \) | sed 's#^\./##'; echo new/extra.txt; echo more/odd.bin; echo "more/$(printf 'q%.0s' $(seq 1 120))/deep.bin") | sort)
bad=$(unreadable_members app.tar)
if [[ $rc == 0 && $out == *"Appended 1 files"* && $tarred == "$want_names" && -z $bad ]] &&
  tar -xOf "$WORK/app.tar" new/extra.txt | cmp -s - "$WORK/extra.txt" &&
  "$AIS" get -q ais://shards/app.tar --archpath more/odd.bin - 2>/dev/null | cmp -s - "$WORK/more/odd.bin" &&
  "$AIS" get -q ais://shards/app.tar --archpath "more/$(printf 'q%.0s' $(seq 1 120))/deep.bin" - 2>/dev/null | cmp -s - "$WORK/more/$(printf 'q%.0s' $(seq 1 120))/deep.bin"; then
  pass archive_append_tar
else
  fail archive_append_tar "rc $rc; $out; tar lists: $(diff <(echo "$tarred") <(echo "$want_names") | head -5); unreadable:$bad"
fi
# Appends racing each other: each is applied (one that lost the race starts over), none lost.
for i in 1 2 3 4; do echo "racer $i" >"$WORK/race$i.txt"; done
"$AIS" put -q "$WORK/gnu.tar" ais://shards/race.tar >/dev/null
pids=()
for i in 1 2 3 4; do "$AIS" archive put -q "$WORK/race$i.txt" ais://shards/race.tar --append --archpath "race/$i.txt" >/dev/null 2>&1 & pids+=($!); done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$?"; done
bad=""
for i in 1 2 3 4; do
  [[ $("$AIS" get -q ais://shards/race.tar --archpath "race/$i.txt" - 2>/dev/null) == "racer $i" ]] || bad+=" $i"
done
if [[ $rcs == 0000 && -z $bad ]]; then pass archive_append_races_lose_nothing; else
  fail archive_append_races_lose_nothing "exit codes $rcs; missing:$bad"
fi
# Compressed or missing shards: a clear error, the shard as it was.
before=$("$AIS" object head ais://shards/c.tgz --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["version"], d["size"])')
out=$("$AIS" archive put "$WORK/extra.txt" ais://shards/c.tgz --append 2>&1)
rc=$?
after=$("$AIS" object head ais://shards/c.tgz --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["version"], d["size"])')
out2=$("$AIS" archive put "$WORK/extra.txt" ais://shards/nosuch.tar --append 2>&1)
rc2=$?
if [[ $rc != 0 && $out == *"TAR shards only"* && $before == "$after" && $rc2 != 0 && $out2 == *"no such shard to append to"* ]]; then
  pass archive_append_refused_clearly
else
  fail archive_append_refused_clearly "tgz: rc $rc: $out ($before -> $after); missing: rc $rc2: $out2"
fi

# GetBatch: objects from two buckets and members of TAR, TGZ and ZIP shards as one TAR in the
# order asked, through `ais get --batch` (lines and JSON) and native GET /v1/ml/moss on the proxy
# and a target; missing items are an error before any byte or, with coer, __404__/ entries.
"$AIS" bucket create ais://batch2 >/dev/null
head -c 3000000 /dev/urandom >"$WORK/big2.bin"
"$AIS" put -q "$WORK/big2.bin" ais://batch2/big.bin >/dev/null
"$AIS" put -q "$SRC/dir/s513" ais://batch2/small.bin >/dev/null
cat >"$WORK/batch.txt" <<EOF
# objects, then members
ais://batch2/small.bin
ais://shards/pax.tar dir/sub/big.bin
ais://batch2/big.bin
ais://shards/c.tgz dir/s70000
ais://shards/c.zip a.txt
ais://shards/pax.tar dir/s1
EOF
rm -rf "$WORK/bx" && mkdir -p "$WORK/bx"
out=$("$AIS" get --batch "$WORK/batch.txt" "$WORK/b.tar" 2>&1)
rc=$?
names=$(tar -tf "$WORK/b.tar" 2>&1 | tr '\n' ' ')
want="batch2/small.bin shards/pax.tar/dir/sub/big.bin batch2/big.bin shards/c.tgz/dir/s70000 shards/c.zip/a.txt shards/pax.tar/dir/s1 "
tar -C "$WORK/bx" -xf "$WORK/b.tar" 2>/dev/null
if [[ $rc == 0 && $out == *"Got 6 items"* && $names == "$want" ]] &&
  cmp -s "$WORK/bx/batch2/small.bin" "$SRC/dir/s513" && cmp -s "$WORK/bx/batch2/big.bin" "$WORK/big2.bin" &&
  cmp -s "$WORK/bx/shards/pax.tar/dir/sub/big.bin" "$SRC/dir/sub/big.bin" &&
  cmp -s "$WORK/bx/shards/c.tgz/dir/s70000" "$SRC/dir/s70000" && cmp -s "$WORK/bx/shards/c.zip/a.txt" "$SRC/a.txt" &&
  cmp -s "$WORK/bx/shards/pax.tar/dir/s1" "$SRC/dir/s1"; then
  pass batch_cli_in_order
else
  fail batch_cli_in_order "rc $rc: $out; names: $names"
fi
# The same as AIStore's JSON, with a range and --only-obj-name, to stdout.
cat >"$WORK/batch.json" <<EOF
{"in": [{"objname": "big.bin", "bucket": "batch2", "start": 1000, "length": 5000},
        {"objname": "pax.tar", "bucket": "shards", "archpath": "dir/s65536"}]}
EOF
"$AIS" get --batch "$WORK/batch.json" - --only-obj-name 2>/dev/null >"$WORK/b2.tar"
names=$(tar -tf "$WORK/b2.tar" 2>&1 | tr '\n' ' ')
if [[ $names == "big.bin pax.tar/dir/s65536 " ]] &&
  cmp -s <(tar -xOf "$WORK/b2.tar" big.bin) <(tail -c +1001 "$WORK/big2.bin" | head -c 5000) &&
  cmp -s <(tar -xOf "$WORK/b2.tar" pax.tar/dir/s65536) "$SRC/dir/s65536"; then
  pass batch_json_ranges_onob
else
  fail batch_json_ranges_onob "names: $names"
fi
# Native REST on the proxy and on a target: the same TAR, with its exact Content-Length.
bad=""
for h in $HTTP $(head -1 <<<"$TARGET_HTTP"); do
  code=$(curl -s -X GET --data-binary @"$WORK/batch.json" -D "$WORK/h" -o "$WORK/b3.tar" -w '%{http_code}' "http://$h/v1/ml/moss")
  len=$(grep -i '^content-length:' "$WORK/h" | tr -d '\r' | awk '{print $2}')
  names=$(tar -tf "$WORK/b3.tar" 2>&1 | tr '\n' ' ')
  [[ $code == 200 && $len == $(stat -c %s "$WORK/b3.tar") && $names == "batch2/big.bin shards/pax.tar/dir/s65536 " ]] &&
    cmp -s <(tar -xOf "$WORK/b3.tar" shards/pax.tar/dir/s65536) "$SRC/dir/s65536" || bad+=" $h:$code:$len:$names"
done
if [[ -z $bad ]]; then pass batch_rest_proxy_and_target; else fail batch_rest_proxy_and_target "$bad"; fi
# Missing items: an error before any byte (CLI exit 3, no file; HTTP 404), or with coer/
# --cont-on-err empty __404__/ entries in place.
printf 'ais://batch2/small.bin\nais://batch2/nope.bin\nais://shards/pax.tar no/such/member\n' >"$WORK/miss.txt"
rm -f "$WORK/m.tar"
out=$("$AIS" get --batch "$WORK/miss.txt" "$WORK/m.tar" 2>&1)
rc=$?
code=$(curl -s -X GET --data '{"in": [{"objname": "small.bin"}, {"objname": "nope.bin"}]}' -o "$WORK/m2" -w '%{http_code}' "http://$HTTP/v1/ml/moss/batch2")
"$AIS" get --batch "$WORK/miss.txt" "$WORK/m3.tar" --cont-on-err >/dev/null 2>&1
rc3=$?
names=$(tar -tvf "$WORK/m3.tar" 2>/dev/null | awk '{print $3, $6}' | tr '\n' ' ')
if [[ $rc == 3 && $out == *"nope.bin"* && ! -e $WORK/m.tar && $code == 404 && $rc3 == 0 &&
  $names == "513 batch2/small.bin 0 __404__/batch2/nope.bin 0 __404__/shards/pax.tar/no/such/member " ]]; then
  pass batch_missing_items
else
  fail batch_missing_items "rc $rc ($out), file $([[ -e $WORK/m.tar ]] && echo left); http $code; coer rc $rc3: $names"
fi
# A byte flipped on disk in one item: the CLI exits 9 and leaves no OUT.tar; REST cuts the TAR
# short (the client sees an error), never a whole TAR with the wrong byte.
"$AIS" put -q "$SRC/dir/s65536" ais://batch2/flip.bin >/dev/null
file=$(find "$AIS_DEV_DIR" -type f -path "*@ais/batch2/%ob/flip.bin" | head -1)
flip_byte "$file" 30000
printf 'ais://batch2/small.bin\nais://batch2/flip.bin\n' >"$WORK/flip.txt"
rm -f "$WORK/f.tar"
"$AIS" get --batch "$WORK/flip.txt" "$WORK/f.tar" >/dev/null 2>&1
rc=$?
curl -sf -X GET --data '{"in": [{"objname": "small.bin"}, {"objname": "flip.bin"}]}' -o "$WORK/f2.tar" "http://$HTTP/v1/ml/moss/batch2"
crc=$?
if [[ $rc == 9 && ! -e $WORK/f.tar && $crc != 0 ]] && ! cmp -s <(tar -xOf "$WORK/f2.tar" batch2/flip.bin 2>/dev/null) "$SRC/dir/s65536" &&
  [[ $(tar -xOf "$WORK/f2.tar" batch2/flip.bin 2>/dev/null | wc -c) != 65536 ]]; then
  pass batch_flipped_item_never_served
else
  fail batch_flipped_item_never_served "cli exit $rc ($([[ -e $WORK/f.tar ]] && echo file left)); curl exit $crc"
fi

# Bad requests: a clear 400/501, the gateway keeps serving.
c1=$(curl -s -X GET --data 'not json' -o /dev/null -w '%{http_code}' "http://$HTTP/v1/ml/moss")
c2=$(curl -s -X GET --data '{"in": [{"objname": "a", "bucket": "batch2"}], "mime": ".tgz"}' -o "$WORK/e2" -w '%{http_code}' "http://$HTTP/v1/ml/moss")
c3=$(curl -s -X GET --data '{"in": [{"objname": "small.bin", "bucket": "batch2"}], "strm": false}' -o "$WORK/e3" -w '%{http_code}' "http://$HTTP/v1/ml/moss")
c4=$(curl -s -X GET --data '{"in": []}' -o /dev/null -w '%{http_code}' "http://$HTTP/v1/ml/moss/batch2")
c5=$(curl -s -X GET --data '{"in": [{"objname": "small.bin"}]}' -o /dev/null -w '%{http_code}' "http://$HTTP/v1/ml/moss")
if [[ $c1 == 400 && $c2 == 400 && $c3 == 501 && $c4 == 400 && $c5 == 400 ]] && grep -q "only TAR" "$WORK/e2" &&
  grep -q "strm" "$WORK/e3"; then
  pass batch_bad_requests_refused
else
  fail batch_bad_requests_refused "not json $c1, tgz $c2, buffered $c3, empty $c4, no bucket $c5"
fi

# Archive job (`ais archive bucket`): objects of a bucket into shards built by the targets that
# own them, in order and up to a size; sources stay; progress per part; every member byte-exact.
"$AIS" bucket create ais://srcb >/dev/null && "$AIS" bucket create ais://dstb >/dev/null
mkdir -p "$WORK/objs"
for i in $(seq -w 0 59); do head -c $((RANDOM % 30000 + 1)) /dev/urandom >"$WORK/objs/obj-0$i"; done
echo other >"$WORK/objs/other.txt"
"$AIS" put -q "$WORK/objs" ais://srcb/ >/dev/null
out=$("$AIS" archive bucket ais://srcb "ais://dstb/shard-{00..99}.tar" --prefix obj- --shard-size 64KiB --wait 2>&1)
rc=$?
id=$(grep -o 'job archive-[A-Za-z0-9]*' <<<"$out" | head -1 | cut -d' ' -f2)
shards=$("$AIS" ls ais://dstb --json 2>/dev/null | $PY -c 'import json,sys; print(" ".join(o["name"] for o in json.load(sys.stdin)))' 2>/dev/null)
rm -rf "$WORK/ext" && mkdir -p "$WORK/ext"
bad="" sizes_ok=1 n=0
for s in $shards; do
  "$AIS" get -q "ais://dstb/$s" "$WORK/s.tar" >/dev/null 2>&1 && tar -C "$WORK/ext" -xf "$WORK/s.tar" || bad+=" $s"
  (($(stat -c %s "$WORK/s.tar") <= 64 * 1024 + 30000 + 8192)) || sizes_ok=0
  n=$((n + 1))
done
got=$(cd "$WORK/ext" && ls | sort | tr '\n' ' ')
want=$(cd "$WORK/objs" && ls obj-* | sort | tr '\n' ' ')
for f in $(cd "$WORK/objs" && ls obj-*); do cmp -s "$WORK/ext/$f" "$WORK/objs/$f" || bad+=" $f"; done
parts=$("$AIS" job show "$id" --json 2>/dev/null | $PY -c 'import json,sys; j=json.load(sys.stdin); print(len(j["parts"]), j["objects"], j["state"])' 2>/dev/null)
srcn=$("$AIS" ls ais://srcb --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
first=$(cut -d' ' -f1 <<<"$shards")
# (8+ shards over 3 targets by HRW: more than one target built some)
if [[ $rc == 0 && -z $bad && $got == "$want" && $sizes_ok == 1 && $n -ge 8 && $first == shard-00.tar &&
  ($parts == "3 60 finished" || $parts == "2 60 finished") && $srcn == 61 ]]; then
  pass archive_job_tar_shards
else
  fail archive_job_tar_shards "rc $rc: $out; $n shards ($shards); parts $parts; src $srcn; bad:$bad; sizes_ok $sizes_ok"
fi
# The other formats and selections: --template into TGZ shards, --list into one ZIP.
"$AIS" archive bucket ais://srcb "ais://dstb/t-{0..9}.tgz" --template "obj-0{00..09}" --shard-size 64KiB --wait >/dev/null 2>&1
rc1=$?
members=$(for s in $("$AIS" ls ais://dstb/t- --json | $PY -c 'import json,sys; print(" ".join(o["name"] for o in json.load(sys.stdin)))'); do
  "$AIS" archive ls "ais://dstb/$s" --json | $PY -c 'import json,sys; print("\n".join(m["name"] for m in json.load(sys.stdin)))'; done | sort | tr '\n' ' ')
"$AIS" archive bucket ais://srcb ais://dstb/one.zip --list obj-017,other.txt --wait >/dev/null 2>&1
rc2=$?
"$AIS" get -q ais://dstb/one.zip "$WORK/one.zip" >/dev/null 2>&1
rm -rf "$WORK/uz" && mkdir -p "$WORK/uz" && unzip -q "$WORK/one.zip" -d "$WORK/uz" 2>/dev/null
if [[ $rc1 == 0 && $members == "$(printf 'obj-0%02d ' $(seq 0 9))" && $rc2 == 0 ]] &&
  cmp -s "$WORK/uz/obj-017" "$WORK/objs/obj-017" && cmp -s "$WORK/uz/other.txt" "$WORK/objs/other.txt" &&
  "$AIS" get -q ais://dstb/t-0.tgz --archpath obj-000 - 2>/dev/null | cmp -s - "$WORK/objs/obj-000" &&
  curl -sf "http://$HTTP/v1/objects/dstb/t-0.tgz?archpath=obj-001" | cmp -s - "$WORK/objs/obj-001" &&
  curl -sf "http://$HTTP/v1/objects/dstb/one.zip?archpath=other.txt" | cmp -s - "$WORK/objs/other.txt"; then
  pass archive_job_tgz_template_zip_list
else
  fail archive_job_tgz_template_zip_list "tgz rc $rc1 members '$members'; zip rc $rc2"
fi
# A shard past 1 MiB (streamed into its own PUT; the small ones above went in batch PUTs).
"$AIS" archive bucket ais://batch2 ais://dstb/bigone.tar --list big.bin,small.bin --wait >/dev/null 2>&1
rc=$?
rm -rf "$WORK/bigone" && mkdir -p "$WORK/bigone"
"$AIS" get -q ais://dstb/bigone.tar - 2>/dev/null | tar -C "$WORK/bigone" -xf - 2>/dev/null
if [[ $rc == 0 ]] && cmp -s "$WORK/bigone/big.bin" "$WORK/big2.bin" && cmp -s "$WORK/bigone/small.bin" "$SRC/dir/s513"; then
  pass archive_job_large_shard
else
  fail archive_job_large_shard "rc $rc: $(ls "$WORK/bigone")"
fi
# Clear refusals before anything starts: too few shard names, a missing listed object, no format.
o1=$("$AIS" archive bucket ais://srcb "ais://dstb/few-{0..1}.tar" --prefix obj- --shard-size 1KiB 2>&1)
r1=$?
o2=$("$AIS" archive bucket ais://srcb ais://dstb/x.tar --list obj-000,nope 2>&1)
r2=$?
o3=$("$AIS" archive bucket ais://srcb ais://dstb/x.bin 2>&1)
r3=$?
if [[ $r1 == 5 && $o1 == *"names 2 shard(s)"* && $r2 == 3 && $o2 == *nope* && $r3 == 5 && $o3 == *"archive format"* ]] &&
  ! "$AIS" object head ais://dstb/few-0.tar >/dev/null 2>&1; then
  pass archive_job_refusals
else
  fail archive_job_refusals "$r1: $o1 | $r2: $o2 | $r3: $o3"
fi

# The owner killed -9 in the middle of an append: the CLI fails; restarted, the shard is its old
# version whole (every old member, GNU tar reads it, no trace of the half-sent member, no work
# file left), and the next append lands. (The append runs in 50 ms slices, stopped between them,
# so the kill lands once the owner is writing the new version, never after it is done.)
"$AIS" put -q "$WORK/gnu.tar" ais://shards/kill.tar >/dev/null
head -c 150000000 /dev/urandom >"$WORK/huge.bin"
owner=$("$AIS" object head ais://shards/kill.tar --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
owner_pid=$("$DEV" ps | awk -v t="$owner" '$1 == t {print $3}')
"$AIS" archive put -q "$WORK/huge.bin" ais://shards/kill.tar --append --archpath huge.bin >/dev/null 2>&1 &
pid=$!
kill -STOP $pid
writing=""
for _ in $(seq 1 400); do
  kill -CONT $pid
  sleep 0.05
  kill -STOP $pid 2>/dev/null || break
  writing=$(find "$AIS_DEV_DIR" \( -path "*@ais/shards/%wk/*" -o -path "*@ais/shards/%pw/*" \) -type f -size +4M 2>/dev/null | head -1)
  # (Frozen at once: what the owner holds in its socket buffers cannot finish the append while
  # the kill's own start-up runs.)
  [[ -n $writing ]] && kill -STOP "$owner_pid" 2>/dev/null && break
done
"$DEV" kill "$owner" >/dev/null 2>&1
kill -CONT $pid 2>/dev/null
wait $pid
rc=$?
rm -f "$WORK/huge.bin"
"$DEV" start "$owner" >/dev/null 2>&1
listing=$("$AIS" archive ls ais://shards/kill.tar --json 2>/dev/null | $PY -c 'import json,sys; print(" ".join(m["name"] for m in json.load(sys.stdin)))' 2>/dev/null)
bad=$(unreadable_members kill.tar)
"$AIS" get -q ais://shards/kill.tar "$WORK/kill.tar" >/dev/null 2>&1
# (Work files: in %wk, or written into a file made ahead in %pw, which is empty until then.)
left=$(find "$AIS_DEV_DIR" \( -path "*@ais/shards/%wk/*" -o -path "*@ais/shards/%pw/*" -size +0 \) -type f 2>/dev/null | head -3)
"$AIS" archive put -q "$WORK/extra.txt" ais://shards/kill.tar --append --archpath after.txt >/dev/null 2>&1
after=$("$AIS" get -q ais://shards/kill.tar --archpath after.txt - 2>/dev/null)
if [[ -n $writing && $rc != 0 && -n $listing && $listing != *huge.bin* && -z $bad && -z $left ]] &&
  tar -tf "$WORK/kill.tar" >/dev/null 2>&1 && cmp -s "$WORK/kill.tar" "$WORK/gnu.tar" &&
  [[ $after == "$(cat "$WORK/extra.txt")" ]]; then
  pass append_owner_killed_keeps_old_shard
else
  fail append_owner_killed_keeps_old_shard "writing '$writing', rc $rc, listing '$listing', unreadable:$bad, left '$left', after '$after'"
fi

# A source object damaged on disk: the job fails naming it, the shard that would hold it is not
# stored (no shard with wrong bytes), and the cluster keeps serving.
"$AIS" bucket create ais://dmgsrc >/dev/null
mkdir -p "$WORK/dmg"
for i in 0 1 2 3; do head -c 5000 /dev/urandom >"$WORK/dmg/d-$i"; done
"$AIS" put -q "$WORK/dmg" ais://dmgsrc/ >/dev/null
file=$(find "$AIS_DEV_DIR" -type f -path "*@ais/dmgsrc/%ob/d-2" | head -1)
flip_byte "$file" 100
out=$("$AIS" archive bucket ais://dmgsrc ais://dstb/dmg.tar --wait 2>&1)
rc=$?
if [[ -n $file && $rc != 0 && $out == *d-2* ]] && ! "$AIS" object head ais://dstb/dmg.tar >/dev/null 2>&1 &&
  "$AIS" get -q ais://dmgsrc/d-1 - 2>/dev/null | cmp -s - "$WORK/dmg/d-1"; then
  pass archive_job_damaged_source
else
  fail archive_job_damaged_source "file '$file'; rc $rc: $out"
fi

# A shard in a bucket with EC: its members read with its owner down (from the slices).
"$AIS" bucket create ais://ecshards >/dev/null
"$AIS" bucket props set ais://ecshards ec.enabled=true ec.data_slices=1 ec.parity_slices=1 ec.objsize_limit=64KiB >/dev/null
"$AIS" put -q "$WORK/pax.tar" ais://ecshards/pax.tar >/dev/null
"$AIS" archive put -q "$WORK/extra.txt" ais://ecshards/pax.tar --append --archpath new/extra.txt >/dev/null 2>&1 ||
  fail ec_append "append to an EC shard failed"
owner=$("$AIS" object head ais://ecshards/pax.tar --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
"$DEV" kill "$owner" >/dev/null 2>&1
bad=""
for f in a.txt dir/s65536 dir/sub/big.bin; do
  "$AIS" get -q ais://ecshards/pax.tar --archpath "$f" "$WORK/got" >/dev/null 2>&1 && cmp -s "$WORK/got" "$SRC/$f" || bad+=" $f"
done
# (the member appended before: in the slices too)
"$AIS" get -q ais://ecshards/pax.tar --archpath new/extra.txt "$WORK/got" >/dev/null 2>&1 && cmp -s "$WORK/got" "$WORK/extra.txt" || bad+=" new/extra.txt"
if [[ -z $bad ]]; then pass ec_members_owner_down; else fail ec_members_owner_down "failed:$bad"; fi
# GetBatch too, owner still down: members whole (CLI) and a range within one (REST, proxy).
printf 'ais://ecshards/pax.tar a.txt\nais://ecshards/pax.tar dir/sub/big.bin\n' >"$WORK/ecb.txt"
rm -rf "$WORK/ecb" && mkdir -p "$WORK/ecb"
"$AIS" get --batch "$WORK/ecb.txt" "$WORK/ecb.tar" >/dev/null 2>&1
rc=$?
tar -C "$WORK/ecb" -xf "$WORK/ecb.tar" 2>/dev/null
curl -sf -X GET --data '{"in": [{"objname": "pax.tar", "archpath": "dir/s65536", "start": 100, "length": 1000}]}' \
  -o "$WORK/ecb2.tar" "http://$HTTP/v1/ml/moss/ecshards"
crc=$?
if [[ $rc == 0 && $crc == 0 ]] && cmp -s "$WORK/ecb/ecshards/pax.tar/a.txt" "$SRC/a.txt" &&
  cmp -s "$WORK/ecb/ecshards/pax.tar/dir/sub/big.bin" "$SRC/dir/sub/big.bin" &&
  cmp -s <(tar -xOf "$WORK/ecb2.tar" ecshards/pax.tar/dir/s65536) <(tail -c +101 "$SRC/dir/s65536" | head -c 1000); then
  pass ec_batch_owner_down
else
  fail ec_batch_owner_down "cli rc $rc, curl rc $crc: $(tar -tf "$WORK/ecb2.tar" 2>&1 | head -3)"
fi
# Still down: a degraded PUT over the shard, then a degraded delete. The target serving degraded
# reads keeps the restored shard, but the next member read sees each change.
"$AIS" put -q "$WORK/v2.tar" ais://ecshards/pax.tar >/dev/null 2>&1
prc=$?
got=$("$AIS" get -q ais://ecshards/pax.tar --archpath a.txt - 2>/dev/null)
"$AIS" rm ais://ecshards/pax.tar >/dev/null 2>&1
drc=$?
"$AIS" get -q ais://ecshards/pax.tar --archpath a.txt "$WORK/got" >/dev/null 2>&1
grc=$?
if [[ $prc == 0 && $got == "version two" && $drc == 0 && $grc == 3 ]]; then pass ec_degraded_shard_changes_seen; else
  fail ec_degraded_shard_changes_seen "put rc $prc, then '$got'; rm rc $drc, then get rc $grc"
fi
"$DEV" start "$owner" >/dev/null 2>&1
# Compressed shards too: TGZ and ZIP members decoded from the restored shard, owner down.
for f in c.tgz c.zip; do "$AIS" put -q "$WORK/$f" "ais://ecshards/$f" >/dev/null; done
bad=""
for f in c.tgz c.zip; do
  owner=$("$AIS" object head "ais://ecshards/$f" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["target"])')
  "$DEV" kill "$owner" >/dev/null 2>&1
  for m in a.txt dir/s65536 dir/sub/big.bin; do
    "$AIS" get -q "ais://ecshards/$f" --archpath "$m" "$WORK/got" >/dev/null 2>&1 && cmp -s "$WORK/got" "$SRC/$m" || bad+=" $f:$m"
  done
  "$DEV" start "$owner" >/dev/null 2>&1
done
if [[ -z $bad ]]; then pass ec_compressed_members_owner_down; else fail ec_compressed_members_owner_down "failed:$bad"; fi

echo "archive_test: $FAILS failed"
((FAILS == 0))
