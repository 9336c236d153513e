// `ais archive put SRC ais://BUCKET/SHARD`: a shard made here from a file or a directory tree,
// in the format the shard's name (or --archive-mime) says, streamed through a temporary file and
// stored with one PUT. With --append the files go as a TAR archive to the shard's owner, which
// writes the shard again with them at its end (archive_append.h); a shard that changed meanwhile
// is appended to again, from the same temporary file.
#include "tools/ais/archive_put.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "node/archive/archive_writer.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"
#include "tools/ais/progress.h"
#include "tools/ais/write_all.h"

namespace ais::cli {
namespace {

namespace fs = std::filesystem;

struct Source {
  std::string path, name;  // on disk; in the archive
  uint64_t size;
  uint32_t mode;
  int64_t mtimeSec;
};

// A shard changed by another writer between our start and commit: we start over this many times.
constexpr int kAppendAttempts = 8;

// The TAR archive in fd, appended to the shard in one stream.
Result<ObjectInfo> appendFile(Client& client, const Uri& uri, const std::string& mime, int fd) {
  auto handle = client.beginAppendArchive(uri.bucket, uri.name, mime);
  if (!handle.ok()) return handle.status();
  std::vector<char> buf(1 << 20);
  for (off_t off = 0;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errnoStatus("reading the temporary file");
    if (n == 0) break;
    AIS_RETURN_IF_ERROR((*handle)->write(std::string_view(buf.data(), static_cast<size_t>(n))));
    off += n;
  }
  return (*handle)->commit();
}

}  // namespace

Result<archive::Format> shardFormatOf(const std::string& shardName, const std::string& mime) {
  auto format = mime.empty() ? archive::formatOfName(shardName) : archive::parseFormat(mime);
  if (format) return *format;
  return Status(Code::kInvalidArgument, mime.empty()
                                            ? "'" + shardName +
                                                  "' does not name an archive format (.tar, .tgz, "
                                                  ".tar.gz, .tar.lz4, .zip): give --archive-mime"
                                            : "unknown archive format '" + mime + "'");
}

int putArchive(Cli& cli, const ArchivePutArgs& a) {
  auto uri = parseObjectUri(a.dst);
  if (!uri.ok()) return fail(uri.status());
  // Appended members travel as TAR; the owner checks that the shard is one.
  auto format = a.append && a.mime.empty() ? Result<archive::Format>(archive::Format::kTar)
                                           : shardFormatOf(uri->name, a.mime);
  if (!format.ok()) return fail(format.status());
  if (a.append) format = archive::Format::kTar;
  // What goes in: a file (its basename, or --archpath), or every regular file under a directory
  // (relative paths, under --archpath if given), in name order.
  std::vector<Source> files;
  std::error_code ec;
  fs::path root(a.src);
  std::string under = a.archpath;
  while (!under.empty() && under.back() == '/') under.pop_back();
  auto add = [&](const fs::path& p, const std::string& name) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return errnoStatus(p.string());
    files.push_back({p.string(), name, static_cast<uint64_t>(st.st_size),
                     static_cast<uint32_t>(st.st_mode & 07777), static_cast<int64_t>(st.st_mtime)});
    return Status::OK();
  };
  if (fs::is_directory(root, ec)) {
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string rel = fs::relative(it->path(), root, ec).generic_string();
      Status st = add(it->path(), under.empty() ? rel : under + "/" + rel);
      if (!st.ok()) return fail(st);
    }
    if (ec) return fail(Status(Code::kIoError, "walking " + a.src + ": " + ec.message()));
    std::sort(files.begin(), files.end(),
              [](const Source& x, const Source& y) { return x.name < y.name; });
  } else if (fs::is_regular_file(root, ec)) {
    Status st = add(root, under.empty() ? root.filename().string() : under);
    if (!st.ok()) return fail(st);
  } else {
    return fail(Status(Code::kInvalidArgument, a.src + ": not a file or directory"));
  }
  if (files.empty()) return fail(Status(Code::kInvalidArgument, a.src + ": no files to archive"));

  std::string tmp = (fs::temp_directory_path() / "ais-archive-XXXXXX").string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return fail(errnoStatus("creating a temporary file"));
  struct Cleanup {
    std::string path;
    int fd;
    ~Cleanup() {
      if (fd >= 0) ::close(fd);
      ::unlink(path.c_str());
    }
  } cleanup{tmp, fd};
  auto writer = archive::ArchiveWriter::make(
      *format, [fd](std::string_view b) { return writeAll(fd, b, "the shard's temporary file"); });
  uint64_t total = 0;
  for (const Source& f : files) {
    int in = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return fail(errnoStatus(f.path));
    Status st = writer->add(f.name, f.size, f.mode, f.mtimeSec,
                            [in](char* buf, size_t len) -> Result<size_t> {
                              ssize_t n;
                              do n = ::read(in, buf, len);
                              while (n < 0 && errno == EINTR);
                              if (n < 0) return errnoStatus("reading");
                              return static_cast<size_t>(n);
                            });
    ::close(in);
    if (!st.ok()) return fail(Status(st.code(), f.path + ": " + st.message()));
    total += f.size;
  }
  Status st = writer->finish();
  if (!st.ok()) return fail(st);
  if (::fsync(fd) != 0) return fail(errnoStatus("syncing the temporary file"));
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  Result<ObjectInfo> info = Status(Code::kInternal);
  if (a.append) {
    for (int attempt = 0; attempt < kAppendAttempts; ++attempt) {
      info = appendFile(**client, *uri, a.mime, fd);
      if (info.code() != Code::kVersionChanged) break;
    }
    if (info.code() == Code::kObjectNotFound) {
      return fail(Status(Code::kObjectNotFound, uri->toString() +
                                                    ": no such shard to append to (leave out "
                                                    "--append to make it)"));
    }
    if (!info.ok()) return fail(info.status());
    if (!a.quiet) {
      std::printf("Appended %zu files (%s) to %s (now %s)\n", files.size(),
                  humanSize(total).c_str(), uri->toString().c_str(), humanSize(info->size).c_str());
    }
    return kExitOk;
  }
  {
    ProgressBar bar("PUT " + uri->name, !a.quiet);
    info = (*client)->putFile(uri->bucket, uri->name, tmp, {}, bar.fn());
  }
  if (!info.ok()) return fail(info.status());
  if (!a.quiet) {
    std::printf("Archived %zu files (%s) as %s (%s, %s)\n", files.size(), humanSize(total).c_str(),
                uri->toString().c_str(), std::string(archive::formatName(*format)).c_str(),
                humanSize(info->size).c_str());
  }
  return kExitOk;
}

}  // namespace ais::cli
