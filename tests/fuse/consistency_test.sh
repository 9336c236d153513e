#!/usr/bin/env bash
# Consistency between aisfs mounts (docs/aisfs.md, Consistency). Close-to-open: an open that
# starts after another client's close sees that client's bytes at once, whatever the attribute
# TTL (a mount with --attr-ttl 60 reads a file, another mount or the CLI overwrites it with the
# same size, a larger and a smaller one; the next open reads the new bytes, no waiting), also for
# a large file read at random offsets through the block cache, and an open of a file removed
# elsewhere fails (ENOENT) unless it creates (O_CREAT: a shell's `>`, `>>` make it again); an
# open of a small file reads it in that one round trip (a GET, no HEAD), and a re-read after the
# kernel dropped its pages comes from the block cache. A descriptor that read
# part of a 32 MiB file replaced elsewhere never gets the new bytes spliced in (old bytes or
# ESTALE; the mount's reads are pinned to the version's checksum), one that read nothing yet
# reads the new version. Names: on a mount with the default TTLs, a file removed, renamed or created on
# another mount is gone / seen within the 1 s TTL (measured, with 0.5 s of slack), in lookups and
# in listings. A directory's mtime changed by its entries on one mount is seen on another within
# 3 s (written to its marker within a second, then the TTL), and an explicit mtime wins. A tree a
# mount extracted itself is walked after the TTL without a LIST (its own writes do not move its
# change tokens), and what others change in it (the CLI, another mount, an S3 client) is still
# seen within the TTL.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built consistency_test --fuse
cluster_up
B=fscons
ais bucket create ais://$B >/dev/null || fail bucket_create
mount_fs # the writer, default options
M2MNT=$WORK/mnt2
mkdir -p "$M2MNT"
AISFS_LOG=$WORK/aisfs2.log timeout 30 "$AISFS" --attr-ttl 60 --list-ttl 60 "$AIS_ENDPOINT" "$M2MNT" ||
  fail mount_long_ttl
M3MNT=$WORK/mnt3
mkdir -p "$M3MNT"
AISFS_LOG=$WORK/aisfs3.log timeout 30 "$AISFS" "$AIS_ENDPOINT" "$M3MNT" || fail mount_default_ttl
W=$MNT/$B     # writes
R=$M2MNT/$B   # reads, attributes and listings trusted for 60 s
D=$M3MNT/$B   # the default TTLs

# ---- close-to-open ----
head -c 100000 /dev/urandom >"$WORK/v1"
cp "$WORK/v1" "$W/f"
for _ in $(seq 1 100); do [[ -e $R/f ]] && break; sleep 0.1; done # (R's first lookup of it)
cmp -s "$WORK/v1" "$R/f" && pass cto_first_read || fail cto_first_read
stat "$R/f" >/dev/null # attributes and pages cached on R
overwrite_and_read() { # NAME SIZE WRITER(mount|cli): R's next open must read the new bytes
  head -c "$2" /dev/urandom >"$WORK/$1"
  if [[ $3 == cli ]]; then
    ais put -q "$WORK/$1" ais://$B/f >/dev/null || fail "$1" "put"
  else
    cp "$WORK/$1" "$W/f" || fail "$1" "cp"
  fi
  if cmp -s "$WORK/$1" "$R/f"; then pass "$1"; else fail "$1" "size $(stat -c %s "$R/f") read $(wc -c <"$R/f")"; fi
}
overwrite_and_read cto_same_size 100000 mount
overwrite_and_read cto_grown 300000 mount
overwrite_and_read cto_shrunk 10000 mount
overwrite_and_read cto_same_size_cli 10000 cli
overwrite_and_read cto_grown_cli 2500000 cli
overwrite_and_read cto_again_no_change 2500000 mount
cmp -s "$WORK/cto_again_no_change" "$R/f" && pass cto_unchanged_reread || fail cto_unchanged_reread
# An open descriptor keeps reading as it did; the next open sees the new version.
exec {fd}<"$R/f"
head -c 2500000 /dev/urandom >"$WORK/v9"
cp "$WORK/v9" "$W/f"
cmp -s "$WORK/v9" "$R/f" && pass cto_new_open_while_old_open || fail cto_new_open_while_old_open
exec {fd}<&-

