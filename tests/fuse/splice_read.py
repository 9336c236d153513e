#!/usr/bin/python3
"""A read never splices two versions (tests/fuse consistency_test, shards_test).

Usage: splice_read.py PATH OLD NEW WAIT_S AIS URI OLD_SRC NEW_SRC
PATH (on a mount) reads as the bytes of file OLD now; `AIS put NEW_SRC URI` makes it read as NEW.
A descriptor reads 64 KiB, the object is replaced, WAIT_S later (past the attribute TTL, an fstat
learns the new version) its reads elsewhere must give the old bytes or ESTALE, never NEW's. Then
a descriptor opened before `AIS put OLD_SRC URI` that read nothing yet must read OLD's bytes
again. Prints "old" or "estale"; exits non-zero with what went wrong.
"""
import errno
import os
import subprocess
import sys
import time

path, old_path, new_path, wait, ais, uri, old_src, new_src = sys.argv[1:9]
old, new = open(old_path, "rb").read(), open(new_path, "rb").read()
size = len(old)


def put(src):
    subprocess.run([ais, "put", "-q", src, uri], check=True, stdout=subprocess.DEVNULL)


fd = os.open(path, os.O_RDONLY)
assert os.pread(fd, 65536, 0) == old[:65536], "first read"
put(new_src)
time.sleep(float(wait))
os.fstat(fd)  # (past the attribute TTL: the mount learns the new version here)
outcome = "old"
for off in (size * 3 // 4, size // 32, size // 4, size * 31 // 32):
    try:
        got = os.pread(fd, 65536, off)
    except OSError as e:
        if e.errno != errno.ESTALE:
            raise
        outcome = "estale"
        continue
    if got != old[off:off + 65536]:
        sys.exit(f"offset {off}: {'new version' if got == new[off:off + 65536] else 'other'} bytes")
os.close(fd)
fd = os.open(path, os.O_RDONLY)  # opened before the next replace, nothing read yet
put(old_src)
mid = size // 2
if os.pread(fd, 65536, mid) != old[mid:mid + 65536]:
    sys.exit("a descriptor that read nothing yet did not read the new version")
print(outcome)
