// Name templates with brace ranges, as AIStore's CLI takes them: "shard-{0000..0999}.tar" names
// shard-0000.tar ... shard-0999.tar; "{1..9..2}" steps by 2; several ranges multiply out, the
// last one varying fastest. A range's width is its first bound's as written (leading zeros pad).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ais {

// kInvalidArgument for a malformed range (no "..", bounds not numbers, a start past its end, a
// step of 0) or more than `limit` names.
Result<std::vector<std::string>> expandNameTemplate(std::string_view tmpl, size_t limit);
// True if the template has a brace range to expand.
bool hasNameRange(std::string_view tmpl);

}  // namespace ais