# A large file read at random offsets (ranged GETs, the block cache): after another client's
# overwrite of the same size, every new open reads only the new version's bytes.
head -c $((4 << 20)) /dev/urandom >"$WORK/big1"
head -c $((4 << 20)) /dev/urandom >"$WORK/big2"
cp "$WORK/big1" "$W/big"
ranges_match "$R/big" "$WORK/big1" && pass cto_big_first || fail cto_big_first
cp "$WORK/big2" "$W/big"
ranges_match "$R/big" "$WORK/big2" && pass cto_big_overwritten || fail cto_big_overwritten
cmp -s "$WORK/big2" "$R/big" && pass cto_big_whole || fail cto_big_whole

# A descriptor that read part of a large file replaced elsewhere never gets the new version's
# bytes spliced in: its later reads give the old bytes (kernel or block cache) or ESTALE. A
# descriptor opened before the replace that read nothing yet reads the new version.
head -c $((32 << 20)) /dev/urandom >"$WORK/splice1"
head -c $((32 << 20)) /dev/urandom >"$WORK/splice2"
splice_read() { # MOUNT_FILE WAIT_S: read 64 KiB, replace via the CLI, wait, read the rest
  cp "$WORK/splice1" "$W/splice" || return 1
  /usr/bin/python3 "$(dirname "$0")/splice_read.py" "$1" "$WORK/splice1" "$WORK/splice2" "$2" \
    "$AIS_BIN" "ais://$B/splice" "$WORK/splice1" "$WORK/splice2"
}
out=$(splice_read "$R/splice" 0) && pass "cto_no_splice_pinned ($out)" || fail cto_no_splice_pinned "$out"
out=$(splice_read "$D/splice" 1.3) && pass "cto_no_splice_revalidated ($out)" || fail cto_no_splice_revalidated "$out"
rm -f "$W/splice" "$WORK/splice1" "$WORK/splice2"

# Removed elsewhere: R still has the name cached (60 s) but its open asks the cluster.
rm "$W/f"
if cat "$R/f" >/dev/null 2>"$WORK/gone.err"; then fail cto_open_removed "read a removed file"; elif grep -q "No such file" "$WORK/gone.err"; then pass cto_open_removed; else fail cto_open_removed "$(cat "$WORK/gone.err")"; fi
# ... and written anew from R by a shell's `>` and `>>` (O_CREAT): the file is made again (the
# open answers ESTALE, the kernel looks the name up again and creates it), as on ext4.
check cto_recreate_removed bash -c "echo again >'$R/f'"
check cto_recreated test "$(ais get "ais://$B/f" - 2>/dev/null)" = again
ais object rm "ais://$B/f" >/dev/null || fail rm_cli
check cto_append_to_removed bash -c "echo more >>'$R/f'"
check cto_appended_is_new test "$(ais get "ais://$B/f" - 2>/dev/null)" = more
ais object rm "ais://$B/f" >/dev/null || fail rm_cli
check cto_write_removed_without_creat /usr/bin/python3 -c "
import errno, os
try:
    os.open('$R/f', os.O_WRONLY)
except OSError as e:
    assert e.errno == errno.ENOENT, e
else:
    raise SystemExit('opened a removed file')"

