// Object commands: ls, put, get, rm, head, mv (under `ais object` and as top-level shortcuts; cp
// and promote have files of their own).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "common/ascii.h"
#include "common/log.h"
#include "common/read_file.h"
#include "meta/names.h"
#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/get_batch.h"
#include "tools/ais/get_many.h"
#include "tools/ais/progress.h"
#include "tools/ais/uri.h"

namespace ais::cli {
namespace {

namespace fs = std::filesystem;

// stdin larger than this is spooled to a temp file so it streams through putFile.
constexpr size_t kStdinInlineMax = 64 << 20;

std::string baseName(const std::string& path) {
  auto trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  auto slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

// ---- ls ----

struct LsArgs {
  std::string target;
  std::string prefix;
  std::string props;  // --props: the table's columns
  uint32_t pageSize = 0;
  uint64_t limit = 0;
  bool json = false;
  bool noHeaders = false;
  bool nameOnly = false;  // AIStore's --name-only: the NAME column alone
  bool summary = false;   // AIStore's --summary: `ais bucket summary` of the bucket or prefix
};

int listObjects(Cli& cli, const LsArgs& a) {
  if (a.summary) return summarize(cli, a.target, a.json, a.noHeaders);
  if (a.target.empty()) return listBuckets(cli, a.json, a.noHeaders);
  auto uri = parseUri(a.target);
  if (!uri.ok()) return fail(uri.status());
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());

  // The table's columns after NAME: SIZE, or those --props names (AIS's names; "all": every one;
  // NAME is always first).
  enum Prop : size_t { kSize, kChecksum, kVersion, kAtime, kMtime, kLocation, kCustom };
  static constexpr std::string_view kPropNames[] = {"size",  "checksum", "version", "atime",
                                                    "mtime", "location", "custom"};
  constexpr size_t kPropCount = std::size(kPropNames);
  std::vector<Prop> columns = {kSize};
  if (a.nameOnly && !a.props.empty()) {
    return fail(Status(Code::kInvalidArgument, "--name-only and --props: give one"));
  }
  if (a.nameOnly) columns.clear();
  if (!a.props.empty()) {
    columns.clear();
    std::string_view rest = a.props;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view prop = asciiTrim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (prop == "all") {
        columns.clear();
        for (size_t i = 0; i < kPropCount; ++i) columns.push_back(static_cast<Prop>(i));
        break;
      }
      if (prop.empty() || prop == "name") continue;
      size_t i = std::find(kPropNames, kPropNames + kPropCount, prop) - kPropNames;
      if (i == kPropCount) {
        std::string known = "name";
        for (auto k : kPropNames) known += ", " + std::string(k);
        return fail(Status(
            Code::kInvalidArgument,
            "--props: unknown property \"" + std::string(prop) + "\" (known: " + known + ", all)"));
      }
      if (std::find(columns.begin(), columns.end(), i) == columns.end()) {
        columns.push_back(static_cast<Prop>(i));
      }
    }
  }
  auto cell = [](Prop prop, const ObjectInfo& e) -> std::string {
    switch (prop) {
      case kSize:
        return humanSize(e.size);
      case kChecksum:
        return e.checksumValue.empty() ? checksumHex(e.checksum) : e.checksumValue;
      case kVersion:
        return std::to_string(e.version);
      case kAtime:
        return formatTime(e.atimeNs);
      case kMtime:
        return formatTime(e.mtimeNs);
      case kLocation:
        return e.targetId.empty() ? "-" : e.targetId;
      case kCustom: {
        std::string out;
        for (const auto& [k, v] : e.custom) out += (out.empty() ? "" : ",") + k + "=" + v;
        if (out.empty()) return "-";
        return log::hasControl(out) ? log::escapeControl(out) : out;
      }
    }
    return "";
  };

