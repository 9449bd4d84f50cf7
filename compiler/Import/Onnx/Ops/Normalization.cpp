//===- Normalization.cpp - ONNX normalizations, Dropout, Softmax ----------===//

#include "Import/Onnx/OnnxGraph.h"


namespace cnnc::onnx_import {

namespace {

void convertBatchNormalization(OnnxNode &n) {
  std::string x = n.runtime(0);
  std::string scale = n.initializer(1, "scale");
  std::string bias = n.initializer(2, "bias");
  std::string mean = n.initializer(3, "running mean");
  std::string var = n.initializer(4, "running variance");
  float epsilon = n.attrFloat("epsilon", 1e-5f);
  // ONNX's momentum weighs the old running value; PyTorch's the new batch's.
  float momentum = n.attrFloat("momentum", 0.9f);
  if (n.opset() >= 14)
    n.requireAttrInt("training_mode", 0);
  n.requireSingleOutput();
  if (n.failed())
    return;
  n.bind(0, n.emit("batchnorm", {x},
                   {{"epsilon", decimalOf(epsilon)}, {"momentum", decimalOf(float(1.0 - decimalOf(momentum)))}},
                   {{"weight", scale},
                    {"bias", bias},
                    {"running_mean", mean},
                    {"running_var", var}}));
}

/// Inference: dropout is the identity (a training library draws masks).
void convertDropout(OnnxNode &n) {
  double ratio = n.attrFloat("ratio", 0.5f);
  n.attrInt("seed", 0);
  if (n.hasInput(1)) {
    std::optional<double> r = n.scalar(1, "ratio");
    if (!r)
      return;
    ratio = *r;
  }
  if (n.hasInput(2)) {
    const ConstTensor *t = n.constant(2, "training_mode");
    if (t && t->size() && t->real(0) != 0)
      return n.fail("training_mode=true is not supported (export the model in eval mode)");
  }
  n.requireSingleOutput();
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  n.bind(0, n.emit("dropout", {x}, {{"p", ratio}}));
}

void convertSoftmax(OnnxNode &n) {
  // Opset 13 made Softmax one axis (default -1); before, it flattened from
  // `axis` (default 1) on: the same for the axis of a matrix or the last one.
  int64_t axis = n.attrInt("axis", n.opset() >= 13 ? -1 : 1);
  std::vector<int64_t> in = n.shape(0);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  int64_t rank = (int64_t)in.size();
  if (n.opset() < 13 && !(axis == rank - 1 || axis == -1))
    return n.fail("Softmax before opset 13 is supported only over the last axis");
  n.bind(0, n.emit("softmax", {x}, {{"axis", axis}}));
}

/// Over the dimensions from `axis` on. Opset 17's op, and what the reader's
/// pattern pass makes of torch's ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div
/// (with the Mul and Add of the affine parameters, when they follow).
void convertLayerNormalization(OnnxNode &n) {
  int64_t axis = n.attrInt("axis", -1);
  float epsilon = n.attrFloat("epsilon", 1e-5f);
  n.requireAttrInt("stash_type", 1);
  n.requireSingleOutput();
  std::vector<int64_t> in = n.shape(0);
  std::string x = n.runtime(0);
  std::string scale = n.hasInput(1) ? n.initializer(1, "scale") : "";
  std::string bias = n.hasInput(2) ? n.initializer(2, "bias") : "";
  if (n.failed())
    return;
  int64_t rank = (int64_t)in.size();
  if (axis < -rank || axis >= rank)
    return n.fail("axis " + std::to_string(axis) + " is out of range for " + shapeText(in));
  if (axis < 0)
    axis += rank;
  if (scale.empty() != bias.empty())
    return n.fail("a layer norm with a scale and no bias (or the reverse) is not supported");
  std::vector<int64_t> normalized(in.begin() + axis, in.end());
  nlohmann::json params = nlohmann::json::object();
  if (!scale.empty())
    params = {{"weight", scale}, {"bias", bias}};
  n.bind(0, n.emit("layer_norm", {x},
                   {{"normalized_shape", normalized},
                    {"eps", decimalOf(epsilon)},
                    {"elementwise_affine", !scale.empty()}},
                   params));
}

} // namespace

void addOnnxNormalizationOps(std::vector<OnnxOpEntry> &ops) {
  ops.push_back({"BatchNormalization", convertBatchNormalization, nullptr, 5});
  ops.push_back({"Dropout", convertDropout});
  ops.push_back({"Softmax", convertSoftmax});
  ops.push_back({"LayerNormalization", convertLayerNormalization});
}

} // namespace cnnc::onnx_import