# ---- names seen from a mount with the default TTLs (1 s) ----
# ms_until CMD...: milliseconds until CMD succeeds (polled every 50 ms, up to 5 s; 99999: never)
ms_until() {
  local start=$(date +%s%N)
  for _ in $(seq 1 100); do
    if "$@" 2>/dev/null; then
      echo $((($(date +%s%N) - start) / 1000000))
      return
    fi
    sleep 0.05
  done
  echo 99999
}
within_ttl() { # NAME MS
  if (($2 <= 1500)); then pass "$1"; else fail "$1" "$2 ms (TTL 1 s)"; fi
}
absent() { [[ ! -e $1 ]]; }
not_listed() { ! ls "$(dirname "$1")" | grep -qx "$(basename "$1")"; }
listed() { ls "$(dirname "$1")" | grep -qx "$(basename "$1")"; }
mkdir -p "$W/names"
for n in gone moved; do echo "$n" >"$W/names/$n"; done
for _ in $(seq 1 100); do [[ -e $D/names/moved ]] && break; sleep 0.1; done
# D keeps refreshing its view of them (as a busy reader would) until the change.
stat "$D/names/gone" "$D/names/moved" >/dev/null && pass names_seen || fail names_seen
ls "$D/names" >/dev/null
[[ -e $D/names/new ]] && fail names_new_absent_first # (a negative entry cached on D)
rm "$W/names/gone"
within_ttl removed_name_gone "$(ms_until absent "$D/names/gone")"
within_ttl removed_name_unlisted "$(ms_until not_listed "$D/names/gone")"
mv "$W/names/moved" "$W/names/renamed"
within_ttl renamed_old_name_gone "$(ms_until absent "$D/names/moved")"
within_ttl renamed_new_name_seen "$(ms_until test -e "$D/names/renamed")"
[[ $(cat "$D/names/renamed" 2>/dev/null) == moved ]] && pass renamed_content || fail renamed_content
echo new >"$W/names/new"
within_ttl created_name_seen "$(ms_until test -e "$D/names/new")"
within_ttl created_name_listed "$(ms_until listed "$D/names/new")"
mkdir "$W/names/subdir"
within_ttl created_dir_seen "$(ms_until test -d "$D/names/subdir")"
rmdir "$W/names/subdir"
within_ttl removed_dir_gone "$(ms_until absent "$D/names/subdir")"

calls() { # OP (lst, get, head): how many the targets answered so far
  local t s=0
  for t in $(targets); do
    s=$((s + $(curl -sf --max-time 10 "$(node_gw "$t")/metrics" |
      awk -v op="^ais_target_$1_count" '$1 ~ op { s += $NF } END { printf "%.0f", s }')))
  done
  echo "$s"
}
lists() { calls lst; }

# ---- an open of a small file whose bytes this mount does not hold fetches them with the open
# (a GET in place of close-to-open's HEAD): one round trip. Read again once the kernel dropped
# its pages: the open's HEAD, the bytes from the mount's block cache. Overwritten elsewhere: the
# next open reads the new bytes ----
head -c 12000 /dev/urandom >"$WORK/small1"
ais put -q "$WORK/small1" ais://$B/small >/dev/null || fail small_put
for _ in $(seq 1 100); do [[ -e $D/small ]] && break; sleep 0.1; done
g0=$(calls get) h0=$(calls head)
cmp -s "$WORK/small1" "$D/small" && pass small_open_read || fail small_open_read
g1=$(calls get) h1=$(calls head)
((g1 - g0 == 1 && h1 == h0)) && pass small_open_one_get_no_head ||
  fail small_open_one_get_no_head "$((g1 - g0)) GETs, $((h1 - h0)) HEADs"
sync
echo 1 >/proc/sys/vm/drop_caches
cmp -s "$WORK/small1" "$D/small" && pass small_reread_pages_dropped || fail small_reread_pages_dropped
g2=$(calls get) h2=$(calls head)
((g2 == g1 && h2 - h1 == 1)) && pass small_reread_from_block_cache ||
  fail small_reread_from_block_cache "$((g2 - g1)) GETs, $((h2 - h1)) HEADs"
head -c 12000 /dev/urandom >"$WORK/small2"
ais put -q "$WORK/small2" ais://$B/small >/dev/null || fail small_put_again
cmp -s "$WORK/small2" "$D/small" && pass small_overwritten_read_new || fail small_overwritten_read_new
echo "tail" >>"$W/small"
cat "$WORK/small2" - <<<"tail" >"$WORK/small3"
cmp -s "$WORK/small3" "$D/small" && pass small_appended_elsewhere_read_new ||
  fail small_appended_elsewhere_read_new "size $(stat -c %s "$D/small")"

