#!/usr/bin/python3
"""make_small_files.py DIR N SEED: N small files (0 B to 16 KiB, random bytes) in 600 nested
directories under DIR, some named with spaces and UTF-8: the ingest tests' dataset."""
import os
import random
import sys

src, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
for i in range(n):
    d = os.path.join(src, "dir%03d" % (i % 200), "sub%d" % (i % 3))
    os.makedirs(d, exist_ok=True)
    name = ("with space %05d" % i) if i % 97 == 0 else ("ünïcode-%05d" % i) if i % 89 == 0 else "f%05d" % i
    size = rnd.choice([0, 1, 64, rnd.randint(1, 16384), rnd.randint(1, 16384)])
    with open(os.path.join(d, name), "wb") as f:
        f.write(rnd.randbytes(size))
