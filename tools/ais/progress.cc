#include "tools/ais/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "tools/ais/format.h"

namespace ais::cli {
namespace {
constexpr auto kShowAfter = std::chrono::milliseconds(500);  // short transfers draw nothing
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
constexpr int kBarWidth = 30;
}  // namespace

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)),
      enabled_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(uint64_t done, uint64_t total) {
  std::lock_guard lock(mu_);
  done_ = done;
  total_ = total;
  drawLocked(false);
}

void ProgressBar::add(uint64_t doneDelta, uint64_t totalDelta) {
  std::lock_guard lock(mu_);
  done_ += doneDelta;
  total_ += totalDelta;
  drawLocked(false);
}

void ProgressBar::setLabel(std::string label) {
  std::lock_guard lock(mu_);
  label_ = std::move(label);
}

void ProgressBar::drawLocked(bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && (now - start_ < kShowAfter || now - lastDraw_ < kRedrawEvery)) return;
  lastDraw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  auto rate = secs > 0 ? static_cast<uint64_t>(static_cast<double>(done_) / secs) : 0;
  std::string line;
  if (total_ > 0) {
    double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    int filled = static_cast<int>(frac * kBarWidth);
    line = fmt::format("{} [{}{}] {:3.0f}% {}/{} {}/s", label_, std::string(filled, '='),
                       std::string(kBarWidth - filled, ' '), frac * 100, humanSize(done_),
                       humanSize(total_), humanSize(rate));
  } else {
    line = fmt::format("{} {} {}/s", label_, humanSize(done_), humanSize(rate));
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  std::lock_guard lock(mu_);
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
  enabled_ = false;
}

ProgressFn ProgressBar::fn() {
  return [this](uint64_t done, uint64_t total) { update(done, total); };
}

}  // namespace ais::cli
