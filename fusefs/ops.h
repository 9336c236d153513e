// The table of low-level FUSE handlers (ops.cc); main.cc passes it to fuse_session_new.
#pragma once

#include "fusefs/inode_table.h"

namespace ais::fusefs {

// xattrs false: no extended-attribute handlers (libfuse answers ENOSYS, the kernel stops asking).
fuse_lowlevel_ops makeOps(bool xattrs);

}  // namespace ais::fusefs
