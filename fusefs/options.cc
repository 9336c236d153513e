// Parsing of the aisfs command line (kept free of libfuse so it can be tested alone).
#include "fusefs/options.h"

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <sstream>

namespace ais::fusefs {
namespace {

// "64M", "1G", "4096": bytes.
std::optional<uint64_t> parseSize(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  uint64_t mult = 1;
  std::string suffix(end);
  if (suffix == "" || suffix == "B") {
  } else if (suffix == "K" || suffix == "KiB" || suffix == "k") {
    mult = 1ull << 10;
  } else if (suffix == "M" || suffix == "MiB") {
    mult = 1ull << 20;
  } else if (suffix == "G" || suffix == "GiB") {
    mult = 1ull << 30;
  } else {
    return std::nullopt;
  }
  return v * mult;
}

// "5", "0.5", "200ms": a duration (seconds unless suffixed).
std::optional<std::chrono::milliseconds> parseDuration(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || v < 0) return std::nullopt;
  std::string suffix(end);
  if (suffix == "ms") return std::chrono::milliseconds(static_cast<int64_t>(v));
  if (suffix == "" || suffix == "s")
    return std::chrono::milliseconds(static_cast<int64_t>(v * 1000));
  return std::nullopt;
}

std::optional<uint32_t> parseUint(const std::string& s, int base) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, base);
  if (*end != '\0') return std::nullopt;
  return static_cast<uint32_t>(v);
}

Status bad(const std::string& what) { return Status(Code::kInvalidArgument, what); }

// Applies one "key=value" option (from --key value or -o key=value); false if unknown.
Status applyOption(Options& o, const std::string& key, const std::optional<std::string>& value) {
  auto need = [&]() -> Status {
    return value ? Status::OK() : bad("option " + key + " needs a value");
  };
  if (key == "allow_other") {
    o.allowOther = true;
  } else if (key == "ro") {
    o.readOnly = true;
  } else if (key == "noxattr") {
    o.xattrs = false;
  } else if (key == "endpoint") {
    AIS_RETURN_IF_ERROR(need());
    o.endpoint = *value;
  } else if (key == "attr-ttl" || key == "attr_ttl" || key == "list-ttl" || key == "list_ttl") {
    AIS_RETURN_IF_ERROR(need());
    auto d = parseDuration(*value);
    if (!d) return bad("bad duration for " + key + ": " + *value);
    (key[0] == 'a' ? o.attrTtl : o.listTtl) = *d;
  } else if (key == "lock-lease" || key == "lock_lease") {
    AIS_RETURN_IF_ERROR(need());
    auto d = parseDuration(*value);
    if (!d || d->count() < 3000 || d->count() > 600000) {
      return bad("bad lock lease (3s to 10m): " + *value);
    }
    o.lockLease = *d;
  } else if (key == "shards") {
    AIS_RETURN_IF_ERROR(need());
    if (*value != "dirs" && *value != "files") return bad("shards is dirs or files, not " + *value);
    o.shardsAsDirs = *value == "dirs";
  } else if (key == "batch-writes" || key == "batch_writes") {
    auto d = value ? parseDuration(*value) : std::optional<std::chrono::milliseconds>(10);
    if (!d || d->count() > 10000)
      return bad("bad window for " + key + " (0 to 10s): " + value.value_or(""));
    o.batchWrites = *d;
  } else if (key == "read-ahead" || key == "read_ahead" || key == "spool-limit" ||
             key == "spool_limit" || key == "read-chunk" || key == "read_chunk" ||
             key == "block-cache" || key == "block_cache") {
    AIS_RETURN_IF_ERROR(need());
    auto n = parseSize(*value);
    if (!n) return bad("bad size for " + key + ": " + *value);
    if (key.starts_with("block")) {
      o.blockCache = *n;
    } else if (key.starts_with("read-a") || key.starts_with("read_a")) {
      o.readAhead = *n;
    } else if (key.starts_with("read")) {
      if (*n < 4096) return bad("read-chunk must be at least 4K");
      o.readChunk = *n;
      o.wholeObjectMax = *n;
    } else {
      o.spoolLimit = *n;
    }
  } else if (key == "spool-dir" || key == "spool_dir") {
    AIS_RETURN_IF_ERROR(need());
    o.spoolDir = *value;
  } else if (key == "uid" || key == "gid") {
    AIS_RETURN_IF_ERROR(need());
    auto n = parseUint(*value, 10);
    if (!n) return bad("bad " + key + ": " + *value);
    (key == "uid" ? o.uid : o.gid) = *n;
  } else if (key == "file-mode" || key == "file_mode" || key == "dir-mode" || key == "dir_mode") {
    AIS_RETURN_IF_ERROR(need());
    auto n = parseUint(*value, 8);
    if (!n || *n > 07777) return bad("bad octal mode for " + key + ": " + *value);
    (key[0] == 'f' ? o.fileMode : o.dirMode) = *n;
  } else if (key == "threads") {
    AIS_RETURN_IF_ERROR(need());
    auto n = parseUint(*value, 10);
    if (!n || *n == 0) return bad("bad thread count: " + *value);
    o.maxIdleThreads = static_cast<int>(*n);
  } else {
    return Status(Code::kNotImplemented);
  }
  return Status::OK();
}

}  // namespace

