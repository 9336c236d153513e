// State shared by every command: global options, the lazily connected client, and the action
// the parsed subcommand chose (run by main after parsing so errors map to exit codes in one place).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "proto/client.h"

namespace CLI {
class App;
}

namespace ais::cli {

struct Cli {
  std::string endpoint;  // --endpoint or AIS_ENDPOINT
  double timeoutSec = 60;
  std::function<int()> action;  // returns the process exit code

  // Connects on first use; kInvalidArgument if no endpoint was given.
  Result<Client*> client();

 private:
  std::unique_ptr<Client> client_;
};

// Shared by `ais bucket ls` and `ais ls` without a bucket.
int listBuckets(Cli& cli, bool json, bool noHeaders);
// `ais bucket summary [ais://B[/PREFIX]]` (also `ais ls --summary`), and its command under a
// parent (`bucket`, and AIStore's `storage`).
int summarize(Cli& cli, const std::string& arg, bool json, bool noHeaders);
void addSummaryCommand(CLI::App& parent, Cli& cli);

void addClusterCommands(CLI::App& app, Cli& cli);
void addBucketCommands(CLI::App& app, Cli& cli);
void addObjectCommands(CLI::App& app, Cli& cli);
void addStorageCommands(CLI::App& app, Cli& cli);
void addMountpathCommands(CLI::App& storage, Cli& cli);  // under `storage`
void addJobCommands(CLI::App& app, Cli& cli);
void addEcCommands(CLI::App& app, Cli& cli);
void addArchiveCommands(CLI::App& app, Cli& cli);
void addPerformanceCommands(CLI::App& app, Cli& cli);  // under `show` (after addClusterCommands)
void addStorageView(CLI::App& app, Cli& cli);          // `show storage`, likewise
void addConfigCommands(CLI::App& app, Cli& cli);       // after addClusterCommands
void addCopyCommands(CLI::App& app, Cli& cli);         // after addObjectCommands, addBucketCommands
void addPromoteCommands(CLI::App& app, Cli& cli);      // likewise
void addCompletionCommand(CLI::App& app, Cli& cli);    // last: it walks the whole tree
// `ais job wait ID`: exit 0 once the job finished, 1 if it failed or stopped, 7 on timeout.
int waitForJob(Cli& cli, const std::string& id, double timeoutSec);

}  // namespace ais::cli