  ListOptions opts;
  opts.prefix = uri->name;
  if (!a.prefix.empty()) {
    // (AIS's `ais ls ais://B --prefix P`; the prefix given once, either way.)
    if (!uri->name.empty() && uri->name != a.prefix) {
      return fail(Status(Code::kInvalidArgument,
                         "a prefix both in " + a.target + " and in --prefix: give it once"));
    }
    opts.prefix = a.prefix;
  }
  opts.pageSize = a.pageSize;
  opts.allowPartial = true;  // a dead target: list the rest, say so, exit 7
  std::vector<std::pair<std::string, Status>> missed;
  // What the output needs of each entry, kept compact: a million names are held until the NAME
  // column's width is known (plain); --json entries are formatted as they come into `out`.
  struct Row {
    std::string name;
    std::string cells;  // the other columns' text in order, each ended by '\n' (none holds one)
  };
  std::vector<Row> rows;
  std::vector<size_t> widths = {a.noHeaders ? 0 : std::string_view("NAME").size()};
  for (Prop c : columns) widths.push_back(a.noHeaders ? 0 : kPropNames[c].size());
  std::string out;  // written to stdout in large blocks, and only once the listing succeeded
  auto spill = [&](size_t atLeast) {
    if (out.size() < atLeast) return;
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
  };
  uint64_t listed = 0;
  if (a.json) out += '[';
  Status st = (*client)->listAll(
      uri->bucket, opts,
      [&](ObjectInfo& e) {
        if (a.limit && listed >= a.limit) return false;
        if (a.json) {
          out.append(listed ? ",\n  " : "\n  ");
          out.append("{\"name\": ");
          out.append(nlohmann::json(e.name).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace));
          if (a.nameOnly) {
            out += '}';
          } else {
            fmt::format_to(
                std::back_inserter(out),
                ", \"size\": {}, \"checksum\": \"{}\", \"version\": {}, \"mtime\": \"{}\"}}",
                e.size, checksumHex(e.checksum), e.version, formatTime(e.mtimeNs));
          }
        } else {
          Row r;
          for (size_t i = 0; i < columns.size(); ++i) {
            std::string text = cell(columns[i], e);
            widths[i + 1] = std::max(widths[i + 1], text.size());
            r.cells += text;
            r.cells += '\n';
          }
          r.name = log::hasControl(e.name) ? log::escapeControl(e.name) : std::move(e.name);
          widths[0] = std::max(widths[0], r.name.size());
          rows.push_back(std::move(r));
        }
        ++listed;
        return true;
      },
      &missed);
  if (!st.ok()) return fail(st);
  std::map<std::string, Status> missing(missed.begin(), missed.end());

  if (a.json) {
    out.append(listed == 0 ? "]\n" : "\n]\n");
  } else {
    // As Table renders columns: each padded to its widest plus two spaces, the last as it is.
    auto row = [&](std::string_view name, std::string_view cells) {
      out.append(name);
      size_t before = name.size();  // the previous cell's length
      for (size_t i = 0; !cells.empty(); ++i) {
        size_t end = cells.find('\n');
        out.append(widths[i] - before + 2, ' ');
        out.append(cells.substr(0, end));
        before = end;
        cells.remove_prefix(end + 1);
      }
      out += '\n';
      spill(1 << 20);
    };
    if (!a.noHeaders) {
      std::string heads;
      for (Prop c : columns) heads += asciiUpper(kPropNames[c]) + '\n';
      row("NAME", heads);
    }
    for (const auto& r : rows) row(r.name, r.cells);
  }
  spill(0);
  for (const auto& [id, why] : missing) {
    std::fprintf(stderr, "warning: target %s could not be asked (%s): its objects are not listed\n",
                 id.c_str(), why.toString().c_str());
  }
  return missing.empty() ? kExitOk : kExitUnavailable;
}

// ---- put ----

struct PutArgs {
  std::string src;
  std::string dst;
  bool recursive = false;  // accepted for NVIDIA CLI compatibility: directories always recurse
  bool quiet = false;
  int conc = 4;
};

