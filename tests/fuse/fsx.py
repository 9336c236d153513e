#!/usr/bin/python3
"""fsx-style random operations on a file in the mount, checked against a local reference file.

usage: fsx.py MOUNTED_FILE REFERENCE_FILE OPS SEED
Ops: pwrite at random offsets, truncate (grow/shrink), ranged reads, O_APPEND writes, and
close/reopen (the reopened file must equal the reference: what close() stored).
"""
import os
import random
import sys

path, ref_path, nops, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
MAX = 3 << 20

def opn(p):
    return os.open(p, os.O_RDWR | os.O_CREAT, 0o644)

fd, ref = opn(path), opn(ref_path)
os.ftruncate(fd, 0)
os.ftruncate(ref, 0)

def size():
    return os.fstat(ref).st_size

def check_range(off, n, what):
    want = os.pread(ref, n, off)
    got = os.pread(fd, n, off)
    if got != want:
        first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), None)
        sys.exit(f"FAIL {what}: read {n}@{off}: got {len(got)} bytes, want {len(want)}, "
                 f"first difference at {first}")

for i in range(nops):
    op = rnd.choices(["write", "read", "truncate", "append", "reopen"], [45, 30, 10, 10, 5])[0]
    if op == "write":
        off = rnd.randrange(0, MAX)
        data = rnd.randbytes(rnd.randrange(1, 65536))
        os.pwrite(fd, data, off)
        os.pwrite(ref, data, off)
    elif op == "read":
        s = size()
        off = rnd.randrange(0, s + 10) if s else 0
        check_range(off, rnd.randrange(1, 200000), f"op {i}")
    elif op == "truncate":
        n = rnd.randrange(0, MAX)
        os.ftruncate(fd, n)
        os.ftruncate(ref, n)
    elif op == "append":
        data = rnd.randbytes(rnd.randrange(1, 20000))
        afd = os.open(path, os.O_WRONLY | os.O_APPEND)
        os.write(afd, data)
        os.close(afd)  # stores: close-to-open
        os.pwrite(ref, data, size())
    else:
        os.close(fd)
        fd = os.open(path, os.O_RDWR)
        check_range(0, size() + 1, f"op {i} after reopen")
    if os.fstat(fd).st_size != size():
        sys.exit(f"FAIL op {i} ({op}): size {os.fstat(fd).st_size}, want {size()}")
os.close(fd)
fd = os.open(path, os.O_RDONLY)
check_range(0, size() + 1, "final")
print(f"ok {nops} ops, final size {size()}")
