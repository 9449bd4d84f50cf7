//===- TrainingConfig.cpp - the model's "training" object ------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Import/TrainingConfig.h"

#include "mlir/IR/Builders.h"

#include <cmath>
#include <cstdlib>

namespace cnnc {

namespace {

/// `training.lr_schedule`, PyTorch's schedulers stepped once per optimizer
/// step (the runtime sets each step's learning rate from the step count):
/// {"type": "step", "step_size", "gamma" (0.1)} (StepLR),
/// {"type": "cosine", "t_max", "eta_min" (0)} (CosineAnnealingLR),
/// {"type": "linear", "start_factor" (1/3), "end_factor" (1), "total_iters" (5)}
/// (LinearLR, a warm-up when start_factor < 1), or none (constant).
mlir::DictionaryAttr parseLrSchedule(const nlohmann::json &t, mlir::Builder &b,
                                     ErrorList &errors) {
  std::vector<mlir::NamedAttribute> out;
  if (!t.contains("lr_schedule")) {
    out.push_back(b.getNamedAttr("type", b.getStringAttr("constant")));
    return b.getDictionaryAttr(out);
  }
  const nlohmann::json &s = t["lr_schedule"];
  std::string type = s.is_object() && s.contains("type") && s["type"].is_string()
                         ? s["type"].get<std::string>()
                         : "";
  struct Key {
    const char *name;
    double dflt;
    bool required, integer;
  };
  std::vector<Key> keys;
  if (type == "step")
    keys = {{"step_size", 0, true, true}, {"gamma", 0.1, false, false}};
  else if (type == "cosine")
    keys = {{"t_max", 0, true, true}, {"eta_min", 0, false, false}};
  else if (type == "linear")
    keys = {{"start_factor", 1.0 / 3, false, false},
            {"end_factor", 1.0, false, false},
            {"total_iters", 5, false, true}};
  else {
    errors.add("training: \"lr_schedule\" must be an object whose \"type\" is \"step\", "
               "\"cosine\" or \"linear\", got " + s.dump());
    return b.getDictionaryAttr(out);
  }
  out.push_back(b.getNamedAttr("type", b.getStringAttr(type)));
  for (const Key &k : keys) {
    double v = k.dflt;
    if (s.contains(k.name)) {
      const nlohmann::json &j = s[k.name];
      bool ok = j.is_number() && std::isfinite(j.get<double>()) &&
                (k.integer ? j.is_number_integer() && j.get<int64_t>() > 0
                           : j.get<double>() >= 0);
      if (!ok) {
        errors.add(std::string("training: lr_schedule \"") + k.name + "\" must be " +
                   (k.integer ? "a positive integer" : "a non-negative number") + ", got " +
                   j.dump());
        continue;
      }
      v = j.get<double>();
    } else if (k.required) {
      errors.add(std::string("training: lr_schedule \"") + type + "\" needs \"" + k.name + "\"");
      continue;
    }
    out.push_back(k.integer ? b.getNamedAttr(k.name, b.getI64IntegerAttr(int64_t(v)))
                            : b.getNamedAttr(k.name, b.getF64FloatAttr(v)));
  }
  if (type == "linear") {
    auto factor = [&](const char *name, double dflt) {
      for (const mlir::NamedAttribute &a : out)
        if (a.getName() == name)
          return mlir::cast<mlir::FloatAttr>(a.getValue()).getValueAsDouble();
      return dflt;
    };
    double start = factor("start_factor", 1.0 / 3), end = factor("end_factor", 1.0);
    if (!(start > 0 && start <= 1) || !(end >= 0 && end <= 1))
      errors.add("training: lr_schedule \"linear\" needs 0 < start_factor <= 1 and "
                 "0 <= end_factor <= 1 (as torch's LinearLR)");
  }
  for (auto it = s.begin(); it != s.end(); ++it) {
    bool known = it.key() == "type";
    for (const Key &k : keys)
      known |= it.key() == k.name;
    if (!known)
      errors.add("training: unknown " + type + " lr_schedule key '" + it.key() + "'");
  }
  return b.getDictionaryAttr(out);
}

} // namespace

bool attachTrainingConfig(mlir::ModuleOp module, const nlohmann::json &t, ErrorList &errors) {
  size_t before = errors.all().size();
  mlir::Builder b(module.getContext());
  std::string loss = t.contains("loss") && t["loss"].is_string() ? t["loss"].get<std::string>()
                                                                  : "";
  if (loss != "softmax_cross_entropy")
    errors.add("training: \"loss\" must be \"softmax_cross_entropy\"" +
               (t.contains("loss") ? ", got " + t["loss"].dump() : std::string(" (missing)")));
  for (auto it = t.begin(); it != t.end(); ++it)
    if (it.key() != "loss" && it.key() != "optimizer" && it.key() != "lr_schedule" &&
        it.key() != "clip_grad_norm")
      errors.add("training: unknown key '" + it.key() + "'");
  // torch.nn.utils.clip_grad_norm_(params, max_norm): 0 = no clipping.
  double clip = 0;
  if (t.contains("clip_grad_norm")) {
    const nlohmann::json &c = t["clip_grad_norm"];
    if (c.is_number() && std::isfinite(c.get<double>()) && c.get<double>() > 0)
      clip = c.get<double>();
    else
      errors.add("training: \"clip_grad_norm\" must be a positive number (the max norm), got " +
                 c.dump());
  }
  mlir::DictionaryAttr schedule = parseLrSchedule(t, b, errors);
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
                                       b.getNamedAttr("eps", b.getF64FloatAttr(eps)),
                                       b.getNamedAttr("clip_grad_norm", b.getF64FloatAttr(clip)),
                                       b.getNamedAttr("lr_schedule", schedule)}));
  return true;
}

