//===- CompileProgress.cpp - a progress line for long compiles ------------===//

#include "Driver/CompileProgress.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

using namespace cnnc;

CompileProgress::CompileProgress(std::string what, bool enabled, bool inPlace,
                                 std::chrono::milliseconds delay)
    : what_(std::move(what)), inPlace_(inPlace), delay_(delay),
      start_(std::chrono::steady_clock::now()) {
  if (enabled)
    thread_ = std::thread([this] { run(); });
}

void CompileProgress::end(bool ok) {
  if (ended_)
    return;
  ended_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (!shown_)
    return;
  if (inPlace_)
    llvm::errs() << "\r\033[K";
  if (ok)
    llvm::errs() << "cnnc: " << what_ << ": done in " << llvm::format("%.1f", seconds())
                 << " s\n";
  llvm::errs().flush();
}

void CompileProgress::stage(llvm::StringRef name) {
  if (!thread_.joinable() || ended_)
    return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stage_ = name.str();
    stageChanged_ = true;
  }
  wake_.notify_all();
}

double CompileProgress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void CompileProgress::draw() {
  if (stage_.empty())
    return; // not started
  std::string line;
  llvm::raw_string_ostream os(line);
  if (inPlace_)
    os << "\r\033[K";
  os << "cnnc: " << what_ << ": " << stage_ << " (" << llvm::format("%.1f", seconds()) << " s)";
  if (!inPlace_)
    os << "\n";
  // One write from this thread: llvm::errs(), which the compile's own
  // warnings use, is not to be shared between threads.
  for (size_t at = 0; at < line.size();) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + at, line.size() - at);
    if (n <= 0)
      break;
    at += size_t(n);
  }
  shown_ = true;
  stageChanged_ = false;
}

void CompileProgress::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  // Nothing before the delay: most compiles end first.
  if (wake_.wait_until(lock, start_ + delay_, [this] { return done_; }))
    return;
  draw();
  // Then on every stage change, and each half second on a terminal.
  while (!done_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500),
                   [this] { return done_ || stageChanged_; });
    if (!done_ && (stageChanged_ || inPlace_))
      draw();
  }
}
