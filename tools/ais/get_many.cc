#include "tools/ais/get_many.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/progress.h"

namespace ais::cli {
namespace {

namespace fs = std::filesystem;

// An object name as a path under the destination: refused if it could leave it ("..", an
// absolute name) or is not a file name ("." components, empty ones, a trailing '/').
bool safeRelative(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  size_t at = 0;
  while (at <= name.size()) {
    size_t slash = name.find('/', at);
    std::string_view part(name.data() + at,
                          (slash == std::string::npos ? name.size() : slash) - at);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return true;
}

// One object into path: a temp name renamed into place, so a failure leaves no partial file.
Status getOne(Client& client, const std::string& bucket, const std::string& name,
              const std::string& path, ProgressBar& bar) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status(Code::kIoError, "creating the directory of " + path + ": " + ec.message());
  std::string tmp = path + fmt::format(".ais-part-{}", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errnoStatus(path);
  uint64_t last = 0;
  auto info = client.getToFd(bucket, name, fd, std::nullopt, [&](uint64_t done, uint64_t) {
    bar.add(done > last ? done - last : 0);
    last = std::max(last, done);
  });
  bool closed = ::close(fd) == 0;
  Status st = info.ok() ? Status::OK() : info.status();
  if (st.ok() && !closed) st = errnoStatus("closing " + path);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = errnoStatus("renaming to " + path);
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

}  // namespace

int getMany(Cli& cli, const GetManyArgs& a) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  struct Item {
    std::string name;
    uint64_t size;
  };
  std::vector<Item> items;
  uint64_t total = 0;
  ListOptions opts;
  opts.prefix = a.prefix;
  Status listed = (*client)->listAll(a.bucket.bucket, opts, [&](ObjectInfo& o) {
    total += o.size;
    items.push_back({std::move(o.name), o.size});
    return true;
  });
  if (!listed.ok()) return fail(listed);
  std::error_code ec;
  fs::create_directories(a.dir, ec);
  if (ec) return fail(Status(Code::kIoError, "creating " + a.dir + ": " + ec.message()));

  std::mutex mu;  // guards rc, failed and stderr lines
  int rc = kExitOk;
  size_t failed = 0;
  std::atomic<size_t> next{0};
  ProgressBar bar("GET objects", !a.quiet);
  bar.add(0, total);
  auto report = [&](const Status& st, const std::string& name) {
    std::lock_guard lock(mu);
    bar.finish();
    std::fprintf(stderr, "Error: %s (ais://%s/%s)\n", st.toString().c_str(),
                 a.bucket.bucket.c_str(), name.c_str());
    rc = exitCodeFor(st.code());
    ++failed;
  };
  auto worker = [&] {
    for (size_t i = next++; i < items.size(); i = next++) {
      const Item& it = items[i];
      if (!safeRelative(it.name)) {
        report(Status(Code::kInvalidArgument,
                      "'" + it.name + "' is not a file name under " + a.dir + "; skipped"),
               it.name);
        continue;
      }
      Status st =
          getOne(**client, a.bucket.bucket, it.name, (fs::path(a.dir) / it.name).string(), bar);
      if (!st.ok()) report(st, it.name);
    }
  };
  std::vector<std::thread> threads;
  int conc = std::clamp(a.conc, 1, 64);
  for (int i = 0; i < conc; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  bar.finish();
  if (!a.quiet || failed > 0) {
    std::printf("GET %zu objects from ais://%s%s => %s (%s)%s\n", items.size() - failed,
                a.bucket.bucket.c_str(),
                a.prefix.empty() ? "" : (" (prefix " + a.prefix + ")").c_str(), a.dir.c_str(),
                humanSize(total).c_str(), failed ? fmt::format(", {} failed", failed).c_str() : "");
  }
  return rc;
}

}  // namespace ais::cli
