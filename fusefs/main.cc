// aisfs: mounts an AIStore cluster (or one bucket) with FUSE. main() wires the parts: options,
// the client, the Fs, the libfuse session; in the background by default, reporting mount errors
// to the shell before it detaches.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/heap_tuning.h"
#include "common/log.h"
#include "fusefs/fs.h"
#include "fusefs/ops.h"
#include "fusefs/options.h"

namespace ais::fusefs {
namespace {

// Forks before any thread exists (the client runs its own); the parent waits until the child
// reports "mounted" or an error, and exits with that outcome. Returns the fd to report on.
int detach() {
  int pipeFds[2];
  if (::pipe(pipeFds) != 0) {
    std::perror("aisfs: pipe");
    std::exit(1);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("aisfs: fork");
    std::exit(1);
  }
  if (pid > 0) {
    ::close(pipeFds[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(pipeFds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
    if (msg == "ok") std::exit(0);
    std::fprintf(stderr, "%s\n", msg.empty() ? "aisfs: failed to start" : msg.c_str());
    std::exit(1);
  }
  ::close(pipeFds[0]);
  ::setsid();
  return pipeFds[1];
}

void report(int fd, const std::string& msg) {
  if (fd < 0) {
    if (msg != "ok") std::fprintf(stderr, "%s\n", msg.c_str());
    return;
  }
  ssize_t n = ::write(fd, msg.data(), msg.size());
  (void)n;
  ::close(fd);
}

std::string fuseOptions(const Options& o) {
  std::string fsname = o.bucket.empty() ? "ais://" + o.endpoint : "ais://" + o.bucket;
  for (char& c : fsname) {
    if (c == ',') c = '_';
  }
  // The kernel checks modes and owners against our attributes (needed with allow_other).
  std::string s = "fsname=" + fsname + ",subtype=aisfs,default_permissions,max_read=1048576";
  if (o.allowOther) s += ",allow_other";
  if (o.readOnly) s += ",ro";
  for (auto& opt : o.fuseOpts) s += "," + opt;
  return s;
}

int run(int argc, char** argv) {
  bool help = false, version = false;
  auto parsed = parseOptions(argc, argv, help, version);
  if (help) {
    std::fputs(usage(argv[0]).c_str(), stdout);
    return 0;
  }
  if (version) {
    std::puts("aisfs " AIS_VERSION);
    return 0;
  }
  if (!parsed.ok()) {
    std::fprintf(stderr, "aisfs: %s\n%s", parsed.status().message().c_str(),
                 usage(argv[0]).c_str());
    return 2;
  }
  Options options = std::move(parsed.value());
  log::setTag("aisfs");
  if (!keepFreedMemory()) log::warn("malloc tuning refused: large buffers are returned to the kernel");
  int notify = options.foreground ? -1 : detach();

  // A random id per mount: the targets leave this mount's own writes out of the change tokens
  // it is answered (revalidate.cc), so the listings it caches and edits stay valid.
  std::random_device rd;
  uint64_t writer = (uint64_t{rd()} << 32 | rd()) | 1;  // (never 0: that is "anyone")
  auto client =
      Client::connect(Client::Options{.endpoint = options.endpoint, .changeWriter = writer});
  if (!client.ok()) {
    report(notify, "aisfs: cannot reach " + options.endpoint + ": " + client.status().toString());
    return 1;
  }
  if (!options.bucket.empty()) {
    auto props = (*client)->bucketProps(options.bucket);
    if (!props.ok()) {
      report(notify, "aisfs: ais://" + options.bucket + ": " + props.status().toString());
      return 1;
    }
  }
  struct stat spool {};
  if (::stat(options.spoolDir.c_str(), &spool) != 0 || !S_ISDIR(spool.st_mode)) {
    report(notify, "aisfs: spool dir " + options.spoolDir + " is not a directory");
    return 1;
  }

  Fs fs(options, **client);
  std::string opts = fuseOptions(options);
  std::vector<const char*> args{argv[0], "-o", opts.c_str()};
  if (options.debug) args.push_back("-d");
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(args.size()), const_cast<char**>(args.data()));
  fuse_lowlevel_ops ops = makeOps(options.xattrs);
  fuse_session* se = fuse_session_new(&fargs, &ops, sizeof ops, &fs);
  if (se == nullptr) {
    report(notify, "aisfs: bad FUSE options: " + opts);
    return 1;
  }
  fs.setSession(se);
  fs.startLockRenewer();
  fs.startRecordKeeper();
  fs.startDirTimes();
  fs.startLinkSettler();
  if (fuse_set_signal_handlers(se) != 0 ||
      fuse_session_mount(se, options.mountpoint.c_str()) != 0) {
    report(notify, "aisfs: cannot mount on " + options.mountpoint);
    fuse_session_destroy(se);
    return 1;
  }
  if (notify >= 0) {
    report(notify, "ok");
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      // Keep errors somewhere when asked; otherwise a detached daemon has no terminal.
      const char* logPath = std::getenv("AISFS_LOG");
      int logFd = logPath ? ::open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
      ::dup2(logFd >= 0 ? logFd : null, 2);
      if (logFd >= 0) ::close(logFd);
      if (null > 2) ::close(null);
    }
    if (::chdir("/") != 0) {
    }
  }
  int rc;
  if (options.singleThread) {
    rc = fuse_session_loop(se);
  } else {
    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    fuse_loop_cfg_set_idle_threads(cfg, static_cast<unsigned>(options.maxIdleThreads));
    rc = fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
  }
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);  // calls destroy: stores what is still dirty
  return rc == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ais::fusefs

int main(int argc, char** argv) { return ais::fusefs::run(argc, argv); }
