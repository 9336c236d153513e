#include "tools/aisloader/file_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace ais::loader {

namespace fs = std::filesystem;

namespace {

Status sysError(const char* what, const std::string& path, int e) {
  return Status(e == ENOENT ? Code::kObjectNotFound : Code::kIoError,
                std::string(what) + " " + path + ": " + std::strerror(e));
}

}  // namespace

Status FileStore::createBucket(const std::string& bucket) {
  std::error_code ec;
  fs::create_directories(dir_ + "/" + bucket, ec);
  return ec ? Status(Code::kIoError, "mkdir " + dir_ + "/" + bucket + ": " + ec.message())
            : Status::OK();
}

Status FileStore::put(const std::string& bucket, const std::string& name, const std::string& data) {
  std::string dst = path(bucket, name), work = dst + ".work";
  int fd = ::open(work.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {  // a new "directory" in the name: made on first use only
    std::error_code ec;
    fs::create_directories(fs::path(dst).parent_path(), ec);
    fd = ::open(work.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  if (fd < 0) return sysError("open", work, errno);
  for (size_t done = 0; done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(work.c_str());
      return sysError("write", work, e);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return sysError("close", work, errno);
  if (::rename(work.c_str(), dst.c_str()) != 0) return sysError("rename", dst, errno);
  return Status::OK();
}

Result<std::string> FileStore::get(const std::string& bucket, const std::string& name) {
  std::string p = path(bucket, name);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sysError("open", p, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return sysError("stat", p, e);
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  int err = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;  // (an end before st_size: the file shrank meanwhile; what was there)
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (err != 0) return sysError("read", p, err);
  out.resize(done);
  return out;
}

Status FileStore::remove(const std::string& bucket, const std::string& name) {
  std::string p = path(bucket, name);
  return ::unlink(p.c_str()) == 0 ? Status::OK() : sysError("unlink", p, errno);
}

Result<std::vector<std::pair<std::string, uint64_t>>> FileStore::list(const std::string& bucket) {
  std::vector<std::pair<std::string, uint64_t>> out;
  fs::path root = dir_ + "/" + bucket;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    out.emplace_back(fs::relative(it->path(), root, ec).generic_string(), it->file_size(ec));
  }
  if (ec) return Status(Code::kIoError, "list " + root.string() + ": " + ec.message());
  return out;
}

}  // namespace ais::loader
