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
  std::string type = opt.contains("type") && opt["type"].is_string()
                         ? opt["type"].get<std::string>()
                         : "";
  if (type != "sgd" && type != "adam" && type != "adamw")
    errors.add("training: optimizer \"type\" must be \"sgd\", \"adam\" or \"adamw\"" +
               (opt.contains("type") ? ", got " + opt["type"].dump() : std::string(" (missing)")));
  bool adam = type == "adam" || type == "adamw";
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
  double momentum = adam ? 0.0 : number("momentum", 0.0, false);
  // torch.optim.AdamW's default weight decay is 0.01; Adam's and SGD's 0.
  double weightDecay = number("weight_decay", type == "adamw" ? 0.01 : 0.0, false);
  double eps = adam ? number("eps", 1e-8, false) : 0.0;
  double beta1 = 0.9, beta2 = 0.999;
  if (adam && opt.contains("betas")) {
    const nlohmann::json &betas = opt["betas"];
    bool ok = betas.is_array() && betas.size() == 2;
    for (size_t i = 0; ok && i < 2; ++i)
      ok = betas[i].is_number() && betas[i].get<double>() >= 0 && betas[i].get<double>() < 1;
    if (ok) {
      beta1 = betas[0].get<double>();
      beta2 = betas[1].get<double>();
    } else {
      errors.add("training: optimizer \"betas\" must be two numbers in [0, 1), got " +
                 betas.dump());
    }
  }
  bool nesterov = false;
  if (opt.contains("nesterov")) {
    if (opt["nesterov"].is_boolean())
      nesterov = opt["nesterov"].get<bool>();
    else
      errors.add("training: optimizer \"nesterov\" must be true or false");
  }
  if (nesterov && momentum == 0)
    errors.add("training: nesterov needs a momentum > 0 (as torch.optim.SGD)");
  for (auto it = opt.begin(); it != opt.end(); ++it) {
    const std::string &k = it.key();
    bool known = k == "type" || k == "learning_rate" || k == "weight_decay" ||
                 (adam ? k == "betas" || k == "eps" : k == "momentum" || k == "nesterov");
    if (!known)
      errors.add("training: unknown " + (type.empty() ? std::string() : type + " ") +
                 "optimizer key '" + k + "'");
  }
  if (errors.all().size() != before)
    return false;
  module->setAttr(mlir::cnn::attr_names::kTraining,
                  b.getDictionaryAttr({b.getNamedAttr("loss", b.getStringAttr(loss)),
                                       b.getNamedAttr("learning_rate", b.getF64FloatAttr(lr)),
                                       b.getNamedAttr("momentum", b.getF64FloatAttr(momentum)),
                                       b.getNamedAttr("weight_decay",
                                                      b.getF64FloatAttr(weightDecay)),
                                       b.getNamedAttr("nesterov", b.getBoolAttr(nesterov)),
                                       b.getNamedAttr("optimizer", b.getStringAttr(type)),
                                       b.getNamedAttr("beta1", b.getF64FloatAttr(beta1)),
                                       b.getNamedAttr("beta2", b.getF64FloatAttr(beta2)),
                                       b.getNamedAttr("eps", b.getF64FloatAttr(eps))}));
  return true;
}

} // namespace cnnc
