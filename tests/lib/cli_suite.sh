# The common start of a CLI suite script, sourced once REPO is set: tools/dev and the binaries of
# the build (AIS_BUILD_DIR), playgrounds that neither build nor mount, checks.sh's bookkeeping.
# shellcheck shell=bash
DEV=$REPO/tools/dev
export AIS_BUILD_DIR=${AIS_BUILD_DIR:-$REPO/build}
export AIS_DEV_NOBUILD=1 AIS_DEV_NOMOUNT=1
# shellcheck source=tests/lib/checks.sh
source "$REPO/tests/lib/checks.sh"
AIS=$AIS_BUILD_DIR/tools/ais
