# A disk that can be made to fail, for the failed-disk suites (sourced after cli_suite.sh): an
# ext4 of 256 MiB on a loop device, mounted with errors=remount-ro, whose error the kernel can be
# told to raise (/sys/fs/ext4/DEV/trigger_fs_error: from then on it takes no write, as after a
# real I/O error).
# shellcheck shell=bash

FAILING_LOOP=""
FAILING_AT=""

# failing_disk_at DIR SUITE: t1 stopped, t1's first mountpath emptied, the disk mounted at DIR
# (that mountpath or a directory in it), t1 started again (check t1_up_on_failing_disk). Skips
# the suite (finish SUITE) without a loop device or the kernel's trigger.
failing_disk_at() {
  local dir=$1 suite=$2
  trap 'umount -l "$FAILING_AT" 2>/dev/null; [[ -n $FAILING_LOOP ]] && losetup -d "$FAILING_LOOP" 2>/dev/null; playground_cleanup' EXIT
  truncate -s 256M "$WORK/failing.img"
  FAILING_LOOP=$(losetup -f --show "$WORK/failing.img") || { skip "$suite" "no loop device"; finish "$suite"; }
  mkfs.ext4 -q -F "$FAILING_LOOP"
  "$DEV" kill t1 >/dev/null
  find "$AIS_DEV_DIR/t1/mp1" -mindepth 1 -delete
  mkdir -p "$dir"
  mount -o errors=remount-ro "$FAILING_LOOP" "$dir"
  FAILING_AT=$dir
  rmdir "$dir/lost+found" 2>/dev/null
  "$DEV" start t1 >"$WORK/start.log" 2>&1
  check t1_up_on_failing_disk grep -q "started t1" "$WORK/start.log"
  if [[ ! -w /sys/fs/ext4/$(basename "$FAILING_LOOP")/trigger_fs_error ]]; then
    skip "$suite" "this kernel cannot trigger an ext4 error"
    finish "$suite"
  fi
}

# fail_disk: the kernel raises an error on the disk (it takes no write from then on).
fail_disk() { echo 1 >"/sys/fs/ext4/$(basename "$FAILING_LOOP")/trigger_fs_error"; }
