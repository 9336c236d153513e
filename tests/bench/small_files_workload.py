#!/usr/bin/python3
"""Small-file workloads whose speed depends on metadata caching (tests/bench/ttl_bench.sh).

Usage: small_files_workload.py DIR LABEL [FILES=2000]  (DIR must not exist; root, to drop the
page cache). Prints `LABEL FIGURE VALUE UNIT` lines: FILES files of 16 KiB created in 100
directories, read back by 8 threads after the page cache is dropped, `ls -lR` of them, a data
loader (FILES samples of 128 KiB in one directory, shuffled, 8 threads: a cold epoch and a warm
one), `rm -rf`.
"""
import concurrent.futures as cf
import os
import random
import subprocess
import sys
import time

root, label = sys.argv[1], sys.argv[2]
files = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
os.makedirs(root)
pool = os.urandom(1 << 20)


def say(name, count, since, unit):
    print(f"{label} {name} {count / (time.monotonic() - since):.1f} {unit}", flush=True)


def drop_caches():
    subprocess.run("sync; echo 3 > /proc/sys/vm/drop_caches", shell=True, check=False)


def read_all(path):
    with open(path, "rb") as f:
        return len(f.read())


t0 = time.monotonic()
for d in range(100):
    os.mkdir(f"{root}/d{d}")
for i in range(files):
    off = i * 4099 % (len(pool) - 16384)
    with open(f"{root}/d{i % 100}/f{i}", "wb") as f:
        f.write(pool[off:off + 16384])
say("small_create_16k", files, t0, "files/s")
drop_caches()
paths = [os.path.join(r, f) for r, _, fs in os.walk(root) for f in fs]
t0 = time.monotonic()
with cf.ThreadPoolExecutor(8) as ex:
    assert sum(ex.map(read_all, paths)) == files * 16384
say("small_read_16k_8threads", files, t0, "files/s")
time.sleep(1.2)  # past a 1 s TTL: the listings are asked again
t0 = time.monotonic()
subprocess.run(["ls", "-lR", root], stdout=subprocess.DEVNULL, check=True)
say("ls_lR", files, t0, "entries/s")
os.mkdir(f"{root}/dl")
for i in range(files):
    with open(f"{root}/dl/s{i:05d}.bin", "wb") as f:
        f.write(os.urandom(131072))
drop_caches()
samples = sorted(os.path.join(f"{root}/dl", f) for f in os.listdir(f"{root}/dl"))
random.Random(0).shuffle(samples)
for epoch in ("cold", "warm"):
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(8) as ex:
        assert sum(ex.map(read_all, samples)) == files * 131072
    say(f"dataloader_128k_8threads_{epoch}", files, t0, "samples/s")
t0 = time.monotonic()
subprocess.run(["rm", "-rf", root], check=True)
say("delete", 2 * files + 101, t0, "entries/s")
