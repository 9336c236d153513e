#!/usr/bin/python3
"""Chaos drill on a running playground: writers overwrite and delete a set of names while
targets are killed and restarted (with --maintenance, also put in and out of maintenance; with
--hang, also stopped for seconds and resumed; with --mountpaths, a mountpath disabled and enabled
again; with --membership, a target added or an added one decommissioned); at the end every
name must hold what its last acknowledged write left, or be absent after an acknowledged delete.
A request that failed leaves its name in either state (it may or may not have taken effect).
Meanwhile a reader reads names written once before the disruptions and never changed: a read
may fail (a node is down) but never answer "absent" or other bytes.
Not part of `tools/dev test` (it is random and takes minutes): run by hand,

  eval "$(tools/dev env)"
  tests/drills/chaos_drill.py --s3 BUCKET [--multipart] [--maintenance] [--hang] [--mountpaths]
                              [--membership] [--seconds 60]
  tests/drills/chaos_drill.py --mount "$AIS_MOUNT/BUCKET" [--maintenance] [--hang] [--mountpaths]
                              [--membership]

Prints the operations done and failed, then `bad N`: the names in a state no acknowledged
history explains, the names the listing shows twice, leaves out although they read back, or
shows although they do not, and the wrong answers to reads of the unchanged names (exit 1 if
any)."""
import argparse, hashlib, os, random, subprocess, sys, threading, time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEV = os.path.join(REPO, "tools", "dev")
AIS = os.environ.get("AIS_BIN", os.path.join(REPO, "build", "tools", "ais"))
WRITERS = 4


def digest(data):
    return None if data is None else hashlib.md5(data).hexdigest()


