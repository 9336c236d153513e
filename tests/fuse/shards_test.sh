#!/usr/bin/env bash
# aisfs -o shards=dirs: TAR shards made by GNU tar (and TGZ, TAR.LZ4, ZIP shards made by gzip,
# lz4 and zip) appear as read-only directories of their members; every member reads back
# byte-exact (cat, cmp, find, a sequential and a random reader); a byte flipped in a TGZ shard on
# disk fails its member reads (never wrong bytes); symlink members are symlinks and hard links
# files of their targets; shards made by the archive job browse too; a
# PyTorch DataLoader reads members in random order; a member's reads are pinned to its shard's
# version (a replace never splices its bytes into an open read); writes inside a shard fail with EROFS; the
# default mount (shards=files) shows the same shard as the file it is, byte-exact.
# shellcheck source=tests/fuse/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built shards_test --fuse
cluster_up
B=fuseshards
ais bucket create ais://$B >/dev/null || fail bucket_create

SRC=$WORK/src
mkdir -p "$SRC/train/cls0" "$SRC/train/cls1" "$SRC/meta"
for i in $(seq 0 59); do head -c $((RANDOM % 40000 + 1)) /dev/urandom >"$SRC/train/cls$((i % 2))/s$i.bin"; done
head -c 3000000 /dev/urandom >"$SRC/meta/big.bin"
: >"$SRC/meta/empty"
tar -C "$SRC" -cf "$WORK/shard-0.tar" train meta
ais put -q "$WORK/shard-0.tar" ais://$B/data/shard-0.tar >/dev/null || fail put_shard
members=$(cd "$SRC" && find . -type f | sed 's#^\./##' | sort)

mount_fs --shards dirs
S=$MNT/$B/data/shard-0.tar
if [[ -d $S && $(stat -c %A "$S") == dr-x* ]]; then pass shard_is_directory; else fail shard_is_directory "$(stat -c %A "$S" 2>&1)"; fi
listed=$(cd "$S" && find . -type f | sed 's#^\./##' | sort)
if [[ $listed == "$members" ]]; then pass find_lists_members; else fail find_lists_members "$(diff <(echo "$listed") <(echo "$members") | head -5)"; fi
bad=""
for f in $members; do cmp -s "$S/$f" "$SRC/$f" || bad+=" $f"; done
if [[ -z $bad ]]; then pass members_read_back; else fail members_read_back "differ:$(head -c 300 <<<"$bad")"; fi
if [[ $(stat -c %s "$S/meta/big.bin") == 3000000 && $(stat -c %F "$S/meta/big.bin") == "regular file" ]]; then
  pass member_stat
else
  fail member_stat "$(stat -c '%s %F' "$S/meta/big.bin")"
fi
# The compressed formats browse the same way: TGZ (gzip), TAR.LZ4 and ZIP made by Debian's tools.
tar -C "$SRC" -cf - train meta | gzip -c >"$WORK/shard-1.tgz"
tar -C "$SRC" -cf - train meta | lz4 -q -c >"$WORK/shard-2.tar.lz4"
(cd "$SRC" && zip -q -r - train meta) >"$WORK/shard-3.zip"
cp "$WORK/shard-1.tgz" "$WORK/SHARD-4.TGZ"  # extensions in any case, as the targets take them
for f in shard-1.tgz shard-2.tar.lz4 shard-3.zip SHARD-4.TGZ; do ais put -q "$WORK/$f" "ais://$B/data/$f" >/dev/null || fail "put_$f"; done
for f in shard-1.tgz shard-2.tar.lz4 shard-3.zip SHARD-4.TGZ; do
  C=$MNT/$B/data/$f
  listed=$(cd "$C" 2>/dev/null && find . -type f | sed 's#^\./##' | sort)
  bad=""
  for m in $members; do cmp -s "$C/$m" "$SRC/$m" || bad+=" $m"; done
  if [[ -d $C && $listed == "$members" && -z $bad ]]; then pass "compressed_members_read_back_$f"; else
    fail "compressed_members_read_back_$f" "listed $(wc -l <<<"$listed"); differ:$(head -c 300 <<<"$bad")"
  fi
