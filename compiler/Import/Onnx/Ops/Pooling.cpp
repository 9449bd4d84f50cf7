//===- Pooling.cpp - ONNX pools, spatial means and Resize -----------------===//

#include "Import/Onnx/OnnxGraph.h"

#include <algorithm>

namespace cnnc::onnx_import {

namespace {

void convertPool(OnnxNode &n, bool average) {
  std::vector<int64_t> kernel = n.attrInts("kernel_shape", {});
  std::vector<int64_t> stride = n.attrInts("strides", {1, 1});
  std::vector<int64_t> pads = n.attrInts("pads", {0, 0, 0, 0});
  bool ceil = n.attrInt("ceil_mode", 0) != 0;
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad == "VALID")
    pads = {0, 0, 0, 0};
  else if (autoPad != "NOTSET")
    return n.fail("attribute auto_pad=" + autoPad + " is not supported");
  if (kernel.size() != 2 || stride.size() != 2 || pads.size() != 4)
    return n.fail("only 2-D pools are supported");
  for (int64_t v : pads)
    if (v < 0 || v > (int64_t(1) << 31))
      return n.fail("pads must be in [0, 2^31], got " + shapeText(pads));
  bool countIncludePad = false;
  if (average) {
    countIncludePad = n.attrInt("count_include_pad", 0) != 0;
  } else {
    if (n.attrInts("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
      return n.fail("dilated max pooling is not supported");
    n.requireAttrInt("storage_order", 0);
    n.requireSingleOutput();
  }
  bool ownPads = std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; });
  std::string x;
  const OnnxValue *in = n.input(0);
  if (average && in && in->kind == OnnxValue::Pending && in->pending->kind == PendingView::Pad) {
    // An explicit zero Pad counts its zeros: the pool's own padding with
    // count_include_pad, if the pool has none of its own to count otherwise.
    if (ownPads && !countIncludePad)
      return n.fail("a zero Pad before an AveragePool with its own padding and "
                    "count_include_pad=0 is not supported");
    bool padded;
    x = n.runtimeWithPad(0, pads, padded);
    countIncludePad = true;
  } else {
    x = n.runtime(0);
  }
  if (n.failed())
    return;
  nlohmann::json attrs = {{"kernel", kernel}, {"stride", stride}, {"padding", pads},
                          {"ceil_mode", ceil}};
  if (average)
    attrs["count_include_pad"] = countIncludePad;
  n.bind(0, n.emit(average ? "avgpool2d" : "maxpool2d", {x}, attrs));
}

void convertMaxPool(OnnxNode &n) { convertPool(n, false); }
void convertAveragePool(OnnxNode &n) { convertPool(n, true); }

void convertGlobalAveragePool(OnnxNode &n) {
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  n.bind(0, n.emit("global_avgpool2d", {x}));
}

/// ReduceMean over H and W of an NCHW tensor (torch's x.mean([2, 3])).
void convertReduceMean(OnnxNode &n) {
  std::vector<int64_t> axes;
  if (n.opset() >= 18 && n.hasInput(1)) {
    const ConstTensor *c = n.constant(1, "axes");
    if (!c)
      return;
    axes = c->asInts();
  } else {
    axes = n.attrInts("axes", {});
  }
  bool keep = n.attrInt("keepdims", 1) != 0;
  n.attrInt("noop_with_empty_axes", 0);
  std::vector<int64_t> in = n.shape(0);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  for (int64_t &a : axes)
    if (a < 0)
      a += (int64_t)in.size();
  std::sort(axes.begin(), axes.end());
  if (in.size() != 4 || axes != std::vector<int64_t>{2, 3})
    return n.fail("only the mean over the spatial axes [2, 3] of an NCHW tensor is supported");
  std::string pooled = n.emit("global_avgpool2d", {x});
  n.bind(0, keep ? pooled : n.emit("flatten", {pooled}, {}, {}, "flatten"));
}

/// Resize as torch writes F.interpolate: nearest (asymmetric, floor) or
/// linear (half_pixel or pytorch_half_pixel: align_corners false;
/// align_corners) over H and W, by constant scales or sizes.
void convertResize(OnnxNode &n) {
  std::string mode = n.attrString("mode", "nearest");
  std::string coordinates = n.attrString("coordinate_transformation_mode", "half_pixel");
  std::string nearestMode = n.attrString("nearest_mode", "round_prefer_floor");
  n.attrFloat("cubic_coeff_a", -0.75f);
  n.requireAttrInt("exclude_outside", 0);
  n.attrFloat("extrapolation_value", 0.0f);
  std::vector<int64_t> in = n.shape(0);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  nlohmann::json attrs;
  if (mode == "nearest" && coordinates == "asymmetric" && nearestMode == "floor") {
    attrs["mode"] = "nearest";
  } else if (mode == "linear" &&
             (coordinates == "half_pixel" || coordinates == "pytorch_half_pixel" ||
              coordinates == "align_corners")) {
    attrs["mode"] = "bilinear";
    attrs["align_corners"] = coordinates == "align_corners";
  } else {
    return n.fail("Resize with mode=" + mode + ", coordinate_transformation_mode=" +
                  coordinates + (mode == "nearest" ? ", nearest_mode=" + nearestMode : "") +
                  " is not supported (only F.interpolate's nearest and bilinear)");
  }
  if (in.size() != 4)
    return n.fail("only 4-D Resize is supported, got " + shapeText(in));
  const ConstTensor *scales = n.hasInput(2) ? n.constant(2, "scales") : nullptr;
  const ConstTensor *sizes = n.hasInput(3) ? n.constant(3, "sizes") : nullptr;
  if (n.failed())
    return;
  if (sizes && sizes->size() == 4) {
    std::vector<int64_t> s = sizes->asInts();
    if (s[0] != in[0] || s[1] != in[1])
      return n.fail("Resize may change only H and W, got sizes " + shapeText(s));
    attrs["size"] = {s[2], s[3]};
  } else if (scales && scales->size() == 4) {
    if (scales->real(0) != 1 || scales->real(1) != 1)
      return n.fail("Resize may scale only H and W");
    if (scales->real(2) != scales->real(3))
      return n.fail("Resize by different scales for H and W is not supported");
    attrs["scale_factor"] = decimalOf(float(scales->real(2)));
  } else {
    return n.fail("Resize needs constant scales or sizes for all 4 dimensions");
  }
  n.bind(0, n.emit("upsample", {x}, attrs));
}

} // namespace

void addOnnxPoolingOps(std::vector<OnnxOpEntry> &ops) {
  ops.push_back({"Resize", convertResize});
  ops.push_back({"MaxPool", convertMaxPool});
  ops.push_back({"AveragePool", convertAveragePool});
  ops.push_back({"GlobalAveragePool", convertGlobalAveragePool});
  ops.push_back({"ReduceMean", convertReduceMean});
}

} // namespace cnnc::onnx_import