class S3Names:
    """Names as objects of a bucket, through the S3 endpoint (S3_ENDPOINT)."""

    def __init__(self, bucket, multipart):
        import boto3
        from botocore.config import Config
        self.bucket, self.multipart = bucket, multipart
        cfg = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)
        # (One client per writer, made here: boto3's client construction is not thread-safe.)
        self.clients = [boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"],
                                     aws_access_key_id="drill", aws_secret_access_key="drill",
                                     region_name="us-east-1", config=cfg)
                        for _ in range(WRITERS + 1)]
        self.clients[WRITERS].head_bucket(Bucket=bucket)  # (a missing bucket ends it here)

    def make(self, rnd):
        if self.multipart and rnd.random() < 0.3:
            return os.urandom(5 << 20) + os.urandom(rnd.choice([10, 100000]))
        return os.urandom(rnd.choice([100, 5000, 70000, 300000, 3000000]))

    def write(self, w, key, data):
        c = self.clients[w]
        if len(data) <= 5 << 20:
            c.put_object(Bucket=self.bucket, Key=key, Body=data)
            return
        up = c.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        parts = []
        for n, (lo, hi) in enumerate([(0, 5 << 20), (5 << 20, len(data))], start=1):
            etag = c.upload_part(Bucket=self.bucket, Key=key, UploadId=up, PartNumber=n,
                                 Body=data[lo:hi])["ETag"]
            parts.append({"PartNumber": n, "ETag": etag})
        c.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=up,
                                    MultipartUpload={"Parts": parts})

    def delete(self, w, key):
        self.clients[w].delete_object(Bucket=self.bucket, Key=key)

    def listing(self):
        keys, token = [], None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self.clients[WRITERS].list_objects_v2(Bucket=self.bucket, **extra)
            keys += [o["Key"] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return keys
            token = page["NextContinuationToken"]

    def read(self, key):
        from botocore.exceptions import ClientError
        try:
            return digest(self.clients[WRITERS].get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except ClientError as e:
            if e.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            return "error: " + str(e)


class MountNames:
    """Names as files of a directory of an aisfs mount."""

    def __init__(self, directory):
        self.dir = directory

    def make(self, rnd):
        return os.urandom(rnd.choice([100, 5000, 70000, 2000000]) + rnd.randrange(3))

    def write(self, w, key, data):
        if len(data) % 3 == 0:  # (a third or so: written aside and renamed over, as rsync does)
            tmp = os.path.join(self.dir, f".{key}.tmp{w}")
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, os.path.join(self.dir, key))
            return
        with open(os.path.join(self.dir, key), "wb") as f:
            f.write(data)

    def delete(self, w, key):
        try:
            os.unlink(os.path.join(self.dir, key))
        except FileNotFoundError:
            pass

    def listing(self):
        return [n for n in os.listdir(self.dir) if not n.startswith(".")]

    def read(self, key):
        try:
            with open(os.path.join(self.dir, key), "rb") as f:
                return digest(f.read())
        except FileNotFoundError:
            return None
        except OSError as e:
            return "error: " + str(e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--s3", metavar="BUCKET")
    where.add_argument("--mount", metavar="DIR")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--names", type=int, default=200)
    ap.add_argument("--multipart", action="store_true", help="S3: a third of the writes multipart")
    ap.add_argument("--maintenance", action="store_true",
                    help="half the disruptions are maintenance in and out instead of a kill")
    ap.add_argument("--hang", action="store_true",
                    help="half the disruptions stop a target (SIGSTOP) for 1-12 s instead")
    ap.add_argument("--mountpaths", action="store_true",
                    help="half the disruptions disable a target's mountpath for 1-6 s instead "
                         "(its objects move in a resilver job, and back once it is enabled)")
    ap.add_argument("--membership", action="store_true",
                    help="half the disruptions add a target or decommission one that was added "
                         "(every object moves off it while the writers go on)")
    ap.add_argument("--settle", type=float, default=10, help="seconds before the final reads")
    ap.add_argument("--stable", type=int, default=50,
                    help="names written once before the disruptions and read throughout")
    args = ap.parse_args()
    if args.mount and not os.path.isdir(args.mount):
        sys.exit(f"{args.mount}: not a directory")
    names = S3Names(args.s3, args.multipart) if args.s3 else MountNames(args.mount)
    targets = subprocess.run(["awk", '$2 == "target" { print $1 }',
                              os.path.join(os.environ["AIS_DEV_DIR"], "cluster")],
                             capture_output=True, text=True, check=True).stdout.split()
    initial = len(targets)
    keys = [f"n{i:05d}" for i in range(args.names)]
    possible = {k: {None} for k in keys}  # name -> the digests it may hold (None: absent)
    counts = {"writes": 0, "deletes": 0, "failed": 0}
    failures = []
    # The unchanged names: written before the disruptions start.
    stable = {}
    for i in range(args.stable):
        data = os.urandom(random.Random(1000 + i).choice([100, 5000, 70000, 300000]))
        names.write(0, f"stable{i:03d}", data)
        stable[f"stable{i:03d}"] = digest(data)
    wrong_reads, stable_reads = [], [0]
    stop = time.time() + args.seconds

    def reader():
        rnd = random.Random(7)
        ks = sorted(stable)
        while time.time() < stop:
            k = rnd.choice(ks)
            got = names.read(k)
            stable_reads[0] += 1
            if got is None or (not str(got).startswith("error") and got != stable[k]):
                wrong_reads.append(f"{time.strftime('%T')} {k}: {'absent' if got is None else got}")

    def writer(w):
        rnd = random.Random(w)
        mine = keys[w::WRITERS]  # (each name has one writer: its acknowledged order is known)
        while time.time() < stop:
            k = rnd.choice(mine)
            data = None if rnd.random() < 0.2 else names.make(rnd)
            try:
                if data is None:
                    names.delete(w, k)
                else:
                    names.write(w, k, data)
                possible[k] = {digest(data)}
                counts["deletes" if data is None else "writes"] += 1
            except Exception as e:  # noqa: BLE001 (any failure leaves both states possible)
                possible[k] = possible[k] | {digest(data)}
                counts["failed"] += 1
                failures.append(f"{time.strftime('%T')} {k}: {e}")

    def disrupt():
        rnd = random.Random(99)
        while time.time() < stop - 3:
            t = rnd.choice(targets)
            if args.membership and rnd.random() < 0.5:
                if len(targets) > initial:
                    t = targets.pop()
                    subprocess.run([AIS, "cluster", "rm-node", t, "--mode", "decommission",
                                    "--wait", "--timeout", "120"], capture_output=True)
                    what = "decommissioned"
                else:
                    r = subprocess.run([DEV, "add", "target"], capture_output=True, text=True)
                    out = r.stdout + r.stderr + " "
                    t = out.split("added target ")[1].split()[0] if "added target " in out else "?"
                    if t != "?":
                        targets.append(t)
                    what = "added"
            elif args.hang and rnd.random() < 0.5:
                pid = subprocess.run(["pgrep", "-f", f"{os.environ['AIS_DEV_DIR']}/{t}/aisnode.json"],
                                     capture_output=True, text=True).stdout.split()
                for p in pid:
                    os.kill(int(p), 19)  # SIGSTOP: connections stay open, nothing answers
                time.sleep(rnd.uniform(1, 12))
                for p in pid:
                    os.kill(int(p), 18)  # SIGCONT
                what = "hung and resumed"
            elif args.mountpaths and rnd.random() < 0.5:
                mp = os.path.join(os.environ["AIS_DEV_DIR"], t, rnd.choice(["mp1", "mp2"]))
                subprocess.run([AIS, "storage", "mountpath", "disable", t, mp], capture_output=True)
                time.sleep(rnd.uniform(1, 6))
                subprocess.run([AIS, "storage", "mountpath", "enable", t, mp], capture_output=True)
                what = f"mountpath {os.path.basename(mp)} disabled and enabled"
            elif args.maintenance and rnd.random() < 0.5:
                subprocess.run([AIS, "cluster", "add-remove-nodes", "start-maintenance", t],
                               capture_output=True)
                time.sleep(rnd.uniform(0.5, 4))
                subprocess.run([AIS, "cluster", "add-remove-nodes", "stop-maintenance", t],
                               capture_output=True)
                what = "maintenance"
            else:
                subprocess.run([DEV, "kill", t], capture_output=True)
                time.sleep(rnd.uniform(0.5, 4))
                subprocess.run([DEV, "start", t], capture_output=True)
                what = "killed and restarted"
            print(f"{time.strftime('%T')} {t} {what}", flush=True)
            time.sleep(rnd.uniform(1, 4))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    threads.append(threading.Thread(target=disrupt))
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("operations:", counts, "reads of unchanged names:", stable_reads[0], flush=True)
    for f in failures[:10]:
        print("  failed:", f)
    time.sleep(args.settle)
    held = {k: names.read(k) for k in keys}
    bad = [(k, got, possible[k]) for k, got in held.items() if got not in possible[k]]
    # The listing names each name that reads back, once, and nothing else.
    listed = names.listing()
    present = {k for k, got in held.items() if got is not None and not str(got).startswith("error")}
    twice = sorted({k for k in listed if listed.count(k) > 1})
    missing = sorted(present - set(listed))
    extra = sorted(set(listed) - present - set(stable))
    gone = sorted(set(stable) - set(listed))  # (the unchanged names stay listed)
    print("bad", len(bad) + len(twice) + len(missing) + len(extra) + len(gone) + len(wrong_reads))
    for k, got, want in bad[:20]:
        shown = sorted(map(str, want))
        print(f"  {k}: holds {got}; may hold {len(shown)} state(s): {' '.join(shown[:4])}")
    for what, ks in (("listed twice", twice), ("reads back, not listed", missing),
                     ("listed, does not read back", extra), ("unchanged, not listed", gone)):
        if ks:
            print(f"  {what}: {len(ks)}: {' '.join(ks[:10])}")
    for w in wrong_reads[:10]:
        print("  wrong answer to a read of an unchanged name:", w)
    sys.exit(1 if bad or twice or missing or extra or gone or wrong_reads else 0)


if __name__ == "__main__":
    main()