done
# Links inside a shard: a symlink member is a symlink (readlink: its target as archived; reads
# follow it), a hard link member a file with its target's bytes.
mkdir -p "$WORK/links" && echo "linked data" >"$WORK/links/f" && ln "$WORK/links/f" "$WORK/links/h" && ln -s f "$WORK/links/s"
tar -C "$WORK/links" -cf "$WORK/links.tar" f h s
ais put -q "$WORK/links.tar" "ais://$B/data/links.tar" >/dev/null || fail put_links
L=$MNT/$B/data/links.tar
if [[ $(readlink "$L/s") == f && $(stat -c %F "$L/s") == "symbolic link" && $(cat "$L/s") == "linked data" &&
  $(stat -c %F "$L/h") == "regular file" && $(cat "$L/h") == "linked data" && $(stat -c %s "$L/h") == 12 &&
  $(cd "$L" && find . -type l) == "./s" ]]; then
  pass link_members
else
  fail link_members "readlink '$(readlink "$L/s")' ($(stat -c %F "$L/s" 2>&1)); h: '$(cat "$L/h" 2>&1)' $(stat -c '%F %s' "$L/h" 2>&1)"
fi
# Random reads of the big member (block cache path) against the source.
if $PY - "$S/meta/big.bin" "$SRC/meta/big.bin" <<'PYEOF'; then pass member_random_reads; else fail member_random_reads; fi
import os, random, sys
a, b = open(sys.argv[1], "rb"), open(sys.argv[2], "rb")
rnd = random.Random(3)
for _ in range(200):
    off, n = rnd.randrange(0, 3000000), rnd.randrange(1, 300000)
    a.seek(off); b.seek(off)
    if a.read(n) != b.read(n):
        sys.exit(1)
PYEOF
# A byte flipped on disk inside a TGZ shard before its first use: reads of its members fail
# (EIO), never wrong bytes. (Once indexed, the owner keeps its decoded segments in memory.)
ais put -q "$WORK/shard-1.tgz" "ais://$B/data/flip.tgz" >/dev/null || fail put_flip
file=$(find "$AIS_DEV_DIR" -type f -path "*@ais/$B/%ob/data/flip.tgz" | head -1)
flip_byte "$file"
wrong="" failed=0
for m in $members; do
  if cat "$MNT/$B/data/flip.tgz/$m" >"$WORK/got" 2>/dev/null; then cmp -s "$WORK/got" "$SRC/$m" || wrong+=" $m"; else failed=$((failed + 1)); fi
done
if [[ -n $file && -z $wrong ]] && ((failed > 0)); then pass flipped_tgz_members_never_wrong; else
  fail flipped_tgz_members_never_wrong "file '$file'; wrong:$(head -c 300 <<<"$wrong"); $failed failed"
fi
out=$(touch "$S/train/new" 2>&1)
if [[ $? -ne 0 && $out == *"Read-only file system"* ]]; then pass create_in_shard_erofs; else fail create_in_shard_erofs "$out"; fi
out=$( { echo x >>"$S/train/cls0/s0.bin"; } 2>&1)
if [[ $? -ne 0 && $out == *"Read-only file system"* ]] && cmp -s "$S/train/cls0/s0.bin" "$SRC/train/cls0/s0.bin"; then
  pass write_member_erofs
else
  fail write_member_erofs "$out"
fi
out=$(rm "$S/train/cls0/s0.bin" 2>&1)
if [[ $? -ne 0 && -e $S/train/cls0/s0.bin ]]; then pass unlink_member_refused; else fail unlink_member_refused "$out"; fi
if [[ ! -e $S/nope && ! -e $S/train/nope ]]; then pass missing_member_enoent; else fail missing_member_enoent; fi

