//===- TrainingConfig.cpp - the model's "training" object ------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Import/TrainingConfig.h"

#include "mlir/IR/Builders.h"

#include <cmath>

namespace cnnc {

bool attachTrainingConfig(mlir::ModuleOp module, const nlohmann::json &t, ErrorList &errors) {
  size_t before = errors.all().size();
  mlir::Builder b(module.getContext());
  std::string loss = t.contains("loss") && t["loss"].is_string() ? t["loss"].get<std::string>()
                                                                  : "";
  if (loss != "softmax_cross_entropy")
    errors.add("training: \"loss\" must be \"softmax_cross_entropy\"" +
               (t.contains("loss") ? ", got " + t["loss"].dump() : std::string(" (missing)")));
  for (auto it = t.begin(); it != t.end(); ++it)
    if (it.key() != "loss" && it.key() != "optimizer")
      errors.add("training: unknown key '" + it.key() + "'");
  const nlohmann::json opt = t.contains("optimizer") ? t["optimizer"] : nlohmann::json();
  if (!opt.is_object()) {
    errors.add("training: \"optimizer\" must be an object with \"type\": \"sgd\"");
    return false;
  }
  if (!opt.contains("type") || opt["type"] != "sgd")
    errors.add("training: optimizer \"type\" must be \"sgd\"");
  auto number = [&](const char *key, double dflt, bool required) {
    if (!opt.contains(key)) {
      if (required)
        errors.add(std::string("training: optimizer needs \"") + key + "\"");
      return dflt;
    }
    if (!opt[key].is_number() || !std::isfinite(opt[key].get<double>()) ||
        opt[key].get<double>() < 0) {
      errors.add(std::string("training: optimizer \"") + key +
                 "\" must be a non-negative number, got " + opt[key].dump());
      return dflt;
    }
    return opt[key].get<double>();
  };
  double lr = number("learning_rate", 0.01, true);
  double momentum = number("momentum", 0.0, false);
  double weightDecay = number("weight_decay", 0.0, false);
  bool nesterov = false;
  if (opt.contains("nesterov")) {
    if (opt["nesterov"].is_boolean())
      nesterov = opt["nesterov"].get<bool>();
    else
      errors.add("training: optimizer \"nesterov\" must be true or false");
  }
  if (nesterov && momentum == 0)
    errors.add("training: nesterov needs a momentum > 0 (as torch.optim.SGD)");
  for (auto it = opt.begin(); it != opt.end(); ++it)
    if (it.key() != "type" && it.key() != "learning_rate" && it.key() != "momentum" &&
        it.key() != "weight_decay" && it.key() != "nesterov")
      errors.add("training: unknown optimizer key '" + it.key() + "'");
  if (errors.all().size() != before)
    return false;
  module->setAttr(mlir::cnn::attr_names::kTraining,
                  b.getDictionaryAttr({b.getNamedAttr("loss", b.getStringAttr(loss)),
                                       b.getNamedAttr("learning_rate", b.getF64FloatAttr(lr)),
                                       b.getNamedAttr("momentum", b.getF64FloatAttr(momentum)),
                                       b.getNamedAttr("weight_decay",
                                                      b.getF64FloatAttr(weightDecay)),
                                       b.getNamedAttr("nesterov", b.getBoolAttr(nesterov))}));
  return true;
}

} // namespace cnnc
