//===- ModelImporter.h - model JSON + safetensors to cnn IR -----*- C++ -*-===//
#ifndef CNNC_IMPORT_MODELIMPORTER_H
#define CNNC_IMPORT_MODELIMPORTER_H

#include "Cnn/CnnAttrNames.h"
#include "Import/ModelDescription.h"
#include "Import/WeightStore.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <limits>

namespace cnnc {

struct ImportOptions {
  std::optional<int64_t> batch; // overrides every input's first dimension
  uint64_t seed = 0;            // for default initialization without weights
  /// Largest parameter tensor accepted, in elements (2^31, 8 GiB of f32):
  /// beyond, a model is absurd, and default initialization would exhaust
  /// memory instead of failing cleanly.
  int64_t maxParameterElements = int64_t(1) << 31;
  /// Largest total of all parameters, in elements (by default no limit beyond
  /// the per-tensor one; the fuzzer sets both small).
  int64_t maxTotalParameterElements = std::numeric_limits<int64_t>::max();
};

/// Names used on the imported function.
namespace attrs {
inline constexpr llvm::StringLiteral kInputName = mlir::cnn::attr_names::kInput;
inline constexpr llvm::StringLiteral kParamName = mlir::cnn::attr_names::kParam;
inline constexpr llvm::StringLiteral kOutputName = mlir::cnn::attr_names::kOutput;
inline constexpr llvm::StringLiteral kModelName = mlir::cnn::attr_names::kModel;
inline constexpr const char *kForward = "forward";       // function name
} // namespace attrs

struct ImportedModel {
  ModelDescription description;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  WeightStore weights; // one entry per `cnn.param` argument, in order
  bool defaultInitialized = false;
};

/// Imports `path`. On failure returns nullopt and fills `errors` with every
/// problem found (each naming the file and node).
std::optional<ImportedModel> importModel(mlir::MLIRContext &ctx, const std::string &path,
                                         const ImportOptions &options, ErrorList &errors);

} // namespace cnnc

#endif // CNNC_IMPORT_MODELIMPORTER_H
