//===- GpuTarget.h - what GPU schedules know of an NVIDIA GPU ---*- C++ -*-===//
//
// The GPU counterpart of CpuTarget: facts about the architecture named by
// -mcpu=sm_XX that the GPU passes are given as options. An architecture
// spans several parts; the compiler is not told which one the library will
// run on, so each entry describes the architecture's data-center part.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TARGET_GPUTARGET_H
#define CNNC_TARGET_GPUTARGET_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnc {

struct GpuTarget {
  std::string chip;          // "sm_90"
  std::string part;          // the part the numbers below describe
  int64_t smCount;           // streaming multiprocessors
  int64_t maxThreadsPerSm;   // resident threads an SM holds

  /// Threads a kernel needs for every SM to hold a quarter of its maximum:
  /// below that, latency is hidden by too few warps and a kernel's threads
  /// are better spent one output each than on register tiles.
  int64_t minBusyThreads() const { return smCount * maxThreadsPerSm / 4; }
};

/// The architecture -target=nvptx compiles for without -mcpu.
inline constexpr llvm::StringLiteral kDefaultGpuChip = "sm_90";

/// The supported architectures (-mcpu), oldest first.
const std::vector<GpuTarget> &gpuTargets();
std::optional<GpuTarget> gpuTargetFor(llvm::StringRef chip);

} // namespace cnnc

#endif