# ---- a read-only pass after the TTL: the listings are revalidated with the bucket's change
# token (one call per target for the bucket), not listed again; changes are still seen ----
for d in a b c d e; do
  mkdir -p "$W/tree/$d"
  for f in 1 2 3 4 5 6; do echo "$d$f" >"$W/tree/$d/$f"; done
done
sleep 2.5 # (W's directory times reach their markers within ~1 s: the bucket is quiet after)
view() { find "$D/tree" -printf '%p %s %n %y\n' | sort; }
view >"$WORK/pass1"
sleep 1.3 # past D's TTLs
before=$(lists)
view >"$WORK/pass2"
after=$(lists)
cmp -s "$WORK/pass1" "$WORK/pass2" && pass revalidated_same_view || fail revalidated_same_view "$(diff "$WORK/pass1" "$WORK/pass2" | head -4)"
(( after == before )) && pass revalidated_without_listing || fail revalidated_without_listing "$((after - before)) LISTs for a quiet tree"
echo added >"$W/tree/c/added"
rm "$W/tree/d/1"
within_ttl revalidated_created_seen "$(ms_until listed "$D/tree/c/added")"
within_ttl revalidated_removed_gone "$(ms_until absent "$D/tree/d/1")"

# ---- a name missing from a directory only stat'ed is asked of the cluster (a file just made
# elsewhere is not hidden); once the directory is read (readdir), its listing answers such
# lookups, in this pass and, revalidated, in the next (git status reads every directory, then
# looks up its .gitignore) ----
for d in a b c; do mkdir -p "$W/walk/$d" && echo "$d" >"$W/walk/$d/f"; done
sleep 1.3 # (D has not seen walk/ yet)
misses() { echo $(($(calls err_head) + $(lists))); }
m0=$(misses)
for d in a b c; do stat "$D/walk/$d" >/dev/null; [[ -e $D/walk/$d/.gitignore ]] && fail walked_dir_miss_absent; done
m1=$(misses)
((m1 > m0)) && pass walked_dir_miss_asked || fail walked_dir_miss_asked "no HEAD or LIST for a name missing from a stat's listing"
for d in a b c; do ls "$D/walk/$d" >/dev/null; done
m2=$(misses)
for d in a b c; do [[ -e $D/walk/$d/.gitignore ]] && fail read_dir_miss_absent; done
m3=$(misses)
((m3 == m2)) && pass read_dir_answers_misses || fail read_dir_answers_misses "$((m3 - m2)) HEADs or LISTs after readdir"
sleep 1.3 # past D's TTLs: revalidated, still answering misses
m4=$(misses)
for d in a b c; do stat "$D/walk/$d" >/dev/null; ls "$D/walk/$d" >/dev/null; [[ -e $D/walk/$d/.gitignore ]] && fail read_dir_miss_absent_again; done
m5=$(misses)
((m5 == m4)) && pass read_dir_answers_misses_next_pass || fail read_dir_answers_misses_next_pass "$((m5 - m4)) HEADs or LISTs"
echo ignore >"$W/walk/b/.gitignore"
within_ttl read_dir_created_elsewhere_seen "$(ms_until test -e "$D/walk/b/.gitignore")"

# ---- this mount's own writes keep its listings (the targets leave them out of its tokens): a
# tree it extracted is walked after the TTL without a LIST, and shows what was written; what
# others change in it, and in a directory it just made, is still seen within the TTL ----
mkdir -p "$WORK/own/x/y" "$WORK/own/z"
for f in 1 2 3; do
  echo "x$f" >"$WORK/own/x/$f"
  echo "yy$f" >"$WORK/own/x/y/$f"
  echo "zzz$f" >"$WORK/own/z/$f"
