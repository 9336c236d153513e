#!/usr/bin/python3
"""What a hard link costs on a mount, stored: N files of SIZE bytes are written into DIR, then
each gets a second name (link) and an fsync of the file, which on aisfs stores a deferred link at
once (docs/aisfs.md, Deferred links). Prints the median, p10 and p90 of link + fsync, then checks
one file's two names (same st_ino, st_nlink 2, same bytes). Any filesystem works as a reference.
Usage: link_store_rate.py DIR [SIZE (12000)] [N (200)]"""
import os, sys, time

d = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 12000
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
os.makedirs(d, exist_ok=True)
data = os.urandom(size)
for i in range(n):
    with open(f"{d}/f{i}", "wb") as f:
        f.write(data)
took = []
for i in range(n):
    t = time.perf_counter()
    os.link(f"{d}/f{i}", f"{d}/f{i}.hl")
    fd = os.open(f"{d}/f{i}", os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    took.append(time.perf_counter() - t)
took.sort()
print(f"link + fsync of {n} files of {size} bytes: median {took[n // 2] * 1e6:.0f} us, "
      f"p10 {took[n // 10] * 1e6:.0f} us, p90 {took[9 * n // 10] * 1e6:.0f} us")
a, b = os.stat(f"{d}/f0"), os.stat(f"{d}/f0.hl")
assert (a.st_ino, a.st_nlink) == (b.st_ino, 2), (a, b)
with open(f"{d}/f0.hl", "rb") as f:
    assert f.read() == data
