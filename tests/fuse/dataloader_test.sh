#!/usr/bin/env bash
# aisfs under a PyTorch DataLoader: a Dataset of files in the mount read by 4 worker processes,
# every sample's bytes checked against the checksum recorded when it was written.
# shellcheck source=tests/fuse/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_built dataloader_test --fuse
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "SKIP dataloader_test: python3-torch not installed (apt-get install -y python3-torch)"
  exit 0
fi
cluster_up
B=fuseloader
ais bucket create ais://$B >/dev/null || fail bucket_create
mount_fs
M=$MNT/$B

# 600 samples of 1-200 KiB in 6 class directories, with their sha256 in a manifest.
$PY - "$M" "$WORK/manifest" <<'PYEOF' || fail write_samples
import hashlib, os, random, sys
root, manifest = sys.argv[1], sys.argv[2]
rnd = random.Random(7)
with open(manifest, "w") as m:
    for i in range(600):
        d = os.path.join(root, "train", f"class{i % 6}")
        os.makedirs(d, exist_ok=True)
        data = rnd.randbytes(rnd.randrange(1024, 200 * 1024))
        p = os.path.join(d, f"sample{i:05d}.bin")
        with open(p, "wb") as f:
            f.write(data)
        m.write(f"{os.path.relpath(p, root)} {hashlib.sha256(data).hexdigest()}\n")
PYEOF
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
if out=$(timeout 300 $PY - "$M" "$WORK/manifest" <<'PYEOF' 2>&1
import hashlib, os, sys
import warnings
warnings.filterwarnings("ignore")
import torch
from torch.utils.data import DataLoader, Dataset

root, manifest = sys.argv[1], sys.argv[2]
want = dict(line.split() for line in open(manifest))

class Files(Dataset):
    def __init__(self, root):
        self.paths = sorted(os.path.relpath(os.path.join(d, f), root)
                            for d, _, fs in os.walk(os.path.join(root, "train")) for f in fs)
        self.root = root
    def __len__(self):
        return len(self.paths)
    def __getitem__(self, i):
        with open(os.path.join(self.root, self.paths[i]), "rb") as f:
            data = f.read()
        return self.paths[i], hashlib.sha256(data).hexdigest(), torch.tensor(len(data))

ds = Files(root)
assert len(ds) == len(want), f"{len(ds)} files listed, {len(want)} written"
seen, bad = 0, []
for epoch in range(2):
    for names, digests, sizes in DataLoader(ds, batch_size=16, shuffle=True, num_workers=4):
        for n, d in zip(names, digests):
            seen += 1
            if want[n] != d:
                bad.append(n)
if bad:
    sys.exit(f"{len(bad)} samples differ, e.g. {bad[:3]}")
print(f"{seen} samples checked")
PYEOF
); then
  pass "dataloader_num_workers_4 ($out)"
else
  fail dataloader_num_workers_4 "$out"
fi
unmount_fs || fail unmount
finish dataloader_test
