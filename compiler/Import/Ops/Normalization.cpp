//===- Normalization.cpp - import rules of the normalizations, dropouts ---===//

#include "Import/OpImportRule.h"

#include "Cnn/CnnDialect.h"

#include <algorithm>

namespace cnnc {

using namespace mlir;

namespace {

OpImportRule batchnorm() {
  OpImportRule r;
  r.name = "batchnorm";
  r.dialectOp = cnn::BatchNormOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"epsilon", AttrKind::Float, false, {}, 1e-5, false, AttrRange::NonNegative},
             {"momentum", AttrKind::Float, false, {}, 0.1}};
  r.params = [](const NodeDesc &) {
    return std::vector<ParamRole>{{"weight", ParamInit::Ones},
                                  {"bias", ParamInit::Zeros},
                                  {"running_mean", ParamInit::Zeros},
                                  {"running_var", ParamInit::Ones}};
  };
  r.paramShapes = [](const NodeDesc &, ArrayRef<int64_t> in) {
    return std::vector<Shape>(4, Shape{in.size() >= 2 ? in[1] : 0});
  };
  r.inferShape = [](const NodeDesc &, ArrayRef<Shape> in, ArrayRef<Shape> params) {
    std::vector<ArrayRef<int64_t>> ps(params.begin(), params.end());
    return cnn::shape::batchnorm(in[0], ps);
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    attrs.append("epsilon", b.getF64FloatAttr(n.number("epsilon")));
    attrs.append("momentum", b.getF64FloatAttr(n.number("momentum")));
  };
  return r;
}

OpImportRule dropout() {
  OpImportRule r;
  r.name = "dropout";
  r.dialectOp = cnn::DropoutOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"p", AttrKind::Float, false, {}, 0.5, false, AttrRange::Probability}};
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    attrs.append("p", b.getF64FloatAttr(n.number("p")));
  };
  return r;
}

OpImportRule softmax() {
  OpImportRule r;
  r.name = "softmax";
  r.dialectOp = cnn::SoftmaxOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"axis", AttrKind::Int, false, {1}}};
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    return rules::checkAxis(n, in[0], "axis");
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape> in, Builder &b, NamedAttrList &attrs) {
    attrs.append("axis", b.getI64IntegerAttr(rules::resolvedAxis(n, in, "axis")));
  };
  return r;
}

std::vector<ParamRole> affineRoles(const NodeDesc &n) {
  if (!n.flag("elementwise_affine"))
    return {};
  return {{"weight", ParamInit::Ones}, {"bias", ParamInit::Zeros}};
}

/// nn.LayerNorm(normalized_shape): over the input's last dimensions.
OpImportRule layerNorm() {
  OpImportRule r;
  r.name = "layer_norm";
  r.dialectOp = cnn::LayerNormOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"normalized_shape", AttrKind::Ints, true, {}, 0, false, AttrRange::Positive},
             {"eps", AttrKind::Float, false, {}, 1e-5, false, AttrRange::NonNegative},
             {"elementwise_affine", AttrKind::Bool, false, {}, 0, true}};
  r.params = affineRoles;
  r.paramShapes = [](const NodeDesc &n, ArrayRef<int64_t>) {
    Shape normalized(n.ints("normalized_shape").begin(), n.ints("normalized_shape").end());
    return std::vector<Shape>(n.flag("elementwise_affine") ? 2 : 0, normalized);
  };
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape> params) {
    const auto &normalized = n.ints("normalized_shape");
    if (normalized.empty() || normalized.size() >= in[0].size() ||
        !std::equal(normalized.begin(), normalized.end(), in[0].end() - normalized.size()))
      return ShapeOrError::fail("normalized_shape " + cnn::shape::toString(normalized) +
                                " must be the last dimensions of the input " +
                                cnn::shape::toString(in[0]) + " (not its batch)");
    SmallVector<int64_t> axes;
    for (size_t d = in[0].size() - normalized.size(); d < in[0].size(); ++d)
      axes.push_back(d);
    std::vector<ArrayRef<int64_t>> affine(params.begin(), params.end());
    return cnn::shape::layerNorm(in[0], axes, affine);
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape> in, Builder &b, NamedAttrList &attrs) {
    SmallVector<int64_t> axes;
    for (size_t d = in[0].size() - n.ints("normalized_shape").size(); d < in[0].size(); ++d)
      axes.push_back(d);
    attrs.append("axes", b.getDenseI64ArrayAttr(axes));
    attrs.append("epsilon", b.getF64FloatAttr(n.number("eps")));
  };
  return r;
}

/// torchvision's LayerNorm2d (ConvNeXt): over the channels of [N, C, H, W].
OpImportRule layerNorm2d() {
  OpImportRule r;
  r.name = "layer_norm2d";
  r.dialectOp = cnn::LayerNormOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"eps", AttrKind::Float, false, {}, 1e-6, false, AttrRange::NonNegative},
             {"elementwise_affine", AttrKind::Bool, false, {}, 0, true}};
  r.params = affineRoles;
  r.paramShapes = [](const NodeDesc &n, ArrayRef<int64_t> in) {
    return std::vector<Shape>(n.flag("elementwise_affine") ? 2 : 0,
                              Shape{in.size() >= 2 ? in[1] : 0});
  };
  r.inferShape = [](const NodeDesc &, ArrayRef<Shape> in, ArrayRef<Shape> params) {
    if (in[0].size() != 4)
      return ShapeOrError::fail("input must be [N, C, H, W], got " +
                                cnn::shape::toString(in[0]));
    std::vector<ArrayRef<int64_t>> affine(params.begin(), params.end());
    return cnn::shape::layerNorm(in[0], {1}, affine);
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    attrs.append("axes", b.getDenseI64ArrayAttr({1}));
    attrs.append("epsilon", b.getF64FloatAttr(n.number("eps")));
  };
  return r;
}

/// torchvision.ops.StochasticDepth(p, mode).
OpImportRule stochasticDepth() {
  OpImportRule r;
  r.name = "stochastic_depth";
  r.dialectOp = cnn::StochasticDepthOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"p", AttrKind::Float, true, {}, 0, false, AttrRange::Probability},
             {"mode", AttrKind::String, false, {}, 0, false, AttrRange::Any, nullptr,
              {"row", "batch"}}};
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    attrs.append("p", b.getF64FloatAttr(n.number("p")));
    attrs.append("mode", b.getStringAttr(n.text("mode")));
  };
  return r;
}

} // namespace

void addNormalizationRules(std::vector<OpImportRule> &rules) {
  rules.push_back(batchnorm());
  rules.push_back(dropout());
  rules.push_back(softmax());
  rules.push_back(layerNorm());
  rules.push_back(layerNorm2d());
  rules.push_back(stochasticDepth());
}

} // namespace cnnc
