#include "tools/ais/get_batch.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "node/archive/get_batch.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/uri.h"
#include "tools/ais/write_all.h"

namespace ais::cli {
namespace {

// The lines form: "ais://BUCKET/NAME [ARCHPATH]" per item.
Result<archive::BatchRequest> parseLines(const std::string& text) {
  archive::BatchRequest req;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    size_t e = line.find_last_not_of(" \t\r");
    std::string_view rest(line.data() + b, e - b + 1);
    size_t sp = rest.find_first_of(" \t");
    auto uri = parseObjectUri(rest.substr(0, sp));
    if (!uri.ok()) {
      return Status(Code::kInvalidArgument, fmt::format("line {}: {}", n, uri.status().message()));
    }
    archive::BatchItem it{uri->bucket, uri->name, "", 0, 0};
    if (sp != std::string_view::npos) {
      std::string_view arch = rest.substr(sp);
      arch.remove_prefix(arch.find_first_not_of(" \t"));
      it.archpath = std::string(arch);
    }
    req.items.push_back(std::move(it));
  }
  if (req.items.empty()) return Status(Code::kInvalidArgument, "the batch list has no items");
  return req;
}

}  // namespace

int getBatch(Cli& cli, const GetBatchArgs& a) {
  if (a.out.empty()) {
    return fail(Status(Code::kInvalidArgument, "--batch needs where the TAR goes: OUT.tar or -"));
  }
  std::ifstream f(a.list, std::ios::binary);
  if (!f) return fail(errnoStatus(a.list));
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  size_t first = text.find_first_not_of(" \t\r\n");
  auto req = first != std::string::npos && text[first] == '{' ? archive::parseBatchRequest(text, "")
                                                              : parseLines(text);
  if (!req.ok()) return fail(Status(req.code(), a.list + ": " + req.status().message()));
  if (a.continueOnError) req->options.continueOnError = true;
  if (a.onlyObjName) req->options.onlyObjName = true;
  req->options.parallel = std::max(1, a.conc);
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto batch = archive::GetBatch::plan(**client, std::move(req->items), req->options);
  if (!batch.ok()) return fail(batch.status());

  bool toStdout = a.out == "-";
  std::string tmp = toStdout ? "" : a.out + fmt::format(".ais-part-{}", ::getpid());
  int fd = toStdout ? STDOUT_FILENO
                    : ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(errnoStatus(a.out));
  Status st =
      batch->stream(**client, [fd](std::string_view b) { return writeAll(fd, b, "the batch"); });
  if (!toStdout) {
    if (::close(fd) != 0 && st.ok()) st = errnoStatus("closing " + a.out);
    if (st.ok() && ::rename(tmp.c_str(), a.out.c_str()) != 0) st = errnoStatus(a.out);
    if (!st.ok()) ::unlink(tmp.c_str());
  }
  if (!st.ok()) return fail(st);
  if (!a.quiet && !toStdout) {
    size_t missing = 0;
    for (const auto& e : batch->entries()) missing += e.missing.ok() ? 0 : 1;
    std::printf("Got %zu items (%s TAR) as %s%s\n", batch->entries().size(),
                humanSize(batch->tarSize()).c_str(), a.out.c_str(),
                missing ? fmt::format(", {} missing under __404__/", missing).c_str() : "");
  }
  return kExitOk;
}

}  // namespace ais::cli
