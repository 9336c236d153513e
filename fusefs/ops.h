// The table of low-level FUSE handlers (ops.cc); main.cc passes it to fuse_session_new.
#pragma once

#include "fusefs/inode_table.h"

namespace ais::fusefs {

fuse_lowlevel_ops makeOps();

}  // namespace ais::fusefs
