//===- Pooling.cpp - import rules of pooling and resampling ---------------===//

#include "Import/OpImportRule.h"

#include "Cnn/CnnDialect.h"

#include <cmath>

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

OpImportRule adaptiveAvgPool2d() {
  OpImportRule r;
  r.name = "adaptive_avgpool2d";
  r.dialectOp = cnn::AdaptiveAvgPool2dOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"output_size", AttrKind::Pair, true, {}, 0, false, AttrRange::Positive}};
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    return cnn::shape::resized2d(in[0], n.ints("output_size"));
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    attrs.append("output_size", b.getDenseI64ArrayAttr(n.ints("output_size")));
  };
  return r;
}

/// nn.Upsample / F.interpolate: `size` or `scale_factor` (0: not given).
OpImportRule upsample() {
  OpImportRule r;
  r.name = "upsample";
  r.dialectOp = cnn::UpsampleOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"size", AttrKind::Pair, false, {}, 0, false, AttrRange::Positive},
             {"scale_factor", AttrKind::Float, false, {}, 0},
             {"mode", AttrKind::String, false, {}, 0, false, AttrRange::Any, nullptr,
              {"nearest", "bilinear"}},
             {"align_corners", AttrKind::Bool, false, {}, 0, false}};
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    bool hasSize = !n.ints("size").empty();
    double factor = n.number("scale_factor");
    if (hasSize == (factor != 0))
      return ShapeOrError::fail("needs exactly one of 'size' and 'scale_factor'");
    if (!hasSize && !(factor > 0 && factor < 1e6))
      return ShapeOrError::fail("scale_factor must be a positive number, got " +
                                std::to_string(factor));
    if (n.flag("align_corners") && n.text("mode") != "bilinear")
      return ShapeOrError::fail("align_corners applies to mode \"bilinear\" only");
    if (in[0].size() != 4)
      return ShapeOrError::fail("input must be [N, C, H, W], got " +
                                cnn::shape::toString(in[0]));
    if (hasSize)
      return cnn::shape::resized2d(in[0], n.ints("size"));
    // PyTorch: floor(size * scale_factor), in double.
    Shape size = {int64_t(std::floor(double(in[0][2]) * factor)),
                  int64_t(std::floor(double(in[0][3]) * factor))};
    return cnn::shape::resized2d(in[0], size);
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape> in, Builder &b, NamedAttrList &attrs) {
    double factor = n.number("scale_factor");
    Shape size(n.ints("size").begin(), n.ints("size").end());
    if (size.empty())
      size = {int64_t(std::floor(double(in[0][2]) * factor)),
              int64_t(std::floor(double(in[0][3]) * factor))};
    attrs.append("mode", b.getStringAttr(n.text("mode")));
    attrs.append("align_corners", b.getBoolAttr(n.flag("align_corners")));
    attrs.append("size", b.getDenseI64ArrayAttr(size));
    if (factor != 0)
      attrs.append("scale_factor", b.getDenseF64ArrayAttr({factor, factor}));
  };
  return r;
}

} // namespace

void addPoolingRules(std::vector<OpImportRule> &rules) {
  rules.push_back(windowPool("maxpool2d", cnn::MaxPool2dOp::getOperationName(), false));
  rules.push_back(windowPool("avgpool2d", cnn::AvgPool2dOp::getOperationName(), true));
  rules.push_back(globalAvgPool2d());
  rules.push_back(adaptiveAvgPool2d());
  rules.push_back(upsample());
}

} // namespace cnnc