done
chmod 700 "$WORK/own/z"
tar -C "$WORK/own" -cf "$WORK/own.tar" .
mkdir "$W/own"
tar -C "$W/own" -xpf "$WORK/own.tar" || fail own_tree_extract
sleep 1.3 # past W's TTLs: its listings are revalidated from here on
before=$(lists)
(cd "$W/own" && find . -printf '%p %y %m\n' -type f -printf '%p %s\n' | sort) >"$WORK/own.mount"
after=$(lists)
(cd "$WORK/own" && find . -printf '%p %y %m\n' -type f -printf '%p %s\n' | sort) >"$WORK/own.local"
cmp -s "$WORK/own.local" "$WORK/own.mount" && pass own_tree_same_view ||
  fail own_tree_same_view "$(diff "$WORK/own.local" "$WORK/own.mount" | head -4)"
((after == before)) && pass own_tree_walked_without_listing ||
  fail own_tree_walked_without_listing "$((after - before)) LISTs for a tree this mount wrote"
echo cli >"$WORK/cli.txt"
ais put "$WORK/cli.txt" "ais://$B/own/x/y/cli.txt" >/dev/null || fail own_tree_cli_put
echo other >"$D/own/z/other"
rm "$D/own/x/1"
within_ttl own_tree_cli_put_seen "$(ms_until listed "$W/own/x/y/cli.txt")"
within_ttl own_tree_other_mount_create_seen "$(ms_until listed "$W/own/z/other")"
within_ttl own_tree_other_mount_remove_seen "$(ms_until not_listed "$W/own/x/1")"
# An S3 client's writes are another writer's too (the gateway carries no mount's id).
curl -sf -o /dev/null -X PUT --data-binary @"$WORK/cli.txt" "$S3_ENDPOINT/$B/own/z/s3.txt" ||
  fail own_tree_s3_put
within_ttl own_tree_s3_put_seen "$(ms_until listed "$W/own/z/s3.txt")"
curl -sf -o /dev/null -X DELETE "$S3_ENDPOINT/$B/own/x/2" || fail own_tree_s3_delete
within_ttl own_tree_s3_delete_seen "$(ms_until not_listed "$W/own/x/2")"
mkdir "$W/own/fresh"
ls "$W/own/fresh" >/dev/null
ais put "$WORK/cli.txt" "ais://$B/own/fresh/cli.txt" >/dev/null || fail own_new_dir_cli_put
within_ttl own_new_dir_cli_put_seen "$(ms_until listed "$W/own/fresh/cli.txt")"

# ---- a file just closed is renamed (rsync's temp files, editors' saves) while another process
# stats and lists its directory, so that listings of it are made while the file is written:
# none of them may hide the file from the rename (listings in flight keep this mount's edits) ----
mkdir -p "$W/busy" "$WORK/filler"
# (3,000 other names: each listing of the directory takes long enough to overlap the writes)
for i in $(seq 1 3000); do : >"$WORK/filler/x$i"; done
ais put "$WORK/filler" "ais://$B/busy/" --conc 16 >/dev/null || fail busy_filler
( end=$((SECONDS + 6)); while ((SECONDS < end)); do stat "$W/busy" >/dev/null; ls "$W/busy" >/dev/null; done ) &
watcher=$!
renamed=0 failed=0 end=$((SECONDS + 5))
while ((SECONDS < end)); do
  renamed=$((renamed + 1))
  echo "$renamed" >"$W/busy/.tmp.$renamed"
  mv "$W/busy/.tmp.$renamed" "$W/busy/f$renamed" 2>>"$WORK/busy.err" || failed=$((failed + 1))
done
wait "$watcher"
((failed == 0 && renamed > 50)) && pass busy_dir_renames_of_closed_files ||
  fail busy_dir_renames_of_closed_files "$failed of $renamed renames failed: $(head -2 "$WORK/busy.err")"
[[ $(ls "$W/busy" | grep -c '^f') == "$renamed" ]] && pass busy_dir_all_named || fail busy_dir_all_named "$(ls "$W/busy" | grep -c '^f') of $renamed"

