//===- CompileProgress.h - a progress line for long compiles ---*- C++ -*-===//
//
// A compile that takes more than a couple of seconds (DenseNet-121 at batch
// 8, a model outside the zoo) shows what it is doing: after `delay`, one
// line on stderr with the stage and the time so far, redrawn in place on a
// terminal (a line per stage otherwise), and a last line with the total.
// Quick compiles print nothing. A thread of its own redraws the line, so a
// long stage (LLVM's code generation) still shows its time passing.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_DRIVER_COMPILEPROGRESS_H
#define CNNC_DRIVER_COMPILEPROGRESS_H

#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace cnnc {

class CompileProgress {
public:
  /// `what` names the compile (the model's path); nothing is shown unless
  /// `enabled`. `inPlace`: stderr is a terminal, the line is redrawn.
  CompileProgress(std::string what, bool enabled, bool inPlace,
                  std::chrono::milliseconds delay);
  ~CompileProgress() { end(false); }
  CompileProgress(const CompileProgress &) = delete;
  CompileProgress &operator=(const CompileProgress &) = delete;

  /// The compile entered stage `name`.
  void stage(llvm::StringRef name);
  /// Stops redrawing; if the line was shown, ends it with the total time
  /// (`ok`) or clears it (the errors are printed already).
  void end(bool ok);

private:
  void run();
  /// Prints the current stage's line (the lock held).
  void draw();
  double seconds() const;

  const std::string what_;
  const bool inPlace_;
  const std::chrono::milliseconds delay_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string stage_;
  bool stageChanged_ = false, done_ = false, shown_ = false, ended_ = false;
  std::thread thread_;
};

} // namespace cnnc

#endif // CNNC_DRIVER_COMPILEPROGRESS_H
