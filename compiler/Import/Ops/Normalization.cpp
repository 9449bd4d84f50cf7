//===- Normalization.cpp - import rules of batchnorm, dropout, softmax ----===//

#include "Import/OpImportRule.h"

#include "Cnn/CnnDialect.h"

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

} // namespace

void addNormalizationRules(std::vector<OpImportRule> &rules) {
  rules.push_back(batchnorm());
  rules.push_back(dropout());
  rules.push_back(softmax());
}

} // namespace cnnc