Result<ObjectInfo> putStdin(Client& client, const Uri& dst) {
  std::string data;
  char buf[1 << 16];
  while (data.size() <= kStdinInlineMax) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errnoStatus("reading stdin");
    if (n == 0) return client.put(dst.bucket, dst.name, data);
    data.append(buf, static_cast<size_t>(n));
  }
  // Too big to hold: spool to a temp file and stream it.
  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/ais-stdin-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return errnoStatus("creating a temp file for stdin");
  ::unlink(tmpl.c_str());  // the fd keeps it; /proc/self/fd/N names it for putFile
  auto writeAll = [fd](const char* p, size_t len) {
    while (len > 0) {
      ssize_t n = ::write(fd, p, len);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;
      p += n;
      len -= static_cast<size_t>(n);
    }
    return true;
  };
  bool ok = writeAll(data.data(), data.size());
  data.clear();
  while (ok) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    ok = writeAll(buf, static_cast<size_t>(n));
  }
  if (!ok) {
    auto st = errnoStatus("spooling stdin");
    ::close(fd);
    return st;
  }
  auto info = client.putFile(dst.bucket, dst.name, "/proc/self/fd/" + std::to_string(fd));
  ::close(fd);
  return info;
}

// Reads a whole (small) file; kIoError naming it if it cannot, or changed size meanwhile.
Result<std::string> readSmallFile(const std::string& path, uint64_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoStatus(path);
  auto data = readExactly(fd, size, path);
  ::close(fd);
  return data;
}

