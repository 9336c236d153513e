// A progress bar on stderr for long transfers. Only drawn when stderr is a terminal and the
// transfer has run for a while, so scripts and short copies see no noise.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "proto/client.h"

namespace ais::cli {

class ProgressBar {
 public:
  // enabled=false (e.g. --quiet) never draws.
  ProgressBar(std::string label, bool enabled);
  ~ProgressBar() { finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Thread-safe: the client calls progress functions from its own event-loop thread.
  void update(uint64_t done, uint64_t total);
  // Adds to the running totals (used when one bar covers many files).
  void add(uint64_t doneDelta, uint64_t totalDelta = 0);
  void setLabel(std::string label);
  // Clears the bar line if one was drawn.
  void finish();
  // A ProgressFn that feeds this bar (the bar must outlive the transfer).
  ProgressFn fn();

 private:
  void drawLocked(bool force);

  std::mutex mu_;
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastDraw_;
};

}  // namespace ais::cli
