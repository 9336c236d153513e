#!/usr/bin/env bash
# Real programs on an aisfs mount (docs/aisfs.md, Tests): git init/add/commit/gc/fsck of a real
# tree (this repository's files) and a clone back out; sqlite3 with 10,000 rows in transactions
# and PRAGMA integrity_check; a make build of a small C project and a rebuild that sees one
# changed source by its mtime; a Python venv-like tree of symlinks; an editor-style save loop
# (write a temp file, fsync, rename over) with a reader that must only ever see whole versions;
# two cp -a of one tree at once (into two directories: into one, cp's own mkdir races fail on any
# file system).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built programs_test --fuse
mounted_bucket fsprog
GIT="git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main"

# ---- git ----
mkdir -p "$WORK/tree" "$M/gitw"
git -C "$REPO" archive HEAD | tar -x -C "$WORK/tree"
git -C "$REPO" archive HEAD | tar -x -C "$M/gitw"
files=$(find "$WORK/tree" -type f | wc -l)
(
  cd "$M/gitw" || exit 1
  $GIT init -q && $GIT add -A && $GIT commit -qm first &&
    echo "changed on the mount" >>README.md && $GIT commit -qam second &&
    $GIT gc -q && $GIT fsck --full --strict 2>&1 && [[ -z $($GIT status --porcelain) ]]
) >"$WORK/git.log" 2>&1 && pass git_init_add_commit_gc_fsck || fail git_init_add_commit_gc_fsck "$(tail -5 "$WORK/git.log")"
check git_tracks_all test "$(cd "$M/gitw" && git ls-files | wc -l)" = "$files"
if $GIT clone -q "$M/gitw" "$WORK/clone" 2>"$WORK/clone.err" &&
  diff -r -x .git "$WORK/clone" "$M/gitw" >/dev/null &&
  [[ $(git -C "$WORK/clone" log --oneline | wc -l) == 2 ]]; then
  pass git_clone_back
else
  fail git_clone_back "$(cat "$WORK/clone.err")"
fi

# ---- sqlite3: 10,000 rows, 100 transactions ----
got=$($PY - "$M/db.sqlite" <<'PY' 2>&1
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("create table t(id integer primary key, v text)")
for txn in range(100):
    with c:
        c.executemany("insert into t(v) values (?)", [(f"row {txn}-{i}",) for i in range(100)])
with c:
    c.execute("update t set v = v || '!' where id % 7 = 0")
    c.execute("delete from t where id % 10 = 0")
c.close()
c = sqlite3.connect(sys.argv[1])
print(c.execute("pragma integrity_check").fetchone()[0],
      c.execute("select count(*), sum(v like '%!') from t").fetchone())
PY
)
[[ $got == "ok (9000, 1286)" ]] && pass sqlite_10000_rows || fail sqlite_10000_rows "$got"

# ---- make ----
mkdir -p "$M/proj"
cat >"$M/proj/util.h" <<'EOF'
int answer(void);
EOF
cat >"$M/proj/util.c" <<'EOF'
#include "util.h"
int answer(void) { return 41; }
EOF
cat >"$M/proj/main.c" <<'EOF'
#include <stdio.h>
#include "util.h"
int main(void) { printf("%d\n", answer()); return 0; }
EOF
printf 'app: main.o util.o\n\tcc -o $@ $^\n%%.o: %%.c util.h\n\tcc -c -o $@ $<\n' >"$M/proj/Makefile"
check make_builds make -s -C "$M/proj" -j2
check make_binary_runs test "$("$M/proj/app")" = 41
sleep 1.1 # a newer second than the objects, as an editor's save would be
sed -i 's/41/42/' "$M/proj/util.c"
rebuilt=$(make -C "$M/proj" 2>&1)
if grep -q -- "-c -o util.o" <<<"$rebuilt" && ! grep -q -- "-c -o main.o" <<<"$rebuilt"; then
  pass make_rebuilds_changed_only
else
  fail make_rebuilds_changed_only "$rebuilt"
fi
check make_new_binary test "$("$M/proj/app")" = 42
check make_nothing_to_do bash -c "make -C '$M/proj' | grep -q 'is up to date'"

# ---- a venv-like tree of symlinks ----
V=$M/venv
mkdir -p "$V/bin" "$V/lib/python3/site-packages/pkg"
ln -s /usr/bin/python3 "$V/bin/python"
ln -s python "$V/bin/python3"
ln -s lib "$V/lib64"
printf 'home = /usr/bin\ninclude-system-site-packages = false\n' >"$V/pyvenv.cfg"
echo "VALUE = 'from the venv'" >"$V/lib/python3/site-packages/pkg/__init__.py"
out=$("$V/bin/python3" -c "import sys; sys.path.insert(0, '$V/lib64/python3/site-packages'); import pkg; print(pkg.VALUE, pkg.__file__)" 2>&1)
[[ $out == "from the venv $V/lib64/python3/site-packages/pkg/__init__.py" ]] && pass venv_symlinks ||
  fail venv_symlinks "$out"
check venv_readlink test "$(readlink "$V/bin/python3") $(readlink "$V/lib64")" = "python lib"
check venv_resolves test "$(readlink -f "$V/bin/python3")" = "$(readlink -f /usr/bin/python3)"

# ---- editor-style saves: temp file, fsync, rename over; a reader sees only whole versions ----
echo "version 0 $(head -c 3000 /dev/zero | tr '\0' x)" >"$M/doc.txt"
$PY - "$M" <<'PY' >"$WORK/saves.log" 2>&1 && pass editor_saves_whole || fail editor_saves_whole "$(tail -3 "$WORK/saves.log")"
import os, sys, threading
d = sys.argv[1]
body = "x" * 3000
valid = {f"version {i} {body}\n" for i in range(0, 61)}
bad, reads, stop = [], [0], threading.Event()
def reader():
    while not stop.is_set():
        try:
            with open(os.path.join(d, "doc.txt")) as f:
                text = f.read()
        except FileNotFoundError:
            bad.append("missing"); continue
        reads[0] += 1
        if text not in valid: bad.append(repr(text[:40]))
t = threading.Thread(target=reader); t.start()
for i in range(1, 61):
    tmp = os.path.join(d, ".doc.txt.swp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, f"version {i} {body}\n".encode()); os.fsync(fd); os.close(fd)
    os.rename(tmp, os.path.join(d, "doc.txt"))
stop.set(); t.join()
final = open(os.path.join(d, "doc.txt")).read()
assert final == f"version 60 {body}\n", final[:20]
assert not os.path.exists(os.path.join(d, ".doc.txt.swp"))
assert not bad, bad[:5]
print("reads", reads[0])
PY

# ---- two cp -a of one tree at once ----
chmod 0750 "$WORK/tree/docs" 2>/dev/null
touch -d '2020-02-02 02:02:02' "$WORK/tree/README.md"
cp -a "$WORK/tree" "$M/cpa" 2>"$WORK/cp1.err" &
first=$!
cp -a "$WORK/tree" "$M/cpb" 2>"$WORK/cp2.err"
second=$?
wait $first && ((second == 0)) && pass two_cp_a_done || fail two_cp_a_done "$(cat "$WORK/cp1.err" "$WORK/cp2.err" | head -5)"
listing() { (cd "$1" && find . -printf '%p %y %m %TY-%Tm-%Td %TH:%TM:%.2TS\n' | sort); }
for d in cpa cpb; do
  check "two_cp_a_${d}_bytes" diff -r "$WORK/tree" "$M/$d"
  check "two_cp_a_${d}_modes_mtimes" diff <(listing "$WORK/tree") <(listing "$M/$d")
done

finish programs_test