std::string usage(const char* prog) {
  std::ostringstream s;
  s << "Usage: " << prog << " [options] ENDPOINT MOUNTPOINT      mount the cluster (buckets are "
    << "top-level directories)\n"
    << "       " << prog << " [options] ais://BUCKET MOUNTPOINT  mount one bucket\n"
    << "\nENDPOINT is host:port of the cluster's fabric; for ais://BUCKET it comes from\n"
    << "--endpoint or $AIS_ENDPOINT. Unmount with: fusermount3 -u MOUNTPOINT\n"
    << "\nOptions (each also accepted as -o key=value):\n"
    << "  -f                    stay in the foreground\n"
    << "  -d                    debug: trace FUSE requests (implies -f)\n"
    << "  -s                    single-threaded request loop\n"
    << "  -o allow_other        let other users access the mount\n"
    << "  -o ro                 read-only mount\n"
    << "  -o noxattr            no extended attributes (saves a round trip per write())\n"
    << "  -o OPT[,OPT...]       other FUSE mount options\n"
    << "  --endpoint HOST:PORT  cluster endpoint (default $AIS_ENDPOINT)\n"
    << "  --attr-ttl DUR        attribute cache lifetime (default 1s; e.g. 0, 500ms, 2)\n"
    << "  --list-ttl DUR        directory listing, name and negative lookup lifetime (default 1s)\n"
    << "  --lock-lease DUR      lease of flock/fcntl locks held on the cluster (default 30s)\n"
    << "  --batch-writes DUR    write-behind of small files: close() returns once queued, queued\n"
    << "                        files are stored together within DUR (-o batch_writes: 10ms)\n"
    << "                        or at fsync (default off: close() returns once stored)\n"
    << "  --shards dirs|files   shards (*.tar, *.tgz, *.tar.gz, *.tar.lz4, *.zip) as read-only\n"
    << "                        directories of their members, or as plain files (default;\n"
    << "                        -o shards=dirs)\n"
    << "  --read-ahead SIZE     bytes read ahead of a sequential reader (default 8M)\n"
    << "  --block-cache SIZE    memory for bytes already read, in 64K blocks (default 256M; 0: "
       "off)\n"
    << "  --read-chunk SIZE     bytes per ranged GET; objects up to this size are fetched\n"
    << "                        whole (default 1M)\n"
    << "  --spool-dir DIR       where non-sequential writes are staged (default $TMPDIR or /tmp)\n"
    << "  --spool-limit SIZE    max bytes staged at once, ENOSPC beyond (default 0: no limit)\n"
    << "  --uid N, --gid N      owner of objects without POSIX metadata (default: the caller)\n"
    << "  --file-mode OCTAL     mode of such files (default 644)\n"
    << "  --dir-mode OCTAL      mode of directories without metadata (default 755)\n"
    << "  --threads N           max idle FUSE worker threads (default 16)\n"
    << "  -h, --help            this text\n"
    << "  -V, --version         version\n";
  return s.str();
}

Result<Options> parseOptions(int argc, char** argv, bool& help, bool& version) {
  Options o;
  o.uid = getuid();
  o.gid = getgid();
  help = version = false;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      help = true;
      return o;
    }
    if (a == "-V" || a == "--version") {
      version = true;
      return o;
    }
    if (a == "-f") {
      o.foreground = true;
    } else if (a == "-d") {
      o.debug = o.foreground = true;
    } else if (a == "-s") {
      o.singleThread = true;
    } else if (a == "-o") {
      if (i + 1 >= argc) return bad("-o needs an argument");
      std::stringstream list(argv[++i]);
      std::string opt;
      while (std::getline(list, opt, ',')) {
        if (opt.empty()) continue;
        auto eq = opt.find('=');
        std::string key = opt.substr(0, eq);
        std::optional<std::string> value;
        if (eq != std::string::npos) value = opt.substr(eq + 1);
        Status st = applyOption(o, key, value);
        if (st.code() == Code::kNotImplemented) {
          o.fuseOpts.push_back(opt);  // for libfuse, e.g. max_read, fsname
        } else if (!st.ok()) {
          return st;
        }
      }
    } else if (a.starts_with("--")) {
      std::string key = a.substr(2);
      std::optional<std::string> value;
      auto eq = key.find('=');
      if (eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      } else if (key != "allow_other" && key != "ro" && i + 1 < argc) {
        value = argv[++i];
      }
      Status st = applyOption(o, key, value);
      if (st.code() == Code::kNotImplemented) return bad("unknown option " + a);
      AIS_RETURN_IF_ERROR(st);
    } else if (a.size() > 1 && a[0] == '-') {
      return bad("unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) return bad("expected ENDPOINT|ais://BUCKET and MOUNTPOINT");
  const std::string& what = positional[0];
  if (what.starts_with("ais://")) {
    o.bucket = what.substr(6);
    while (!o.bucket.empty() && o.bucket.back() == '/') o.bucket.pop_back();
    if (o.bucket.empty() || o.bucket.find('/') != std::string::npos) {
      return bad("bad bucket: " + what);
    }
    if (o.endpoint.empty()) {
      const char* env = std::getenv("AIS_ENDPOINT");
      if (env == nullptr || *env == '\0') return bad("no endpoint: use --endpoint or AIS_ENDPOINT");
      o.endpoint = env;
    }
  } else {
    o.endpoint = what;
  }
  o.mountpoint = positional[1];
  if (o.spoolDir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    o.spoolDir = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  return o;
}

}  // namespace ais::fusefs
