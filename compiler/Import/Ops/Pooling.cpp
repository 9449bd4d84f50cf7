//===- Pooling.cpp - import rules of the pooling ops -----------------------===//

#include "Import/OpImportRule.h"

#include "Cnn/CnnDialect.h"

namespace cnnc {

using namespace mlir;

namespace {

/// maxpool2d and avgpool2d: a window, its stride (the kernel by default) and
/// padding, as nn.MaxPool2d / nn.AvgPool2d.
OpImportRule windowPool(const char *name, StringRef dialectOp, bool average) {
  OpImportRule r;
  r.name = name;
  r.dialectOp = dialectOp;
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"kernel", AttrKind::Pair, true, {}, 0, false, AttrRange::Positive},
             {"stride", AttrKind::Pair, false, {}, 0, false, AttrRange::Positive, "kernel"},
             {"padding", AttrKind::Padding, false, {0, 0, 0, 0}, 0, false,
              AttrRange::NonNegative},
             {"ceil_mode", AttrKind::Bool, false, {}, 0, false}};
  if (average)
    r.attrs.push_back({"count_include_pad", AttrKind::Bool, false, {}, 0, true});
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    return cnn::shape::pool2d(in[0], n.ints("kernel"), n.ints("stride"), n.ints("padding"),
                              n.flag("ceil_mode"));
  };
  r.attributes = [average](const NodeDesc &n, ArrayRef<Shape>, Builder &b,
                           NamedAttrList &attrs) {
    attrs.append("kernel", b.getDenseI64ArrayAttr(n.ints("kernel")));
    attrs.append("stride", b.getDenseI64ArrayAttr(n.ints("stride")));
    attrs.append("padding", b.getDenseI64ArrayAttr(n.ints("padding")));
    attrs.append("ceil_mode", b.getBoolAttr(n.flag("ceil_mode")));
    if (average)
      attrs.append("count_include_pad", b.getBoolAttr(n.flag("count_include_pad")));
  };
  return r;
}

OpImportRule globalAvgPool2d() {
  OpImportRule r;
  r.name = "global_avgpool2d";
  r.dialectOp = cnn::GlobalAvgPool2dOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.inferShape = [](const NodeDesc &, ArrayRef<Shape> in, ArrayRef<Shape>) {
    return cnn::shape::globalAvgPool2d(in[0]);
  };
  return r;
}

} // namespace

void addPoolingRules(std::vector<OpImportRule> &rules) {
  rules.push_back(windowPool("maxpool2d", cnn::MaxPool2dOp::getOperationName(), false));
  rules.push_back(windowPool("avgpool2d", cnn::AvgPool2dOp::getOperationName(), true));
  rules.push_back(globalAvgPool2d());
}

} // namespace cnnc
