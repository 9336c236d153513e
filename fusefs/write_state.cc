// WriteState cleanup: an unfinished stream is aborted, the spool file closed (it is unlinked
// from the start, so nothing is left behind even after a crash).
#include "fusefs/write_state.h"

namespace ais::fusefs {

WriteState::~WriteState() {
  if (put) put->abort();
  closeSpool();
}

void WriteState::closeSpool() {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace ais::fusefs
