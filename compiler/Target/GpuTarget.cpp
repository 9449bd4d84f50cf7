//===- GpuTarget.cpp - what GPU schedules know of an NVIDIA GPU -----------===//

#include "Target/GpuTarget.h"

namespace cnnc {

const std::vector<GpuTarget> &gpuTargets() {
  // NVIDIA's data sheets and the CUDA programming guide's table of compute
  // capabilities (maximum resident threads per SM).
  static const std::vector<GpuTarget> targets = {
      {"sm_75", "Tesla T4", 40, 1024},
      {"sm_80", "A100", 108, 2048},
      {"sm_86", "A10", 72, 1536},
      {"sm_87", "Jetson AGX Orin", 16, 1536},
      {"sm_89", "L4", 58, 1536},
      {"sm_90", "H100 SXM", 132, 2048},
  };
  return targets;
}

std::optional<GpuTarget> gpuTargetFor(llvm::StringRef chip) {
  for (const GpuTarget &t : gpuTargets())
    if (t.chip == chip)
      return t;
  return std::nullopt;
}

} // namespace cnnc