nlohmann::json applyTrainingOverrides(const std::optional<nlohmann::json> &training,
                                      const TrainingOverrides &o, ErrorList &errors) {
  nlohmann::json t = training && training->is_object()
                         ? *training
                         : nlohmann::json{{"loss", "softmax_cross_entropy"}};
  if (!t.contains("optimizer") || !t["optimizer"].is_object())
    t["optimizer"] = nlohmann::json::object();
  nlohmann::json &opt = t["optimizer"];
  // A number as JSON: integral text stays an integer (step_size, t_max).
  auto number = [&](const std::string &flag, const std::string &text) -> nlohmann::json {
    char *end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end || !std::isfinite(v)) {
      errors.add("--" + flag + " needs a number, got '" + text + "'");
      return nullptr;
    }
    if (text.find_first_of(".eE") == std::string::npos && std::fabs(v) < 9e15)
      return int64_t(v);
    return v;
  };
  // Another optimizer starts from its own defaults, keeping the learning rate.
  if (!o.optimizer.empty() && opt.value("type", std::string()) != o.optimizer) {
    nlohmann::json fresh = {{"type", o.optimizer}};
    if (opt.contains("learning_rate"))
      fresh["learning_rate"] = opt["learning_rate"];
    opt = fresh;
  }
  auto set = [&](const char *key, const char *flag, const std::string &text) {
    if (!text.empty())
      opt[key] = number(flag, text);
  };
  set("learning_rate", "lr", o.learningRate);
  set("momentum", "momentum", o.momentum);
  set("weight_decay", "weight-decay", o.weightDecay);
  set("eps", "eps", o.eps);
  if (!o.nesterov.empty())
    opt["nesterov"] = o.nesterov == "true";
  if (!o.betas.empty()) {
    size_t comma = o.betas.find(',');
    if (comma == std::string::npos)
      errors.add("--betas needs two numbers, BETA1,BETA2; got '" + o.betas + "'");
    else
      opt["betas"] = {number("betas", o.betas.substr(0, comma)),
                      number("betas", o.betas.substr(comma + 1))};
  }
  if (!o.clipGradNorm.empty())
    t["clip_grad_norm"] = number("clip-grad-norm", o.clipGradNorm);
  if (!o.lrSchedule.empty()) {
    size_t colon = o.lrSchedule.find(':');
    nlohmann::json s = {{"type", o.lrSchedule.substr(0, colon)}};
    if (colon != std::string::npos) {
      std::string rest = o.lrSchedule.substr(colon + 1);
      for (size_t start = 0; start <= rest.size();) {
        size_t end = rest.find(',', start);
        std::string item = rest.substr(start, end == std::string::npos ? end : end - start);
        size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
          errors.add("--lr-schedule: '" + item + "' is not KEY=VALUE (e.g. cosine:t_max=10)");
        else
          s[item.substr(0, eq)] = number("lr-schedule " + item.substr(0, eq), item.substr(eq + 1));
        if (end == std::string::npos)
          break;
        start = end + 1;
      }
    }
    t["lr_schedule"] = s;
  }
  return t;
}

} // namespace cnnc
