//===- TrainingConfig.h - the model's "training" object ---------*- C++ -*-===//
#ifndef CNNC_IMPORT_TRAININGCONFIG_H
#define CNNC_IMPORT_TRAININGCONFIG_H

#include "Import/ModelDescription.h"

#include "mlir/IR/BuiltinOps.h"

namespace cnnc {

/// Validates the spec's `training` object (loss, optimizer) and records it
/// on the module as `cnn.training` for cnnc-build-train-step. Returns false
/// with every problem added to `errors`.
bool attachTrainingConfig(mlir::ModuleOp module, const nlohmann::json &training,
                          ErrorList &errors);

} // namespace cnnc

#endif
