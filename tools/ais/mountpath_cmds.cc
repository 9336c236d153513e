// `ais storage mountpath show|enable|disable|attach|detach`: a target's mountpaths. Disabling one
// sends no new object or copy there and starts the target's resilver job, which moves what it holds
// to the enabled ones (reads keep working meanwhile); enabling brings it back the same way.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tools/ais/cli.h"
#include "tools/ais/exit_codes.h"
#include "tools/ais/format.h"

namespace ais::cli {
namespace {

int showMountpaths(Cli& cli, const std::string& only, bool json) {
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  auto smap = (*client)->smap(/*refresh=*/true);
  if (!smap.ok()) return fail(smap.status());
  Table t({"TARGET", "MOUNTPATH", "STATE"});
  auto doc = nlohmann::ordered_json::array();
  bool any = false;
  Status firstFailure;
  for (const auto& n : smap->nodes) {
    if (n.isProxy() || (!only.empty() && n.id != only)) continue;
    any = true;
    auto mps = (*client)->mountpaths(n.id);
    if (!mps.ok()) {
      if (firstFailure.ok())
        firstFailure = Status(mps.code(), n.id + ": " + mps.status().message());
      t.addRow({n.id, "-", mps.status().toString()});
      continue;
    }
    for (const auto& m : *mps) {
      t.addRow({n.id, m.path,
                m.faulted   ? "failed (its disk refuses writes)"
                : m.enabled ? "enabled"
                            : "disabled"});
      doc.push_back({{"target", n.id},
                     {"mountpath", m.path},
                     {"enabled", m.enabled},
                     {"faulted", m.faulted}});
    }
  }
  if (!any) return fail(Status(Code::kInvalidArgument, "no target '" + only + "'"));
  if (json) {
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    std::fputs(t.render().c_str(), stdout);
  }
  return firstFailure.ok() ? kExitOk : fail(firstFailure);
}

// action: enable, disable, attach or detach.
int change(Cli& cli, std::string target, std::string path, const std::string& action) {
  if (path.empty()) {  // AIStore's TARGET=MOUNTPATH form
    auto eq = target.find('=');
    if (eq == std::string::npos) {
      return fail(Status(Code::kInvalidArgument, "expected TARGET MOUNTPATH or TARGET=MOUNTPATH"));
    }
    path = target.substr(eq + 1);
    target.resize(eq);
  }
  auto client = cli.client();
  if (!client.ok()) return fail(client.status());
  if (action == "detach") {
    Status st = (*client)->detachMountpath(target, path);
    if (!st.ok()) return fail(st);
    std::printf("%s %s detached (not used again, also after a restart)\n", target.c_str(),
                path.c_str());
    return kExitOk;
  }
  if (action == "attach") {
    auto job = (*client)->attachMountpath(target, path);
    if (!job.ok()) return fail(job.status());
    std::printf(
        "%s %s attached (kept across restarts); objects move to it in resilver job %s "
        "(ais job wait %s)\n",
        target.c_str(), path.c_str(), job->c_str(), job->c_str());
    return kExitOk;
  }
  bool enable = action == "enable";
  auto job = (*client)->setMountpath(target, path, enable);
  if (!job.ok()) return fail(job.status());
  const char* state = enable ? "enabled" : "disabled";
  if (job->empty()) {
    std::printf("%s %s was already %s\n", target.c_str(), path.c_str(), state);
  } else {
    std::printf("%s %s %s; objects move in resilver job %s (ais job wait %s)\n", target.c_str(),
                path.c_str(), state, job->c_str(), job->c_str());
  }
  return kExitOk;
}

}  // namespace

void addMountpathCommands(CLI::App& storage, Cli& cli) {
  auto* mp = storage.add_subcommand("mountpath",
                                    "A target's mountpaths: show, enable, disable, attach, detach");
  mp->require_subcommand(1);

  auto* s = mp->add_subcommand("show", "Mountpaths of every target (or one) and their state");
  auto only = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  s->add_option("TARGET", *only, "only this target");
  s->add_flag("--json,-j", *json, "JSON array of {target, mountpath, enabled}");
  s->callback([&cli, only, json] {
    cli.action = [&cli, only, json] { return showMountpaths(cli, *only, *json); };
  });

  const std::pair<const char*, const char*> actions[] = {
      {"enable", "Enable a target's mountpath again (objects move back in a resilver job)"},
      {"disable",
       "Disable a target's mountpath: nothing new goes there, a resilver job moves its objects "
       "to the others (kept across restarts)"},
      {"attach",
       "Add a mountpath to a running target (the directory is created if missing); objects "
       "move to it in a resilver job (kept across restarts)"},
      {"detach",
       "Take a disabled, empty mountpath out of a running target (disable it first and wait "
       "for its resilver job)"},
  };
  for (const auto& [name, help] : actions) {
    std::string action = name;
    auto* c = mp->add_subcommand(name, help);
    auto target = std::make_shared<std::string>();
    auto path = std::make_shared<std::string>();
    c->add_option("TARGET", *target, "target id (or TARGET=MOUNTPATH)")->required();
    c->add_option("MOUNTPATH", *path, "the mountpath's directory");
    c->callback([&cli, target, path, action] {
      cli.action = [&cli, target, path, action] { return change(cli, *target, *path, action); };
    });
  }
}

}  // namespace ais::cli
