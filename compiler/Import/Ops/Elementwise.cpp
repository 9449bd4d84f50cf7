//===- Elementwise.cpp - import rules of activations and binary ops -------===//

#include "Import/OpImportRule.h"

#include "Cnn/CnnDialect.h"

namespace cnnc {

using namespace mlir;

namespace {

/// An activation: one input, the same shape out, no attributes.
OpImportRule unary(const char *name, StringRef dialectOp) {
  OpImportRule r;
  r.name = name;
  r.dialectOp = dialectOp;
  r.minInputs = r.maxInputs = 1;
  return r;
}

/// Two inputs broadcast as PyTorch does.
OpImportRule broadcastBinary(const char *name, StringRef dialectOp) {
  OpImportRule r;
  r.name = name;
  r.dialectOp = dialectOp;
  r.minInputs = r.maxInputs = 2;
  r.inferShape = [](const NodeDesc &, ArrayRef<Shape> in, ArrayRef<Shape>) {
    return cnn::shape::broadcast(in[0], in[1]);
  };
  return r;
}

/// nn.LeakyReLU(negative_slope=0.01).
OpImportRule leakyRelu() {
  OpImportRule r = unary("leaky_relu", cnn::LeakyReluOp::getOperationName());
  r.attrs = {{"negative_slope", AttrKind::Float, false, {}, 0.01}};
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    attrs.append("negative_slope", b.getF64FloatAttr(n.number("negative_slope")));
  };
  return r;
}

/// nn.GELU(approximate="none" | "tanh").
OpImportRule gelu() {
  OpImportRule r = unary("gelu", cnn::GeluOp::getOperationName());
  r.attrs = {{"approximate", AttrKind::String, false, {}, 0, false, AttrRange::Any, nullptr,
              {"none", "tanh"}}};
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    attrs.append("approximate", b.getStringAttr(n.text("approximate")));
  };
  return r;
}

/// ConvNeXt's layer scale: x * weight, a learnable factor per index of
/// dimension `axis`, stored as torchvision does ([C, 1, 1] for NCHW).
OpImportRule layerScale() {
  OpImportRule r;
  r.name = "layer_scale";
  r.dialectOp = cnn::MulOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"init", AttrKind::Float, false, {}, 1e-6}, {"axis", AttrKind::Int, false, {1}}};
  r.params = [](const NodeDesc &n) {
    return std::vector<ParamRole>{{"weight", ParamInit::Constant, float(n.number("init"))}};
  };
  r.paramShapes = [](const NodeDesc &n, ArrayRef<int64_t> in) {
    int64_t rank = in.size(), axis = n.integer("axis");
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return std::vector<Shape>{Shape{0}};
    Shape s(rank - axis, 1);
    s[0] = in[axis];
    return std::vector<Shape>{s};
  };
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    if (auto checked = rules::checkAxis(n, in[0], "axis"); !checked.ok())
      return checked;
    if (rules::resolvedAxis(n, in, "axis") == 0)
      return ShapeOrError::fail("axis must not be the batch");
    return ShapeOrError{in[0], ""};
  };
  return r;
}

} // namespace

void addElementwiseRules(std::vector<OpImportRule> &rules) {
  rules.push_back(unary("relu", cnn::ReluOp::getOperationName()));
  rules.push_back(unary("relu6", cnn::Relu6Op::getOperationName()));
  rules.push_back(unary("sigmoid", cnn::SigmoidOp::getOperationName()));
  rules.push_back(unary("tanh", cnn::TanhOp::getOperationName()));
  rules.push_back(unary("silu", cnn::SiluOp::getOperationName()));
  rules.push_back(unary("hardswish", cnn::HardswishOp::getOperationName()));
  rules.push_back(unary("hardsigmoid", cnn::HardsigmoidOp::getOperationName()));
  rules.push_back(leakyRelu());
  rules.push_back(gelu());
  rules.push_back(broadcastBinary("add", cnn::AddOp::getOperationName()));
  rules.push_back(broadcastBinary("mul", cnn::MulOp::getOperationName()));
  rules.push_back(layerScale());
}

} // namespace cnnc
