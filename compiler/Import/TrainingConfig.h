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

/// The command line's training settings (`cnnc --train --optimizer=adam
/// --lr=1e-3 ...`), each overriding the model's `training` object; empty
/// strings leave the model's value. Values are as the JSON takes them.
struct TrainingOverrides {
  std::string optimizer, learningRate, momentum, weightDecay, betas, eps, nesterov;
  /// "TYPE" or "TYPE:KEY=VALUE,KEY=VALUE" (e.g. "cosine:t_max=10").
  std::string lrSchedule;
  std::string clipGradNorm;
  bool any() const {
    return !(optimizer.empty() && learningRate.empty() && momentum.empty() &&
             weightDecay.empty() && betas.empty() && eps.empty() && nesterov.empty() &&
             lrSchedule.empty() && clipGradNorm.empty());
  }
};

/// `training` (the model's object, or null: a fresh one with the softmax
/// cross-entropy loss) with `overrides` applied. A flag whose value is not a
/// number (or list, or schedule) is added to `errors` naming the flag; the
/// merged object is validated by attachTrainingConfig as the model's is.
nlohmann::json applyTrainingOverrides(const std::optional<nlohmann::json> &training,
                                      const TrainingOverrides &overrides, ErrorList &errors);

} // namespace cnnc

#endif
