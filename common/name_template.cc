#include "common/name_template.h"

#include <charconv>
#include <cstdint>

namespace ais {
namespace {

struct Range {
  uint64_t from = 0, to = 0, step = 1;
  size_t width = 0;
};

Result<uint64_t> number(std::string_view s, std::string_view tmpl) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return Status(Code::kInvalidArgument,
                  "template '" + std::string(tmpl) + "': '" + std::string(s) + "' is not a number");
  }
  return v;
}

}  // namespace

bool hasNameRange(std::string_view tmpl) {
  size_t open = tmpl.find('{');
  return open != std::string_view::npos && tmpl.find("..", open) != std::string_view::npos &&
         tmpl.find('}', open) != std::string_view::npos;
}

Result<std::vector<std::string>> expandNameTemplate(std::string_view tmpl, size_t limit) {
  // Literal parts around the ranges: parts[0] {r0} parts[1] {r1} ... parts[n].
  std::vector<std::string> parts(1);
  std::vector<Range> ranges;
  for (size_t i = 0; i < tmpl.size();) {
    size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) {
      parts.back() += tmpl.substr(i);
      break;
    }
    size_t close = tmpl.find('}', open);
    if (close == std::string_view::npos) {
      return Status(Code::kInvalidArgument, "template '" + std::string(tmpl) + "': no closing }");
    }
    parts.back() += tmpl.substr(i, open - i);
    std::string_view body = tmpl.substr(open + 1, close - open - 1);
    size_t dots = body.find("..");
    if (dots == std::string_view::npos) {
      return Status(Code::kInvalidArgument, "template '" + std::string(tmpl) + "': {" +
                                                std::string(body) +
                                                "} is not a range {FROM..TO} or {FROM..TO..STEP}");
    }
    std::string_view a = body.substr(0, dots), rest = body.substr(dots + 2);
    size_t dots2 = rest.find("..");
    std::string_view b = rest.substr(0, dots2);
    Range r;
    auto from = number(a, tmpl), to = number(b, tmpl);
    if (!from.ok()) return from.status();
    if (!to.ok()) return to.status();
    r.from = *from;
    r.to = *to;
    r.width = a.size();
    if (dots2 != std::string_view::npos) {
      auto step = number(rest.substr(dots2 + 2), tmpl);
      if (!step.ok()) return step.status();
      r.step = *step;
    }
    if (r.step == 0 || r.from > r.to) {
      return Status(Code::kInvalidArgument, "template '" + std::string(tmpl) + "': {" +
                                                std::string(body) + "} is an empty range");
    }
    ranges.push_back(r);
    parts.emplace_back();
    i = close + 1;
  }
  uint64_t total = 1;
  for (const Range& r : ranges) {
    total *= (r.to - r.from) / r.step + 1;
    if (total > limit) {
      return Status(Code::kInvalidArgument, "template '" + std::string(tmpl) + "' names over " +
                                                std::to_string(limit) + " names");
    }
  }
  std::vector<std::string> out;
  out.reserve(total);
  std::vector<uint64_t> at(ranges.size());
  for (size_t k = 0; k < ranges.size(); ++k) at[k] = ranges[k].from;
  for (uint64_t n = 0; n < total; ++n) {
    std::string name = parts[0];
    for (size_t k = 0; k < ranges.size(); ++k) {
      std::string v = std::to_string(at[k]);
      if (v.size() < ranges[k].width) v.insert(0, ranges[k].width - v.size(), '0');
      name += v;
      name += parts[k + 1];
    }
    out.push_back(std::move(name));
    for (size_t k = ranges.size(); k-- > 0;) {  // the last range varies fastest
      if (at[k] + ranges[k].step <= ranges[k].to) {
        at[k] += ranges[k].step;
        break;
      }
      at[k] = ranges[k].from;
    }
  }
  return out;
}

}  // namespace ais