# Shards made by the archive job browse the same way: loose samples into TAR shards, every
# member read back through the mount.
ais put -q "$SRC/train" "ais://$B/loose/" >/dev/null || fail put_loose
ais archive bucket "ais://$B" "ais://$B/job/shard-{0..99}.tar" --prefix loose/ --shard-size 96KiB --wait >/dev/null 2>&1 || fail archive_job_ran
bad="" n=0
for f in $(cd "$SRC/train" && find . -type f | sed 's#^\./##'); do
  hit=$(ls -d "$MNT/$B/job/"shard-*.tar/loose/"$f" 2>/dev/null | head -1)
  [[ -n $hit ]] && cmp -s "$hit" "$SRC/train/$f" || bad+=" $f"
  n=$((n + 1))
done
shards=$(ls -d "$MNT/$B/job/"shard-*.tar 2>/dev/null | wc -l)
if [[ -z $bad && $n == 60 && $shards -ge 2 ]]; then pass archive_job_shards_browse; else
  fail archive_job_shards_browse "$shards shards; unreadable:$(head -c 300 <<<"$bad")"
fi
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  if out=$(timeout 300 /usr/bin/python3 - "$S" "$SRC" <<'PYEOF' 2>&1
import os, sys, warnings
warnings.filterwarnings("ignore")
import torch
from torch.utils.data import DataLoader, Dataset
root, src = sys.argv[1], sys.argv[2]
class Members(Dataset):
    def __init__(self):
        self.paths = sorted(os.path.relpath(os.path.join(d, f), root)
                            for d, _, fs in os.walk(os.path.join(root, "train")) for f in fs)
    def __len__(self):
        return len(self.paths)
    def __getitem__(self, i):
        with open(os.path.join(root, self.paths[i]), "rb") as f:
            return self.paths[i], f.read() == open(os.path.join(src, self.paths[i]), "rb").read()
ds = Members()
assert len(ds) == 60, len(ds)
ok = 0
for names, same in DataLoader(ds, batch_size=8, shuffle=True, num_workers=3):
    ok += int(sum(bool(s) for s in same))
print(ok)
sys.exit(0 if ok == 60 else 1)
PYEOF
  ); then pass dataloader_reads_members; else fail dataloader_reads_members "$(tail -c 300 <<<"$out")"; fi
else
  skip dataloader_reads_members "python3-torch not installed"
fi
# A member is pinned to its shard's version: a descriptor that read part of a member whose shard
# is replaced elsewhere gets the old bytes or ESTALE, never the new version's bytes spliced in;
# one opened before a replace that read nothing yet reads the new version.
mkdir -p "$WORK/sp1" "$WORK/sp2"
head -c $((16 << 20)) /dev/urandom >"$WORK/sp1/m.bin"
head -c $((16 << 20)) /dev/urandom >"$WORK/sp2/m.bin"
tar -C "$WORK/sp1" -cf "$WORK/splice1.tar" m.bin && tar -C "$WORK/sp2" -cf "$WORK/splice2.tar" m.bin
ais put -q "$WORK/splice1.tar" ais://$B/data/splice.tar >/dev/null || fail put_splice
if out=$(/usr/bin/python3 "$(dirname "$0")/splice_read.py" "$MNT/$B/data/splice.tar/m.bin" \
  "$WORK/sp1/m.bin" "$WORK/sp2/m.bin" 1.2 "$AIS_BIN" "ais://$B/data/splice.tar" \
  "$WORK/splice1.tar" "$WORK/splice2.tar" 2>&1); then pass "member_reads_pinned_to_shard ($out)"; else fail member_reads_pinned_to_shard "$(tail -c 300 <<<"$out")"; fi
unmount_fs

# Default (shards=files): the shard is the file it is.
mount_fs
if [[ -f $MNT/$B/data/shard-0.tar ]] && cmp -s "$MNT/$B/data/shard-0.tar" "$WORK/shard-0.tar"; then
  pass default_shard_is_file
else
  fail default_shard_is_file
fi
unmount_fs
echo "shards_test: $FAILS failed"
((FAILS == 0))
