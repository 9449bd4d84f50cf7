//===- Artifact.h - the compiled model library ------------------*- C++ -*-===//
//
// The .so's C ABI (version 1; see docs/abi.md):
//   const uint32_t cnnc_abi_version;       // 1
//   const char     cnnc_metadata[];        // JSON: versions, target, signature,
//                                          // parameter layout, arena size
//   const uint8_t  cnnc_weights[];         // parameters (embedded mode only)
//   void cnnc_forward(void **args);        // args: inputs, parameters,
//                                          // outputs, arena (in that order)
// Later entry points (training step, GPU launch tables) are further symbols
// named in the metadata's "entry_points"; loaders ignore what they don't use.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_CODEGEN_ARTIFACT_H
#define CNNC_CODEGEN_ARTIFACT_H

#include "CodeGen/CpuPipeline.h"
#include "Import/WeightStore.h"
#include "Target/CpuTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <map>
#include <string>
#include <vector>

namespace cnnc {

inline constexpr uint32_t kAbiVersion = 2;

struct TensorSignature {
  std::string name;
  std::vector<int64_t> shape;
};

struct TargetSpec {
  std::string cpu;      // empty: the host
  unsigned optLevel = 2;
  std::string gpuChip;  // "sm_90" etc. for -target=nvptx; empty for x86_64
};

struct ArtifactSpec {
  /// The CPU the code is emitted for (for nvptx, the host code's).
  const CpuTarget *cpuTarget = nullptr;
  /// cnnc --timing: translation, LLVM optimization, code generation and
  /// linking are reported under this scope.
  mlir::TimingScope *timing = nullptr;
  std::string modelName;
  std::vector<TensorSignature> inputs, outputs;
  /// The compiled batch, and whether any smaller batch may run in it
  /// (Analysis/BatchRows.h).
  int64_t batch = 1;
  bool runtimeBatch = false;
  const WeightStore *weights = nullptr;
  bool embedWeights = true;
  TargetSpec target;
  /// What the convolutions compute in (recorded in the metadata).
  Precision precision = Precision::Fp32;
  /// int8: how the inputs were calibrated, and each conv's input range
  /// (node -> [min, max]; recorded in the metadata).
  std::string calibrationMethod;
  std::map<std::string, std::pair<float, float>> calibration;
};

enum class ArtifactKind { LLVMIR, Object, SharedLibrary };

/// Translates the LLVM-dialect module, adds the ABI symbols and writes the
/// requested artifact to `outPath` ("-" = stdout for LLVM IR). On failure
/// prints a message and returns false.
bool emitArtifact(mlir::ModuleOp llvmDialectModule, const ArtifactSpec &spec,
                  ArtifactKind kind, const std::string &outPath);

/// The PTX of the kernels (after lowerLinalgToPtx: one module, which ptxas
/// assembles as it is), for --emit=ptx.
std::string collectPtx(mlir::ModuleOp module);

} // namespace cnnc

#endif
