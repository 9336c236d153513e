// Mountpaths attached or detached while a target runs (`ais storage mountpath attach|detach`),
// kept in <confdir>/mountpaths.override (a line "+PATH" or "-PATH" each) so that a restart uses
// them: the configured list, plus the attached, minus the detached.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace ais::node {

std::vector<std::string> effectiveMountpaths(const std::string& confdir,
                                             const std::vector<std::string>& configured);
// Records `path` (canonical) as attached or detached, replacing what was recorded for it.
Status recordMountpath(const std::string& confdir, const std::string& path, bool attached);

}  // namespace ais::node
