//===- CpuTarget.h - an x86-64 target: its machine and its description -*- C++ -*-===//
//
// One place turns `-mcpu` (or the host) into the LLVM TargetMachine that
// emits the code and into the #codegen.cpu_target attribute every CPU
// scheduling pass reads (docs/target.md). Passes never ask LLVM or the
// machine themselves: a schedule depends on the attribute only, so a lit
// test states its target and `cnnc-opt` reproduces a compile.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TARGET_CPUTARGET_H
#define CNNC_TARGET_CPUTARGET_H

#include "Codegen/CodegenDialect.h"

#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cnnc {

struct CpuTarget {
  std::unique_ptr<llvm::TargetMachine> machine;
  std::string triple, cpu, features; // as the machine was created
  /// What the schedules are derived from.
  int64_t vectorBits = 0, vectorRegisters = 0;
  std::vector<std::string> isa; // the extensions schedules and the runtime check
  int64_t fmaPerCycle = 1, fmaLatency = 4;
  int64_t l1dBytes = 0, l1dWays = 0, l2Bytes = 0, l3Bytes = 0;
  int64_t cacheLineBytes = 0; // LLVM's (TargetTransformInfo)
  int64_t l3BytesPerCycle = 16; // a core's read rate from L3
  int64_t bf16DotPercent = 100; // vdpbf16ps's arithmetic a cycle, % of the fp32 FMAs'
  std::string cacheSource; // "host" (sysfs), "table" (by CPU name) or "default"
  int64_t cores = 0;       // the host's; 0 for another machine

  mlir::codegen::CpuTargetAttr toAttr(mlir::MLIRContext *ctx) const;
  /// One line for --report: "znver5: 512-bit vectors x 32 registers, ...".
  std::string summary() const;
};

/// The TargetMachine for `cpu` (empty: the host, with the host's features)
/// at `optLevel`, described. The host's caches and cores (sysfs) describe a
/// CPU that is the host unless `tableOnly` (lit tests: the same description
/// on every machine). Prints "cnnc: error: ..." and returns nullopt for an
/// unknown CPU or a host that is not x86-64.
std::optional<CpuTarget> makeCpuTarget(const std::string &cpu, unsigned optLevel,
                                       bool tableOnly = false);

} // namespace cnnc

#endif