# ---- a directory's mtime follows its entries on the other mounts too (its marker holds it) ----
mkdir "$W/dm"
for _ in $(seq 1 100); do [[ -d $D/dm ]] && break; sleep 0.05; done
sleep 0.2 # (time, not sync: the entry's time is well after the mkdir's, a mtime that moved)
echo x >"$W/dm/x"
changed=$(stat -c %.9Y "$W/dm")
same_mtime() { [[ $(stat -c %.9Y "$1") == "$changed" ]]; }
# written to the marker within ~1 s, seen there within the 1 s TTL
ms=$(ms_until same_mtime "$D/dm")
if ((ms <= 3000)); then pass dir_mtime_seen_by_other_mount; else fail dir_mtime_seen_by_other_mount "$ms ms: $(stat -c %.9Y "$D/dm") vs $changed"; fi
rm "$W/dm/x"
changed=$(stat -c %.9Y "$W/dm")
ms=$(ms_until same_mtime "$D/dm")
if ((ms <= 3000)); then pass dir_mtime_after_remove_seen; else fail dir_mtime_after_remove_seen "$ms ms"; fi
# An explicit mtime wins over the pending entry time (tar x sets it after filling a directory).
echo y >"$W/dm/y"
touch -d '2001-01-01 00:00:00 UTC' "$W/dm"
# A negative check that needs the time: past W's 1 s marker writer period and D's 1 s TTL, the
# entry time pending before the touch would be on D by now if it had overwritten the touch.
sleep 2.5
[[ $(stat -c %Y "$D/dm") == 978307200 && $(stat -c %Y "$W/dm") == 978307200 ]] &&
  pass dir_explicit_mtime_wins || fail dir_explicit_mtime_wins "$(stat -c %Y "$D/dm") $(stat -c %Y "$W/dm")"

# ---- a mkdir of a directory another mount made meanwhile (the miss kept in the kernel): it
# succeeds, as `mkdir -p` and os.makedirs(exist_ok=True) on many nodes need, and never
# overwrites the maker's mode and owner ----
ls "$R" >/dev/null
stat "$R/made-elsewhere" >/dev/null 2>&1 # (R keeps the miss for its 60 s)
mkdir "$W/made-elsewhere" && chmod 0710 "$W/made-elsewhere" && echo x >"$W/made-elsewhere/f"
check mkdir_p_over_dir_made_elsewhere mkdir -p "$R/made-elsewhere/sub"
check dir_made_elsewhere_keeps_file test "$(cat "$R/made-elsewhere/f")" = x
sleep 1.2 # (time, not sync: past the default mount's attribute TTL)
check dir_made_elsewhere_keeps_mode test "$(stat -c %a "$D/made-elsewhere")" = 710

# ---- a bucket made elsewhere, then `mkdir -p` into it at once (the mount's bucket list is fresh
# and says it is not there: the mkdir finds it made, and the path goes on) ----
ls "$MNT" >/dev/null
stat "$MNT/${B}-new" >/dev/null 2>&1 # (the miss the kernel once kept)
ais bucket create "ais://${B}-new" >/dev/null || fail bucket_create_new
check mkdir_p_into_bucket_made_elsewhere mkdir -p "$MNT/${B}-new/sub/deeper"
check bucket_made_elsewhere_listed bash -c "ls '$MNT' | grep -qx '${B}-new'"
ais bucket rm "ais://${B}-new" --force >/dev/null 2>&1
# The same with a file put by the CLI and read at once (a lookup, not a mkdir): the mount's
# fresh bucket list does not answer the miss, the cluster's does.
ls "$MNT" >/dev/null
ais bucket create "ais://${B}-new2" >/dev/null || fail bucket_create_new2
echo hi >"$WORK/hi"
ais put -q "$WORK/hi" "ais://${B}-new2/hi" >/dev/null || fail put_new2
check file_in_bucket_made_elsewhere_read_at_once test "$(cat "$MNT/${B}-new2/hi")" = hi
ais bucket rm "ais://${B}-new2" --force >/dev/null 2>&1

finish consistency_test