// A directory upload: the walk feeds a queue while `conc` workers upload what it found so far,
// small files many per call (Client::putBatch), large ones streamed one by one.
int putDir(Client& client, const PutArgs& a, const Uri& dst) {
  constexpr uint64_t kSmallFile = 1 << 20;  // up to this size a file goes in a batch
  constexpr size_t kBatchFiles = 128, kBatchBytes = 4 << 20;
  std::string prefix = dst.name;
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  struct Item {
    std::string path, name;
    uint64_t size;
  };
  std::mutex mu;  // guards the queue, the walk's state, rc and stderr lines
  std::condition_variable cv;
  std::deque<Item> queue;
  bool walked = false;
  size_t found = 0;
  uint64_t totalBytes = 0;
  std::atomic<size_t> done{0};
  int rc = kExitOk;
  ProgressBar bar("PUT files", !a.quiet);
  auto report = [&](const Status& st, const std::string& path) {
    std::lock_guard lock(mu);
    bar.finish();
    std::fprintf(stderr, "Error: %s (%s)\n", st.toString().c_str(), path.c_str());
    rc = exitCodeFor(st.code());
  };
  auto worker = [&] {
    for (;;) {
      std::vector<Item> batch;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !queue.empty() || walked; });
        if (queue.empty()) return;
        // A large file alone; else small files up to the batch limits.
        size_t bytes = 0;
        while (!queue.empty() && batch.size() < kBatchFiles) {
          const Item& next = queue.front();
          bool large = next.size > kSmallFile;
          if (!batch.empty() && (large || bytes + next.size > kBatchBytes)) break;
          bytes += next.size;
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
          if (large) break;
        }
      }
      if (batch.size() == 1 && batch[0].size > kSmallFile) {
        const Item& item = batch[0];
        uint64_t last = 0;
        auto info = client.putFile(dst.bucket, item.name, item.path, {}, [&](uint64_t d, uint64_t) {
          bar.add(d > last ? d - last : 0);
          last = std::max(last, d);
        });
        if (!info.ok()) {
          report(info.status(), item.path);
          continue;
        }
        bar.add(item.size > last ? item.size - last : 0);
        ++done;
        continue;
      }
      std::vector<std::string> contents;
      std::vector<BatchPut> puts;
      std::vector<const Item*> sent;
      contents.reserve(batch.size());
      for (const Item& item : batch) {
        auto data = readSmallFile(item.path, item.size);
        if (!data.ok()) {
          report(data.status(), item.path);
          continue;
        }
        contents.push_back(std::move(*data));
        sent.push_back(&item);
      }
      for (size_t k = 0; k < sent.size(); ++k) puts.push_back({sent[k]->name, contents[k], {}});
      auto results = client.putBatch(dst.bucket, puts);
      for (size_t k = 0; k < results.size(); ++k) {
        if (!results[k].ok()) {
          report(results[k].status(), sent[k]->path);
          continue;
        }
        bar.add(sent[k]->size);
        ++done;
      }
    }
  };
  int conc = std::clamp(a.conc, 1, 64);
  std::vector<std::thread> threads;
  for (int i = 0; i < conc; ++i) threads.emplace_back(worker);

  std::error_code ec;
  fs::path root(a.src);
  std::string base = root.generic_string();
  for (auto it = fs::recursive_directory_iterator(
           root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;  // follows symlinks to files; skips dirs, sockets, ...
    // The walk's paths start with root's: strip it (fs::relative resolves symlinks per file).
    std::string path = it->path().generic_string();
    std::string rel = path.substr(std::min(path.size(), base.size()));
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    uint64_t size = it->file_size(ec);
    if (ec) break;
    bar.add(0, size);
    {
      std::lock_guard lock(mu);
      queue.push_back({it->path().string(), prefix + rel, size});
      ++found;
      totalBytes += size;
    }
    cv.notify_one();
  }
  {
    std::lock_guard lock(mu);
    walked = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  bar.finish();
  if (ec) return fail(Status(Code::kIoError, "walking " + a.src + ": " + ec.message()));
  if (found == 0) {
    if (!a.quiet) std::printf("No files under %s: nothing to put\n", a.src.c_str());
    return kExitOk;
  }
  if (!a.quiet || rc != kExitOk) {
    std::printf("PUT %zu of %zu objects (%s) from %s => %s\n", done.load(), found,
                humanSize(totalBytes).c_str(), a.src.c_str(),
                Uri{dst.bucket, prefix}.toString().c_str());
  }
  return rc;
}

int putObjects(Cli& cli, const PutArgs& a) {
  auto dst = parseUri(a.dst);
  if (!dst.ok()) return fail(dst.status());

  struct stat st {};
  bool fromStdin = a.src == "-";
  if (!fromStdin && ::stat(a.src.c_str(), &st) != 0) return fail(errnoStatus(a.src));
  bool isDir = !fromStdin && S_ISDIR(st.st_mode);

  if (!isDir) {
    if (fromStdin && (dst->name.empty() || dst->name.back() == '/')) {
      return fail(
          Status(Code::kInvalidArgument, "put from stdin needs an object name: ais://BUCKET/NAME"));
    }
    if (dst->name.empty() || dst->name.back() == '/') dst->name += baseName(a.src);
    if (auto vs = meta::validateObjectName(dst->name); !vs.ok()) return fail(vs);
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  if (isDir) return putDir(**client, a, *dst);

  Result<ObjectInfo> info = Status(Code::kInternal);
  if (fromStdin) {
    info = putStdin(**client, *dst);
  } else {
    ProgressBar bar("PUT " + dst->name, !a.quiet);
    info = (*client)->putFile(dst->bucket, dst->name, a.src, {}, bar.fn());
  }
  if (!info.ok()) return fail(info.status());
  if (!a.quiet) {
    std::printf("PUT \"%s\" => %s (%s)\n", fromStdin ? "stdin" : a.src.c_str(),
                dst->toString().c_str(), humanSize(info->size).c_str());
  }
  return kExitOk;
}

// ---- get ----

struct GetArgs {
  std::string src;
  std::string dst;
  std::optional<uint64_t> offset;
  std::optional<uint64_t> length;
  std::string archpath;  // a member of the shard, not the shard
  std::string archiveMime;
  std::optional<std::string> prefix;  // set: every object under it, into a directory
  std::string batch;                  // set: many items as one TAR (src is then where it goes)
  bool continueOnError = false, onlyObjName = false;
  int conc = 8;
  bool quiet = false;
};

int getObject(Cli& cli, const GetArgs& a) {
  if (!a.batch.empty()) {
    if (a.prefix || a.offset || a.length || !a.archpath.empty() || !a.dst.empty()) {
      return fail(Status(Code::kInvalidArgument,
                         "--batch LIST takes one argument, OUT.tar or -: no --prefix, --offset, "
                         "--length or --archpath (they go in LIST)"));
    }
    return getBatch(
        cli, GetBatchArgs{a.batch, a.src, a.continueOnError, a.onlyObjName, a.conc, a.quiet});
  }
  if (a.continueOnError || a.onlyObjName) {
    return fail(
        Status(Code::kInvalidArgument, "--cont-on-err and --only-obj-name go with --batch"));
  }
  if (a.src.empty()) return fail(Status(Code::kInvalidArgument, "which object? ais://BUCKET/NAME"));
  if (a.prefix) {
    auto bucket = parseBucketUri(a.src);
    if (!bucket.ok()) return fail(bucket.status());
    if (a.offset || a.length || !a.archpath.empty() || a.dst == "-") {
      return fail(Status(Code::kInvalidArgument,
                         "--prefix gets whole objects into a directory: no --offset, --length, "
                         "--archpath or stdout"));
    }
    return getMany(cli,
                   GetManyArgs{*bucket, *a.prefix, a.dst.empty() ? "." : a.dst, a.conc, a.quiet});
  }
  auto uri = parseObjectUri(a.src);
  if (!uri.ok()) return fail(uri.status());
  std::optional<ByteRange> range;
  if (!a.archiveMime.empty() && a.archpath.empty()) {
    return fail(Status(Code::kInvalidArgument, "--archive-mime goes with --archpath"));
  }
  if (a.offset || a.length || !a.archpath.empty()) {
    range = ByteRange{a.offset.value_or(0), a.length, a.archpath, a.archiveMime};
  }

  std::string dst = a.dst;
  if (dst.empty() || fs::is_directory(dst)) {
    const std::string& from = a.archpath.empty() ? uri->name : a.archpath;
    std::string base = baseName(from);
    if (base.empty() || from.back() == '/') {
      return fail(Status(Code::kInvalidArgument,
                         "cannot derive a file name from '" + from + "': give a destination FILE"));
    }
    dst = dst.empty() ? base : (fs::path(dst) / base).string();
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());

  if (dst == "-") {
    auto info = (*client)->getToFd(uri->bucket, uri->name, STDOUT_FILENO, range);
    return info.ok() ? kExitOk : fail(info.status());
  }

  // Regular files are written to a temp name and renamed, so a failed GET never clobbers or
  // half-writes the destination; devices and FIFOs are written in place.
  struct stat st {};
  bool inPlace = ::stat(dst.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
  std::string tmp = inPlace ? dst : dst + fmt::format(".ais-part-{}", ::getpid());
  int fd = inPlace ? ::open(dst.c_str(), O_WRONLY | O_CLOEXEC)
                   : ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(errnoStatus(dst));
  Result<ObjectInfo> info = Status(Code::kInternal);
  {
    ProgressBar bar("GET " + uri->name, !a.quiet);
    info = (*client)->getToFd(uri->bucket, uri->name, fd, range, bar.fn());
  }
  bool closed = ::close(fd) == 0;
  if (info.ok() && !closed) info = errnoStatus("closing " + dst);
  if (info.ok() && !inPlace && ::rename(tmp.c_str(), dst.c_str()) != 0) {
    info = errnoStatus("renaming to " + dst);
  }
  if (!info.ok()) {
    if (!inPlace) ::unlink(tmp.c_str());
    return fail(info.status());
  }
  if (!a.quiet) {
    uint64_t bytes = info->size;
    if (range) {
      uint64_t from = std::min(range->offset, info->size);
      bytes = std::min(info->size - from, range->length.value_or(UINT64_MAX));
    }
    std::string what = uri->toString() + (a.archpath.empty() ? "" : "[" + a.archpath + "]");
    std::printf("GET %s => %s (%s)\n", what.c_str(), dst.c_str(), humanSize(bytes).c_str());
  }
  return kExitOk;
}

// ---- rm, head, mv ----

int removeObjects(Cli& cli, const std::vector<std::string>& args, bool quiet) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  int rc = kExitOk;
  for (const auto& arg : args) {
    auto uri = parseObjectUri(arg);
    Status st = uri.ok() ? (*client)->remove(uri->bucket, uri->name) : uri.status();
    if (!st.ok()) {
      rc = fail(st);
      continue;
    }
    if (!quiet) std::printf("Deleted %s\n", uri->toString().c_str());
  }
  return rc;
}

int headObject(Cli& cli, const std::string& arg, bool json) {
  auto uri = parseObjectUri(arg);
  if (!uri.ok()) return fail(uri.status());
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto info = (*client)->head(uri->bucket, uri->name);
  if (!info.ok()) return fail(info.status());
  if (json) {
    nlohmann::ordered_json doc = {{"bucket", uri->bucket},
                                  {"name", info->name.empty() ? uri->name : info->name},
                                  {"size", info->size},
                                  {"checksum", info->checksumValue},
                                  {"checksum_type", info->checksumType},
                                  {"version", info->version},
                                  {"atime", formatTime(info->atimeNs)},
                                  {"mtime", formatTime(info->mtimeNs)},
                                  {"target", info->targetId},
                                  {"custom", info->custom}};
    std::printf("%s\n", doc.dump(2).c_str());
    return kExitOk;
  }
  Table t({"PROPERTY", "VALUE"});
  t.addRow({"name", uri->toString()});
  t.addRow({"size", fmt::format("{} ({} bytes)", humanSize(info->size), info->size)});
  t.addRow({"checksum", info->checksumValue.empty()
                            ? info->checksumType
                            : info->checksumType + ":" + info->checksumValue});
  t.addRow({"version", std::to_string(info->version)});
  t.addRow({"atime", formatTime(info->atimeNs)});
  t.addRow({"mtime", formatTime(info->mtimeNs)});
  t.addRow({"target", info->targetId.empty() ? "-" : info->targetId});
  for (const auto& [k, v] : info->custom) t.addRow({"custom." + k, v});
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

int moveObject(Cli& cli, const std::string& fromArg, const std::string& toArg) {
  auto from = parseObjectUri(fromArg);
  if (!from.ok()) return fail(from.status());
  std::string to = toArg;
  if (toArg.find("://") != std::string::npos) {
    auto dst = parseObjectUri(toArg);
    if (!dst.ok()) return fail(dst.status());
    if (dst->bucket != from->bucket) {
      return fail(Status(Code::kInvalidArgument, "mv renames within one bucket: '" + fromArg +
                                                     "' and '" + toArg + "' differ"));
    }
    to = dst->name;
  }
  if (auto st = meta::validateObjectName(to); !st.ok()) return fail(st);
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  if (auto st = (*client)->rename(from->bucket, from->name, to); !st.ok()) return fail(st);
  std::printf("Moved %s => %s\n", from->toString().c_str(),
              Uri{from->bucket, to}.toString().c_str());
  return kExitOk;
}

// ---- registration: each command can hang under several parents ----

void addLs(CLI::App& parent, Cli& cli) {
  auto a = std::make_shared<LsArgs>();
  auto* cmd = parent.add_subcommand("ls", "List buckets, or objects of ais://BUCKET[/PREFIX]");
  cmd->add_option("BUCKET", a->target, "ais://BUCKET[/PREFIX]; none lists buckets");
  cmd->add_option("--prefix", a->prefix,
                  "Only names that start with this (as ais://BUCKET/PREFIX)");
  cmd->add_option("--props", a->props,
                  "The table's columns, comma-separated: name, size, checksum, version, atime, "
                  "mtime, location, custom, or all (default: name,size)");
  cmd->add_option("--page-size", a->pageSize, "Objects per request (0: server default)");
  cmd->add_option("--limit", a->limit, "Stop after this many objects (0: all)");
  cmd->add_flag("--json,-j", a->json, "JSON array of {name,size,checksum,version,mtime}");
  cmd->add_flag("--no-headers,-H", a->noHeaders, "Table without headers");
  cmd->add_flag("--name-only", a->nameOnly, "Names only (the NAME column; --json: {name})");
  cmd->add_flag("--summary", a->summary,
                "Objects and bytes of the bucket or prefix instead (`ais bucket summary`)");
  cmd->callback([&cli, a] { cli.action = [&cli, a] { return listObjects(cli, *a); }; });
}

void addPut(CLI::App& parent, Cli& cli) {
  auto a = std::make_shared<PutArgs>();
  auto* cmd = parent.add_subcommand(
      "put", "Put a file (or stdin: -) as an object, or a directory tree under a prefix");
  cmd->add_option("SRC", a->src, "FILE, DIR, or - for stdin")->required();
  cmd->add_option("DST", a->dst, "ais://BUCKET[/NAME] (NAME ending in / is a prefix)")->required();
  cmd->add_flag("--recursive,-r", a->recursive, "Accepted for compatibility (always recursive)");
  cmd->add_flag("--quiet,-q", a->quiet, "No progress bar or summary");
  cmd->add_option("--conc", a->conc, "Parallel uploads for directories")->capture_default_str();
  cmd->callback([&cli, a] { cli.action = [&cli, a] { return putObjects(cli, *a); }; });
}

void addGet(CLI::App& parent, Cli& cli) {
  auto a = std::make_shared<GetArgs>();
  auto* cmd =
      parent.add_subcommand("get", "Get an object into a file (default ./NAME) or stdout (-)");
  cmd->add_option("OBJECT", a->src,
                  "ais://BUCKET/NAME (ais://BUCKET with --prefix; OUT.tar or - with --batch)");
  cmd->add_option("DST", a->dst, "FILE, DIR, or - for stdout (a DIR with --prefix)");
  cmd->add_option("--batch", a->batch,
                  "Get the objects and archive members listed in this file as one TAR, in order "
                  "(GetBatch JSON, or lines: ais://BUCKET/NAME [ARCHPATH])");
  cmd->add_flag("--cont-on-err", a->continueOnError,
                "--batch: a missing item becomes an empty entry under __404__/ instead of an "
                "error");
  cmd->add_flag("--only-obj-name", a->onlyObjName,
                "--batch: entries named NAME[/ARCHPATH] instead of BUCKET/NAME[/ARCHPATH]");
  cmd->add_option("--prefix", a->prefix,
                  "Get every object whose name starts with this (\"\": the whole bucket) into DST "
                  "as DST/NAME");
  cmd->add_option("--conc", a->conc, "Parallel downloads with --prefix or --batch")
      ->capture_default_str();
  cmd->add_option("--offset", a->offset, "Range start (bytes)");
  cmd->add_option("--length", a->length, "Range length (bytes; default to the end)");
  cmd->add_option(
      "--archpath", a->archpath,
      "A member of the archive shard (TAR, TGZ, TAR.LZ4, ZIP) to get; --offset/--length "
      "are within it");
  cmd->add_option("--archive-mime,--archmime", a->archiveMime,
                  "The shard's format when its name does not say: tar, tgz, tar.gz, tar.lz4, zip "
                  "(default: by extension, else by its first bytes)");
  cmd->add_flag("--quiet,-q", a->quiet, "No progress bar or summary");
  cmd->callback([&cli, a] { cli.action = [&cli, a] { return getObject(cli, *a); }; });
}

void addRm(CLI::App& parent, Cli& cli, const std::string& name = "rm") {
  auto args = std::make_shared<std::vector<std::string>>();
  auto quiet = std::make_shared<bool>(false);
  auto* cmd = parent.add_subcommand(name, "Remove objects");
  cmd->add_option("OBJECT", *args, "ais://BUCKET/NAME ...")->required();
  cmd->add_flag("--quiet,-q", *quiet, "No output on success");
  cmd->callback([&cli, args, quiet] {
    cli.action = [&cli, args, quiet] { return removeObjects(cli, *args, *quiet); };
  });
}

void addHead(CLI::App& parent, Cli& cli, const std::string& name) {
  auto arg = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = parent.add_subcommand(name, "Show an object's properties");
  cmd->add_option("OBJECT", *arg, "ais://BUCKET/NAME")->required();
  cmd->add_flag("--json,-j", *json, "JSON output");
  cmd->callback([&cli, arg, json] {
    cli.action = [&cli, arg, json] { return headObject(cli, *arg, *json); };
  });
}

// AIStore's `ais archive get ais://B/SHARD [DST] --archpath MEMBER`: `ais get --archpath`.
void addArchiveGet(CLI::App& archive, Cli& cli) {
  auto a = std::make_shared<GetArgs>();
  auto* cmd = archive.add_subcommand(
      "get",
      "Get a member of an archive shard into a file (default ./its base name) or stdout (-)");
  cmd->add_option("SHARD", a->src, "ais://BUCKET/SHARD")->required();
  cmd->add_option("DST", a->dst, "FILE, or - for stdout");
  cmd->add_option("--archpath", a->archpath, "The member to get (as `ais archive ls` names it)")
      ->required();
  cmd->add_option("--archive-mime,--archmime", a->archiveMime,
                  "The shard's format when its name does not say: tar, tgz, tar.gz, tar.lz4, zip");
  cmd->add_option("--offset", a->offset, "Range start within the member (bytes)");
  cmd->add_option("--length", a->length, "Range length (bytes; default to the end)");
  cmd->add_flag("--quiet,-q", a->quiet, "No progress bar or summary");
  cmd->callback([&cli, a] { cli.action = [&cli, a] { return getObject(cli, *a); }; });
}

void addMv(CLI::App& parent, Cli& cli) {
  auto from = std::make_shared<std::string>(), to = std::make_shared<std::string>();
  auto* cmd = parent.add_subcommand("mv", "Rename an object within its bucket");
  cmd->alias("rename");
  cmd->add_option("FROM", *from, "ais://BUCKET/NAME")->required();
  cmd->add_option("TO", *to, "NEW_NAME or ais://BUCKET/NEW_NAME")->required();
  cmd->callback(
      [&cli, from, to] { cli.action = [&cli, from, to] { return moveObject(cli, *from, *to); }; });
}

}  // namespace

void addObjectCommands(CLI::App& app, Cli& cli) {
  auto* object = app.add_subcommand(
      "object", "Object commands: put, get, ls, rm, head (show), mv, cp, promote");
  object->require_subcommand(1);
  addPut(*object, cli);
  addGet(*object, cli);
  addLs(*object, cli);
  addRm(*object, cli);
  addHead(*object, cli, "head");
  addHead(*object, cli, "show");
  addMv(*object, cli);

  addLs(app, cli);
  addPut(app, cli);
  addGet(app, cli);
  addRm(app, cli);
  addRm(app, cli, "rmo");  // AIStore's `ais rmo`
  addHead(app, cli, "head");
  addArchiveGet(*app.get_subcommand("archive"), cli);  // (addArchiveCommands made it)
}

}  // namespace ais::cli
